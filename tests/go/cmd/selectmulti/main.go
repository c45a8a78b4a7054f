// selectgo with two receive cases and a default: main starts a producer, then P pollers, and
// waits for the pollers.  The producer makes K rounds of: send its round it on channel a,
// runtime.Gosched(), send it on channel b, runtime.Gosched() (both channels have capacity
// CAP; these sends block when the channel is full).  Poller q polls L times:
//
//	select { case v := <-a: "a<q>.<it>.<v>"  case v := <-b: "b<q>.<it>.<v>"  default: "e<q>.<it>" }
//
// and calls runtime.Gosched() after every poll.  selectgo polls the cases in a random order,
// so the program is deterministic only if no poll ever finds both channels ready: it panics
// if one does (with one P, len() of both channels right before the select is exact).  The
// producer may be left parked on a full channel when the pollers are done; main does not
// wait for it.
//
//	usage: selectmulti P K L CAP
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

func producer(k int, a, b chan int64) {
	for it := 0; it < k; it++ {
		a <- int64(it)
		runtime.Gosched()
		b <- int64(it)
		runtime.Gosched()
	}
}

func poller(q, l int, a, b chan int64) {
	for it := 0; it < l; it++ {
		if len(a) > 0 && len(b) > 0 {
			panic("both channels ready: selectgo's choice would be random")
		}
		select {
		case v := <-a:
			recorder.Add('a', int64(q), int64(it), v)
		case v := <-b:
			recorder.Add('b', int64(q), int64(it), v)
		default:
			recorder.Add('e', int64(q), int64(it), 0)
		}
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	var x [4]int
	recorder.Usage(len(os.Args) == 5, "selectmulti P K L CAP")
	for i := range x {
		var err error
		x[i], err = strconv.Atoi(os.Args[i+1])
		recorder.Usage(err == nil && x[i] >= 0, "selectmulti P K L CAP")
	}
	p, k, l, capacity := x[0], x[1], x[2], x[3]
	recorder.Usage(p*l <= recorder.Cap && capacity >= 1, "selectmulti P K L CAP (CAP >= 1)")
	a, b := make(chan int64, capacity), make(chan int64, capacity)
	wg.Add(p)
	go producer(k, a, b)
	for q := 0; q < p; q++ {
		go poller(q, l, a, b)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'e' {
			return fmt.Sprintf("e%d.%d", r.A, r.B)
		}
		return fmt.Sprintf("%c%d.%d.%d", r.Kind, r.A, r.B, r.C)
	})
}
