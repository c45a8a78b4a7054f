// select with a default case on both sides of a buffered channel of capacity CAP: main starts
// P producers, then C consumers, and waits.  Producer p makes K non-blocking sends of its
// iteration it, recording "s<p>.<it>" when the send went through and "f<p>.<it>" when the
// channel was full (default), and calls runtime.Gosched() after every attempt.  Consumer c
// polls L times, recording "r<c>.<it>.<v>" when it received v and "e<c>.<it>" when the
// channel was empty (default) -- and only then calls runtime.Gosched(), so a consumer that
// finds values drains them without yielding.  With one case and a default the compiler
// emits selectnbsend / selectnbrecv (chansend / chanrecv with block=false): no random poll
// order, nothing ever parks.
//
//	usage: selectpoll P C K L CAP
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

func producer(p, k int, ch chan int64) {
	for it := 0; it < k; it++ {
		select {
		case ch <- int64(it):
			recorder.Add('s', int64(p), int64(it), 0)
		default:
			recorder.Add('f', int64(p), int64(it), 0)
		}
		runtime.Gosched()
	}
	wg.Done()
}

func consumer(c, l int, ch chan int64) {
	for it := 0; it < l; it++ {
		select {
		case v := <-ch:
			recorder.Add('r', int64(c), int64(it), v)
		default:
			recorder.Add('e', int64(c), int64(it), 0)
			runtime.Gosched()
		}
	}
	wg.Done()
}

func main() {
	var a [5]int
	recorder.Usage(len(os.Args) == 6, "selectpoll P C K L CAP")
	for i := range a {
		var err error
		a[i], err = strconv.Atoi(os.Args[i+1])
		recorder.Usage(err == nil && a[i] >= 0, "selectpoll P C K L CAP")
	}
	p, c, k, l, capacity := a[0], a[1], a[2], a[3], a[4]
	if p*k+c*l > recorder.Cap {
		panic("too many records")
	}
	ch := make(chan int64, capacity)
	wg.Add(p + c)
	for i := 0; i < p; i++ {
		go producer(i, k, ch)
	}
	for i := 0; i < c; i++ {
		go consumer(i, l, ch)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'r' {
			return fmt.Sprintf("r%d.%d.%d", r.A, r.B, r.C)
		}
		return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B)
	})
}
