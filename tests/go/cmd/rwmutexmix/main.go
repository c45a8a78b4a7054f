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
var k, hold, after int

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
	if len(os.Args) != 5 {
		panic("usage: rwmutexmix PATTERN K HOLD AFTER")
	}
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
	if 2*n*k > len(order) {
		panic("too many marks")
	}
	wg.Add(n)
	t0 := time.Now()
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
	elapsed := time.Since(t0)
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v := order[i]
		fmt.Fprintf(out, "%c%d.%d\n", byte(v>>48), (v>>24)&(1<<24-1), v&(1<<24-1))
	}
	fmt.Fprintf(out, "#elapsed_us %d\n", elapsed.Microseconds())
	out.Flush()
}
