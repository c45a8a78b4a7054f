// a contended sync.Mutex whose holder yields: main starts G goroutines; goroutine g loops K
// times: Lock, record "l<g>.<it>", runtime.Gosched(), record "u<g>.<it>", Unlock.  The last
// line, "#elapsed_us N", is how long that took: no waiter may wait 1 ms (starvation mode),
// so the test discards a run in which the machine stalled the process that long.
//
//	usage: mutexyield G K
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
var mu sync.Mutex
var k int

func locker(g int) {
	for it := 0; it < k; it++ {
		mu.Lock()
		recorder.Add('l', int64(g), int64(it), 0)
		runtime.Gosched()
		recorder.Add('u', int64(g), int64(it), 0)
		mu.Unlock()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && n >= 1 && kk >= 1 && 2*n*kk <= recorder.Cap,
		"mutexyield G K")
	k = kk
	wg.Add(n)
	recorder.Start()
	for i := 0; i < n; i++ {
		go locker(i)
	}
	wg.Wait()
	recorder.Meta("elapsed_us", recorder.Since().Microseconds())
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
