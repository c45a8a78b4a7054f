// a blocking select with a receive case and a send case: a relay between a producer and a
// consumer on two unbuffered channels.  main starts the goroutines (the relay first when
// FIRST=1, last when FIRST=0) and waits.  The producer sends its iteration it on `in` K
// times, recording "p.<it>" after each send; the consumer receives K values from `out`,
// recording "c.<it>.<v>"; both call runtime.Gosched() after every operation.  The relay runs
// 2*K times
//
//	select { case v := <-in: last = v; "i.<it>.<v>"  case out <- last: "o.<it>.<last>" }
//
// so it forwards the last value it received (the send's value is evaluated when the select
// starts).  A relay parked on both channels is woken by a sender (chan.go send() copies the
// value into the select's sudog) or by a receiver (recv() takes the value from the select's
// send sudog), and readied into the waker's runnext.  Because every producer and consumer
// operation is followed by a Gosched, the relay has always parked again before either runs,
// so no select ever finds both cases ready and selectgo's random poll order never shows.
//
//	usage: selectrelay K FIRST
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
	kind  byte
	it, v int64
}

var recs [1 << 16]rec
var idx int64

func record(kind byte, it, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, it, v}
}

var wg sync.WaitGroup

func producer(k int, in chan int64) {
	for it := 0; it < k; it++ {
		in <- int64(it)
		record('p', int64(it), 0)
		runtime.Gosched()
	}
	wg.Done()
}

func consumer(k int, out chan int64) {
	for it := 0; it < k; it++ {
		v := <-out
		record('c', int64(it), v)
		runtime.Gosched()
	}
	wg.Done()
}

func relay(k int, in, out chan int64) {
	var last int64
	for it := 0; it < 2*k; it++ {
		select {
		case v := <-in:
			last = v
			record('i', int64(it), v)
		case out <- last:
			record('o', int64(it), last)
		}
	}
	wg.Done()
}

func main() {
	if len(os.Args) != 3 {
		panic("usage: selectrelay K FIRST")
	}
	k, err1 := strconv.Atoi(os.Args[1])
	first, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || k < 1 || 4*k > len(recs) {
		panic("usage: selectrelay K FIRST")
	}
	in, out := make(chan int64), make(chan int64)
	wg.Add(3)
	if first == 1 {
		go relay(k, in, out)
	}
	go producer(k, in)
	go consumer(k, out)
	if first != 1 {
		go relay(k, in, out)
	}
	wg.Wait()
	out2 := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		r := recs[n]
		if r.kind == 'p' {
			fmt.Fprintf(out2, "p.%d\n", r.it)
		} else {
			fmt.Fprintf(out2, "%c.%d.%d\n", r.kind, r.it, r.v)
		}
	}
	out2.Flush()
}
