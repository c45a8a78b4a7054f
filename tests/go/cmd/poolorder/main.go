// sync.Pool on one P: main puts 1..K (the first to l.private, the rest pushed on the shared
// chain's head), then runs R rounds; before each round after the first it calls runtime.GC()
// (poolCleanup: the primary cache becomes the victim, the old victim is dropped).  A round
// starts N getters and waits for them; getter i records "g<r>.<i>=<v>" with what Get
// returned (private, else the chain's head, else getSlow: the victim's private, then its
// chain from the tail, else New, which counts from 100) and puts it back if i is even.
//
//	usage: poolorder K N R
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var (
	news int64 = 100
	pool       = sync.Pool{New: func() any { news++; return news - 1 }}
)

func getter(round, i int, wg *sync.WaitGroup) {
	v := pool.Get().(int64)
	recorder.Add('g', int64(round), int64(i), v)
	if i%2 == 0 {
		pool.Put(v)
	}
	wg.Done()
}

func main() {
	k, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	r, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && k >= 0 && n >= 1 && r >= 1 &&
		n*r+r <= recorder.Cap, "poolorder K N R")
	for v := 1; v <= k; v++ {
		pool.Put(int64(v))
	}
	for round := 0; round < r; round++ {
		if round > 0 {
			runtime.GC()
			recorder.Add('G', int64(round), 0, 0)
		}
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go getter(round, i, &wg)
		}
		wg.Wait()
	}
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'G' {
			return fmt.Sprintf("G%d", r.A)
		}
		return fmt.Sprintf("g%d.%d=%d", r.A, r.B, r.C)
	})
}
