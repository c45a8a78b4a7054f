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

func producer(p, k int, ch chan int64) {
	for it := 0; it < k; it++ {
		select {
		case ch <- int64(it):
			record('s', int64(p), int64(it), 0)
		default:
			record('f', int64(p), int64(it), 0)
		}
		runtime.Gosched()
	}
	wg.Done()
}

func consumer(c, l int, ch chan int64) {
	for it := 0; it < l; it++ {
		select {
		case v := <-ch:
			record('r', int64(c), int64(it), v)
		default:
			record('e', int64(c), int64(it), 0)
			runtime.Gosched()
		}
	}
	wg.Done()
}

func main() {
	var a [5]int
	for i := range a {
		var err error
		if len(os.Args) != 6 {
			panic("usage: selectpoll P C K L CAP")
		}
		if a[i], err = strconv.Atoi(os.Args[i+1]); err != nil || a[i] < 0 {
			panic("usage: selectpoll P C K L CAP")
		}
	}
	p, c, k, l, capacity := a[0], a[1], a[2], a[3], a[4]
	if p*k+c*l > len(recs) {
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
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		r := recs[n]
		if r.kind == 'r' {
			fmt.Fprintf(out, "r%d.%d.%d\n", r.g, r.it, r.v)
		} else {
			fmt.Fprintf(out, "%c%d.%d\n", r.kind, r.g, r.it)
		}
	}
	out.Flush()
}
