//go:build ignore

// Timers across trace generations: two goroutines sleep 2 ms at a time for 1.2 s, so the
// runtime starts a new trace generation (about once a second) while they run and the
// reader must carry every goroutine across it (GoStatus).  Records its runtime/trace to
// os.Args[1].
package main

import (
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	deadline := time.Now().Add(1200 * time.Millisecond)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
