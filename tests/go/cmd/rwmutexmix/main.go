// readers and writers sharing one sync.RWMutex.  PATTERN has one letter per step of main:
// 'r' starts a reader, 'w' starts a writer (goroutine g is the g-th letter, '.' included),
// '.' is a runtime.Gosched() in main.  Every goroutine loops K times:
//
//	reader: RLock, record "r<g>.<it>", HOLD x Gosched, record "q<g>.<it>", RUnlock,
//	        AFTER x Gosched
//	writer: Lock,  record "w<g>.<it>", HOLD x Gosched, record "u<g>.<it>", Unlock,
//	        AFTER x Gosched
//
// The last line, "#elapsed_us N", is how long that took: no writer may wait 1 ms for the
// writer mutex (starvation mode), so the test discards a run the machine stalled that long.
//
//	usage: rwmutexmix PATTERN K HOLD AFTER
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var rw sync.RWMutex
var k, hold, after int

func rec(kind byte, g, it int) { recorder.Add(kind, int64(g), int64(it), 0) }

func reader(g int) {
	for it := 0; it < k; it++ {
		rw.RLock()
		rec('r', g, it)
		for i := 0; i < hold; i++ {
			runtime.Gosched()
		}
		rec('q', g, it)
		rw.RUnlock()
		for i := 0; i < after; i++ {
			runtime.Gosched()
		}
	}
	wg.Done()
}

func writer(g int) {
	for it := 0; it < k; it++ {
		rw.Lock()
		rec('w', g, it)
		for i := 0; i < hold; i++ {
			runtime.Gosched()
		}
		rec('u', g, it)
		rw.Unlock()
		for i := 0; i < after; i++ {
			runtime.Gosched()
		}
	}
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 5, "rwmutexmix PATTERN K HOLD AFTER")
	pattern := os.Args[1]
	var errs [3]error
	k, errs[0] = strconv.Atoi(os.Args[2])
	hold, errs[1] = strconv.Atoi(os.Args[3])
	after, errs[2] = strconv.Atoi(os.Args[4])
	for _, e := range errs {
		if e != nil {
			panic(e)
		}
	}
	n := 0
	for _, c := range pattern {
		if c == 'r' || c == 'w' {
			n++
		} else if c != '.' {
			panic("pattern letters: r w .")
		}
	}
	if 2*n*k > recorder.Cap {
		panic("too many marks")
	}
	wg.Add(n)
	recorder.Start()
	for g, c := range pattern {
		switch c {
		case 'r':
			go reader(g)
		case 'w':
			go writer(g)
		case '.':
			runtime.Gosched()
		}
	}
	wg.Wait()
	recorder.Meta("elapsed_us", recorder.Since().Microseconds())
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
