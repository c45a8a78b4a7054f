// a contended sync.Mutex whose holder yields: main starts G goroutines; goroutine g loops K
// times: Lock, record "l<g>.<it>", runtime.Gosched(), record "u<g>.<it>", Unlock.  The last
// line, "#elapsed_us N", is how long that took: no waiter may wait 1 ms (starvation mode),
// so the test discards a run in which the machine stalled the process that long.
//
//	usage: mutexyield G K
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

const unlockBit = 1 << 62

var order [1 << 16]int64
var idx int64

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v }

var wg sync.WaitGroup
var mu sync.Mutex
var k int

func locker(g int) {
	for it := 0; it < k; it++ {
		mu.Lock()
		rec(int64(g)<<32 | int64(it))
		runtime.Gosched()
		rec(unlockBit | int64(g)<<32 | int64(it))
		mu.Unlock()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || n < 1 || kk < 1 || 2*n*kk > len(order) {
		panic("usage: mutexyield G K")
	}
	k = kk
	wg.Add(n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go locker(i)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v, kind := order[i], "l"
		if v&unlockBit != 0 {
			kind, v = "u", v&^unlockBit
		}
		fmt.Fprintf(out, "%s%d.%d\n", kind, v>>32, v&(1<<32-1))
	}
	fmt.Fprintf(out, "#elapsed_us %d\n", elapsed.Microseconds())
	out.Flush()
}
