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
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var order [1 << 12]int64
var idx int64

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v }

const (
	kStart = 1 << 60
	kWake  = 2 << 60
	kBusy  = 3 << 60
	kEnd   = 4 << 60
)

var wg sync.WaitGroup

func sleeper(g int, d time.Duration) {
	rec(kStart | int64(g))
	time.Sleep(d)
	rec(kWake | int64(g))
	wg.Done()
}

func main() {
	if len(os.Args) < 3 {
		panic("usage: timerbatch BUSY D_0 D_1 ...")
	}
	var ms []int
	for _, a := range os.Args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 {
			panic("usage: timerbatch BUSY D_0 D_1 ...")
		}
		ms = append(ms, v)
	}
	busy := time.Duration(ms[0]) * time.Millisecond
	start := time.Now()
	wg.Add(len(ms) - 1)
	for g, d := range ms[1:] {
		go sleeper(g, time.Duration(d)*time.Millisecond)
	}
	runtime.Gosched()
	rec(kBusy)
	t0 := time.Now()
	for time.Since(t0) < busy {
	}
	rec(kEnd)
	busyEnd := time.Since(start)
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v := order[i]
		switch v &^ (1<<60 - 1) {
		case kStart:
			fmt.Fprintf(out, "s%d\n", v&(1<<60-1))
		case kWake:
			fmt.Fprintf(out, "w%d\n", v&(1<<60-1))
		case kBusy:
			fmt.Fprintf(out, "b\n")
		default:
			fmt.Fprintf(out, "e\n")
		}
	}
	fmt.Fprintf(out, "#busy_end_us %d\n", busyEnd.Microseconds())
	out.Flush()
}
