// a worker pool on a channel of capacity CAP: main starts W workers that `range` over jobs,
// then sends N jobs (recording "m.<j>" after each send), closes the channel (recording "c")
// and waits.  Worker w records "w<w>.<v>" for each job v it receives.
//
//	usage: workerpool W N CAP
package main

import (
	"fmt"
	"os"
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
	w, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	c, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && w >= 1 && n >= 0 && c >= 0 &&
		2*n+1 <= recorder.Cap, "workerpool W N CAP")
	jobs := make(chan int64, c)
	wg.Add(w)
	for i := 0; i < w; i++ {
		go worker(i, jobs)
	}
	for j := 0; j < n; j++ {
		jobs <- int64(j)
		recorder.Add('m', 0, int64(j), 0)
	}
	close(jobs)
	recorder.Add('c', 0, 0, 0)
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'w':
			return fmt.Sprintf("w%d.%d", r.A, r.B)
		case 'm':
			return fmt.Sprintf("m.%d", r.B)
		}
		return "c"
	})
}
