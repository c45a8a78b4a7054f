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
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup

func producer(k int, in chan int64) {
	for it := 0; it < k; it++ {
		in <- int64(it)
		recorder.Add('p', int64(it), 0, 0)
		runtime.Gosched()
	}
	wg.Done()
}

func consumer(k int, out chan int64) {
	for it := 0; it < k; it++ {
		v := <-out
		recorder.Add('c', int64(it), v, 0)
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
			recorder.Add('i', int64(it), v, 0)
		case out <- last:
			recorder.Add('o', int64(it), last, 0)
		}
	}
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 3, "selectrelay K FIRST")
	k, err1 := strconv.Atoi(os.Args[1])
	first, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && k >= 1 && 4*k <= recorder.Cap,
		"selectrelay K FIRST")
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
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'p' {
			return fmt.Sprintf("p.%d", r.A)
		}
		return fmt.Sprintf("%c.%d.%d", r.Kind, r.A, r.B)
	})
}
