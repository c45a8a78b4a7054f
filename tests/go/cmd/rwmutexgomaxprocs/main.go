// runtime.GOMAXPROCS(n) called from goroutines of a GOMAXPROCS=1 program around an RWMutex.
// main first calls GOMAXPROCS(UP) and GOMAXPROCS(1) (both skipped if UP is 1: GOMAXPROCS(n)
// returns at once when n is the current value), with nothing else runnable yet; then it starts
// G readers, each looping K times:
//
//	RLock, record "r<g>.<it>", runtime.GOMAXPROCS(1), runtime.Gosched(), record "q<g>.<it>",
//	RUnlock
//
// and, after the readers, one writer (Lock, record "w", GOMAXPROCS(1), record "u", Unlock).
// The last line, "#elapsed_us N", is how long that took.
//
//	usage: rwmutexgomaxprocs UP G K
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
var k int

func rec(kind byte, g, it int) { recorder.Add(kind, int64(g), int64(it), 0) }

func reader(g int) {
	for it := 0; it < k; it++ {
		rw.RLock()
		rec('r', g, it)
		runtime.GOMAXPROCS(1)
		runtime.Gosched()
		rec('q', g, it)
		rw.RUnlock()
	}
	wg.Done()
}

func writer() {
	rw.Lock()
	rec('w', 0, 0)
	runtime.GOMAXPROCS(1)
	rec('u', 0, 0)
	rw.Unlock()
	wg.Done()
}

func main() {
	up, err1 := strconv.Atoi(os.Args[1])
	g, err2 := strconv.Atoi(os.Args[2])
	kk, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && up >= 1 && g >= 1 && kk >= 1 &&
		2*g*kk+2 <= recorder.Cap, "rwmutexgomaxprocs UP G K")
	k = kk
	recorder.Start()
	runtime.GOMAXPROCS(up)
	runtime.GOMAXPROCS(1)
	wg.Add(g + 1)
	for i := 0; i < g; i++ {
		go reader(i)
	}
	go writer()
	wg.Wait()
	recorder.Meta("elapsed_us", recorder.Since().Microseconds())
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
