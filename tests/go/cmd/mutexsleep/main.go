// a sync.Mutex held across time.Sleep: main starts G goroutines; goroutine g loops K times:
// Lock, record "l<g>.<it>", sleep D ms, record "u<g>.<it>", Unlock.  Waiters wait longer than
// the 1 ms starvation threshold, so the mutex switches to starvation mode: Unlock hands it to
// the front waiter and the unlocker can no longer barge back in.
//
//	usage: mutexsleep G K D
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const unlockBit = 1 << 62

var order [1 << 12]int64
var idx int64

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v }

var wg sync.WaitGroup
var mu sync.Mutex
var k int
var d time.Duration

func locker(g int) {
	for it := 0; it < k; it++ {
		mu.Lock()
		rec(int64(g)<<32 | int64(it))
		time.Sleep(d)
		rec(unlockBit | int64(g)<<32 | int64(it))
		mu.Unlock()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	ms, err3 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || err3 != nil || n < 1 || kk < 1 || ms < 0 ||
		2*n*kk > len(order) {
		panic("usage: mutexsleep G K D")
	}
	k, d = kk, time.Duration(ms)*time.Millisecond
	wg.Add(n)
	for i := 0; i < n; i++ {
		go locker(i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v, kind := order[i], "l"
		if v&unlockBit != 0 {
			kind, v = "u", v&^unlockBit
		}
		fmt.Fprintf(out, "%s%d.%d\n", kind, v>>32, v&(1<<32-1))
	}
	out.Flush()
}
