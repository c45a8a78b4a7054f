// timers that expire while the P is busy: main starts one sleeper per duration (each records
// "s<g>", sleeps D_g ms and records "w<g>"), yields once so that they all park on their
// timers, then spins for BUSY ms without blocking (recording "b" before and "e" after) and
// waits.  Every timer has expired when main blocks: the next findRunnable runs them all, in
// deadline order, each goready into runnext -- so the last one runs first, then the others
// from the ring in deadline order.  The last line, "#busy_end_us N", is when the busy loop
// ended (from main's start): if the machine stalled the process until a later deadline, that
// timer joined the batch and the test discards the run.
//
//	usage: timerbatch BUSY D_0 D_1 ... (milliseconds)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup

func sleeper(g int, d time.Duration) {
	recorder.Add('s', int64(g), 0, 0)
	time.Sleep(d)
	recorder.Add('w', int64(g), 0, 0)
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) >= 3, "timerbatch BUSY D_0 D_1 ...")
	var ms []int
	for _, a := range os.Args[1:] {
		v, err := strconv.Atoi(a)
		recorder.Usage(err == nil && v >= 0, "timerbatch BUSY D_0 D_1 ...")
		ms = append(ms, v)
	}
	busy := time.Duration(ms[0]) * time.Millisecond
	recorder.Start()
	wg.Add(len(ms) - 1)
	for g, d := range ms[1:] {
		go sleeper(g, time.Duration(d)*time.Millisecond)
	}
	runtime.Gosched()
	recorder.Add('b', 0, 0, 0)
	t0 := time.Now()
	for time.Since(t0) < busy {
	}
	recorder.Add('e', 0, 0, 0)
	busyEnd := recorder.Since()
	wg.Wait()
	recorder.Meta("busy_end_us", busyEnd.Microseconds())
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 's' || r.Kind == 'w' {
			return fmt.Sprintf("%c%d", r.Kind, r.A)
		}
		return string(r.Kind)
	})
}
