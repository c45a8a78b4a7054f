// a sync.Mutex held across time.Sleep: main starts G goroutines; goroutine g loops K times:
// Lock, record "l<g>.<it>", sleep D ms, record "u<g>.<it>", Unlock.  Waiters wait longer than
// the 1 ms starvation threshold, so the mutex switches to starvation mode: Unlock hands it to
// the front waiter and the unlocker can no longer barge back in.
//
//	usage: mutexsleep G K D
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup
var mu sync.Mutex
var k int
var d time.Duration

func locker(g int) {
	for it := 0; it < k; it++ {
		mu.Lock()
		recorder.Add('l', int64(g), int64(it), 0)
		time.Sleep(d)
		recorder.Add('u', int64(g), int64(it), 0)
		mu.Unlock()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	ms, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && n >= 1 && kk >= 1 && ms >= 0 &&
		2*n*kk <= recorder.Cap, "mutexsleep G K D")
	k, d = kk, time.Duration(ms)*time.Millisecond
	wg.Add(n)
	for i := 0; i < n; i++ {
		go locker(i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
