// runtime.LockOSThread on one P: main starts a goroutine that locks its thread and then, K
// times, receives from an unbuffered channel, records "L<k>.<v>" and calls Gosched; and N
// workers that each record "w<i>.<k>" and call Gosched K times.  Main sends 0..K-1 on the
// channel, recording "m<k>" after each send.  Every time the locked goroutine stops running
// (it parks in the receive, or yields), its thread gives the P away (stoplockedm) and the
// thread that next schedules it hands the P back (startlockedm); the order of records shows
// whether the hand-offs keep Go's run-queue order.
//
//	usage: lockedgosched N K
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

func locked(k int, ch chan int64) {
	runtime.LockOSThread()
	for j := 0; j < k; j++ {
		v := <-ch
		recorder.Add('L', int64(j), v, 0)
		runtime.Gosched()
	}
	wg.Done()
}

func worker(i, k int) {
	for j := 0; j < k; j++ {
		recorder.Add('w', int64(i), int64(j), 0)
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	k, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && n >= 0 && k >= 1 && (n+2)*k <= recorder.Cap,
		"lockedgosched N K")
	ch := make(chan int64)
	wg.Add(n + 1)
	go locked(k, ch)
	for i := 0; i < n; i++ {
		go worker(i, k)
	}
	for j := 0; j < k; j++ {
		ch <- int64(j)
		recorder.Add('m', int64(j), 0, 0)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'L', 'w':
			return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B)
		}
		return fmt.Sprintf("m%d", r.A)
	})
}
