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
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var order [1 << 16]int64
var idx int64

func rec(kind byte, g, it int) {
	n := atomic.AddInt64(&idx, 1) - 1
	order[n] = int64(kind)<<48 | int64(g)<<24 | int64(it)
}

var wg sync.WaitGroup
var rw sync.RWMutex
var k int

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
	if err1 != nil || err2 != nil || err3 != nil || up < 1 || g < 1 || kk < 1 ||
		2*g*kk+2 > len(order) {
		panic("usage: rwmutexgomaxprocs UP G K")
	}
	k = kk
	t0 := time.Now()
	runtime.GOMAXPROCS(up)
	runtime.GOMAXPROCS(1)
	wg.Add(g + 1)
	for i := 0; i < g; i++ {
		go reader(i)
	}
	go writer()
	wg.Wait()
	elapsed := time.Since(t0)
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v := order[i]
		fmt.Fprintf(out, "%c%d.%d\n", byte(v>>48), (v>>24)&(1<<24-1), v&(1<<24-1))
	}
	fmt.Fprintf(out, "#elapsed_us %d\n", elapsed.Microseconds())
	out.Flush()
}
