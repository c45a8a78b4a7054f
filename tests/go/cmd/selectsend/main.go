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
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup

func worker(w int, jobs chan int64) {
	for v := range jobs {
		recorder.Add('w', int64(w), v, 0)
	}
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 4, "selectsend W N CAP")
	w, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	c, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && w >= 1 && n >= 0 && c >= 0 &&
		2*n+1 <= recorder.Cap, "selectsend W N CAP")
	jobs := make(chan int64, c)
	wg.Add(w)
	for i := 0; i < w; i++ {
		go worker(i, jobs)
	}
	for j := 0; j < n; j++ {
		select {
		case jobs <- int64(j):
			recorder.Add('s', 0, int64(j), 0)
		default:
			recorder.Add('f', 0, int64(j), 0)
			runtime.Gosched()
		}
	}
	close(jobs)
	recorder.Add('c', 0, 0, 0)
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'w':
			return fmt.Sprintf("w%d.%d", r.A, r.B)
		case 's', 'f':
			return fmt.Sprintf("%c.%d", r.Kind, r.B)
		}
		return "c"
	})
}
