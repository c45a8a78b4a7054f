// a worker pool on a channel of capacity CAP: main starts W workers that `range` over jobs,
// then sends N jobs (recording "m.<j>" after each send), closes the channel (recording "c")
// and waits.  Worker w records "w<w>.<v>" for each job v it receives.
//
//	usage: workerpool W N CAP
package main

import (
	"bufio"
	"fmt"
	"os"
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
	w, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	c, err3 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || err3 != nil || w < 1 || n < 0 || c < 0 || 2*n+1 > len(recs) {
		panic("usage: workerpool W N CAP")
	}
	jobs := make(chan int64, c)
	wg.Add(w)
	for i := 0; i < w; i++ {
		go worker(i, jobs)
	}
	for j := 0; j < n; j++ {
		jobs <- int64(j)
		record('m', 0, int64(j))
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
		case 'm':
			fmt.Fprintf(out, "m.%d\n", r.v)
		default:
			fmt.Fprintf(out, "c\n")
		}
	}
	out.Flush()
}
