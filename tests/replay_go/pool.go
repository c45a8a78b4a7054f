//go:build ignore

// A worker pool over channels: 4 workers range over an unbuffered jobs channel and send
// results to a collector.  Records its runtime/trace to os.Args[1].
package main

import (
	"os"
	"runtime/trace"
	"sync"
)

func work(n int) uint64 {
	x := uint64(n)
	for j := 0; j < 5000+1000*(n%7); j++ {
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
	jobs := make(chan int)
	results := make(chan uint64, 2)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				results <- work(n)
			}
		}()
	}
	done := make(chan uint64)
	go func() {
		var s uint64
		for r := range results {
			s += r
		}
		done <- s
	}()
	for i := 0; i < 300; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(results)
	<-done
	trace.Stop()
	f.Close()
}
