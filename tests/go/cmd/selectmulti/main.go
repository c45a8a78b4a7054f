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
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

type rec struct {
	kind     byte
	g, it, v int64
}

var recs [1 << 16]rec
var idx int64

func record(kind byte, g, it, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, g, it, v}
}

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
			record('a', int64(q), int64(it), v)
		case v := <-b:
			record('b', int64(q), int64(it), v)
		default:
			record('e', int64(q), int64(it), 0)
		}
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	var x [4]int
	if len(os.Args) != 5 {
		panic("usage: selectmulti P K L CAP")
	}
	for i := range x {
		var err error
		if x[i], err = strconv.Atoi(os.Args[i+1]); err != nil || x[i] < 0 {
			panic("usage: selectmulti P K L CAP")
		}
	}
	p, k, l, capacity := x[0], x[1], x[2], x[3]
	if p*l > len(recs) || capacity < 1 {
		panic("usage: selectmulti P K L CAP (CAP >= 1)")
	}
	a, b := make(chan int64, capacity), make(chan int64, capacity)
	wg.Add(p)
	go producer(k, a, b)
	for q := 0; q < p; q++ {
		go poller(q, l, a, b)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		r := recs[n]
		if r.kind == 'e' {
			fmt.Fprintf(out, "e%d.%d\n", r.g, r.it)
		} else {
			fmt.Fprintf(out, "%c%d.%d.%d\n", r.kind, r.g, r.it, r.v)
		}
	}
	out.Flush()
}
