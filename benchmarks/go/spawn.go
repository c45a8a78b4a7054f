// spawn: the real-Go counterpart of `gmpcore compare --goroutines N --procs P` (a burst):
// main spawns N goroutines in one loop, each does ~2000 cycles of work (a busy loop; the
// emulated workload's mean is Exponential(2000) cycles) and signals a WaitGroup.
// Usage: spawn N  (GOMAXPROCS from the environment).  Prints the wall seconds.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

var sink uint64

func work(seed uint64) {
	x := seed | 1
	for i := 0; i < 500; i++ { // ~4 cycles per iteration: ~2000 cycles
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 {
		sink++
	}
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "usage: spawn N")
		os.Exit(2)
	}
	t := time.Now()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			work(uint64(i))
			wg.Done()
		}(i)
	}
	wg.Wait()
	fmt.Printf("%.6f\n", time.Since(t).Seconds())
}
