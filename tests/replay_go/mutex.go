//go:build ignore

// Mutex contention: 8 goroutines take one sync.Mutex 100 times each, working inside and
// outside the critical section.  Records its runtime/trace to os.Args[1].
package main

import (
	"os"
	"runtime/trace"
	"sync"
)

var sink uint64

func spin(n int) uint64 {
	x := uint64(n)
	for j := 0; j < n; j++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				mu.Lock()
				sink += spin(3000)
				mu.Unlock()
				spin(2000 + 100*g)
			}
		}(g)
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
