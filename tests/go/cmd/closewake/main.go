// close wakes every parked receiver: main starts N receivers on an unbuffered channel (each
// records "s<i>" and parks in <-ch), sleeps 1 ms so that all of them are parked, closes the
// channel and records "c".  Receiver i records "r<i>.<v>" with the zero value it got.
// closechan readies the receivers in reverse (a gList is a stack), each into runnext: the
// first parked receiver runs first, then the others from the ring, last parked first.
//
//	usage: closewake N
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup

func receiver(i int, ch chan int64) {
	recorder.Add('s', int64(i), 0, 0)
	v := <-ch
	recorder.Add('r', int64(i), v, 0)
	wg.Done()
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && n >= 1 && 2*n+1 <= recorder.Cap, "closewake N")
	ch := make(chan int64)
	wg.Add(n)
	for i := 0; i < n; i++ {
		go receiver(i, ch)
	}
	time.Sleep(time.Millisecond)
	close(ch)
	recorder.Add('c', 0, 0, 0)
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 's':
			return fmt.Sprintf("s%d", r.A)
		case 'r':
			return fmt.Sprintf("r%d.%d", r.A, r.B)
		}
		return "c"
	})
}
