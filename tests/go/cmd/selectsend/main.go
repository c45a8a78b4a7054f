// a non-blocking producer feeding parked workers: main starts W workers that `range` over a
// channel of capacity CAP, then makes N non-blocking sends of its iteration it, recording
// "s.<it>" when the send went through and "f.<it>" when it would have blocked (default, after
// which main calls runtime.Gosched()).  Then main closes the channel (recording "c") and
// waits.  Worker w records "w<w>.<v>" for each value v it receives.  A send that finds a
// parked worker hands the value over and readies it into main's runnext (chansend's send());
// one that finds room in the buffer queues it; otherwise the default case runs.
//
//	usage: selectsend W N CAP
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
	kind byte
	w, v int64
}

var recs [1 << 16]rec
var idx int64

func record(kind byte, w, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, w, v}
}

var wg sync.WaitGroup

func worker(w int, jobs chan int64) {
	for v := range jobs {
		record('w', int64(w), v)
	}
	wg.Done()
}

func main() {
	if len(os.Args) != 4 {
		panic("usage: selectsend W N CAP")
	}
	w, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	c, err3 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || err3 != nil || w < 1 || n < 0 || c < 0 || 2*n+1 > len(recs) {
		panic("usage: selectsend W N CAP")
	}
	jobs := make(chan int64, c)
	wg.Add(w)
	for i := 0; i < w; i++ {
		go worker(i, jobs)
	}
	for j := 0; j < n; j++ {
		select {
		case jobs <- int64(j):
			record('s', 0, int64(j))
		default:
			record('f', 0, int64(j))
			runtime.Gosched()
		}
	}
	close(jobs)
	record('c', 0, 0)
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		r := recs[i]
		switch r.kind {
		case 'w':
			fmt.Fprintf(out, "w%d.%d\n", r.w, r.v)
		case 's', 'f':
			fmt.Fprintf(out, "%c.%d\n", r.kind, r.v)
		default:
			fmt.Fprintf(out, "c\n")
		}
	}
	out.Flush()
}
