// close wakes every parked receiver: main starts N receivers on an unbuffered channel (each
// records "s<i>" and parks in <-ch), sleeps 1 ms so that all of them are parked, closes the
// channel and records "c".  Receiver i records "r<i>.<v>" with the zero value it got.
// closechan readies the receivers in reverse (a gList is a stack), each into runnext: the
// first parked receiver runs first, then the others from the ring, last parked first.
//
//	usage: closewake N
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type rec struct {
	kind byte
	i, v int64
}

var recs [1 << 14]rec
var idx int64

func record(kind byte, i, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, i, v}
}

var wg sync.WaitGroup

func receiver(i int, ch chan int64) {
	record('s', int64(i), 0)
	v := <-ch
	record('r', int64(i), v)
	wg.Done()
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 || 2*n+1 > len(recs) {
		panic("usage: closewake N")
	}
	ch := make(chan int64)
	wg.Add(n)
	for i := 0; i < n; i++ {
		go receiver(i, ch)
	}
	time.Sleep(time.Millisecond)
	close(ch)
	record('c', 0, 0)
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for k := int64(0); k < idx; k++ {
		r := recs[k]
		switch r.kind {
		case 's':
			fmt.Fprintf(out, "s%d\n", r.i)
		case 'r':
			fmt.Fprintf(out, "r%d.%d\n", r.i, r.v)
		default:
			fmt.Fprintf(out, "c\n")
		}
	}
	out.Flush()
}
