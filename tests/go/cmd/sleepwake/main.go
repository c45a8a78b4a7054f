// time.Sleep with distinct durations: main starts one goroutine per argument; goroutine g
// records "s<g>", then R times sleeps D_g milliseconds and records "w<g>.<r>".  The last line,
// "#min_gap_us N", is the shortest time in microseconds between two consecutive wake-ups: the
// deadlines are >= 3 ms apart, so a run in which two wake-ups came closer than 1 ms had the
// process stalled by the machine (their timers may have fired in one batch) and the test
// discards it.
//
//	usage: sleepwake R D_0 D_1 ... (milliseconds)
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
var reps int

func sleeper(g int, d time.Duration) {
	recorder.AddTimed('s', int64(g), 0, 0)
	for r := 0; r < reps; r++ {
		time.Sleep(d)
		recorder.AddTimed('w', int64(g), int64(r), 0)
	}
	wg.Done()
}

func main() {
	r, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && r >= 1 && len(os.Args) >= 3 &&
		(len(os.Args)-2)*(r+1) <= recorder.Cap, "sleepwake R D_0 D_1 ...")
	reps = r
	ds := make([]time.Duration, 0, len(os.Args)-2)
	for _, a := range os.Args[2:] {
		ms, err := strconv.Atoi(a)
		recorder.Usage(err == nil && ms >= 0, "sleepwake R D_0 D_1 ...")
		ds = append(ds, time.Duration(ms)*time.Millisecond)
	}
	wg.Add(len(ds))
	recorder.Start()
	for g, d := range ds {
		go sleeper(g, d)
	}
	wg.Wait()
	minGap, last := time.Duration(1<<62), time.Duration(-1)
	for _, r := range recorder.Records() {
		if r.Kind == 'w' {
			if last >= 0 && r.At-last < minGap {
				minGap = r.At - last
			}
			last = r.At
		}
	}
	recorder.Meta("min_gap_us", minGap.Microseconds())
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'w' {
			return fmt.Sprintf("w%d.%d", r.A, r.B)
		}
		return fmt.Sprintf("s%d", r.A)
	})
}
