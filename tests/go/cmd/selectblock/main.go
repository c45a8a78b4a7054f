// a blocking select over two unbuffered channels: main starts the receiver, then S senders on
// channel a, then S senders on channel b, and waits.  Sender s on channel x sends its
// iteration it K times, recording "x<s>.<it>" after each send (and calling runtime.Gosched()
// after it when Y=1).  The receiver runs 2*S*K times
//
//	select { case v := <-a: "ra.<it>.<v>"  case v := <-b: "rb.<it>.<v>" }
//
// When neither channel has a parked sender the receiver parks on both (wait reason "select");
// the first sender dequeues its sudog, hands the value over and readies it into runnext, and
// the receiver removes its other sudog when it runs (selectgo pass 3).  A sender that finds
// no parked receiver parks on its channel's sendq, and the next select takes it from there.
// In this program no select ever finds both channels ready, so selectgo's random poll order
// never shows.
//
//	usage: selectblock S K Y
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

func sender(kind byte, s, k int, yield bool, ch chan int64) {
	for it := 0; it < k; it++ {
		ch <- int64(it)
		recorder.Add(kind, int64(s), int64(it), 0)
		if yield {
			runtime.Gosched()
		}
	}
	wg.Done()
}

func receiver(n int, a, b chan int64) {
	for it := 0; it < n; it++ {
		select {
		case v := <-a:
			recorder.Add('A', 0, int64(it), v)
		case v := <-b:
			recorder.Add('B', 0, int64(it), v)
		}
	}
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 4, "selectblock S K Y")
	s, err1 := strconv.Atoi(os.Args[1])
	k, err2 := strconv.Atoi(os.Args[2])
	y, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && s >= 1 && k >= 1 &&
		4*s*k <= recorder.Cap, "selectblock S K Y")
	a, b := make(chan int64), make(chan int64)
	wg.Add(2*s + 1)
	go receiver(2*s*k, a, b)
	for i := 0; i < s; i++ {
		go sender('a', i, k, y == 1, a)
	}
	for i := 0; i < s; i++ {
		go sender('b', i, k, y == 1, b)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'A':
			return fmt.Sprintf("ra.%d.%d", r.B, r.C)
		case 'B':
			return fmt.Sprintf("rb.%d.%d", r.B, r.C)
		}
		return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B)
	})
}
