//go:build ignore

// A spawn burst: main starts 200 goroutines that each compute a little and report on a
// WaitGroup.  Records its runtime/trace to os.Args[1].
package main

import (
	"os"
	"runtime/trace"
	"sync"
)

var sink [256]uint64

func work(i int) {
	x := uint64(i)
	for j := 0; j < 20000; j++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink[i%len(sink)] = x
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			work(i)
		}(i)
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
