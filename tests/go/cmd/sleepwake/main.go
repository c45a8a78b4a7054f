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
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const wakeBit = 1 << 62

var order [1 << 12]int64
var at [1 << 12]time.Duration
var idx int64
var t0 time.Time

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v; at[n] = time.Since(t0) }

var wg sync.WaitGroup
var reps int

func sleeper(g int, d time.Duration) {
	rec(int64(g) << 32)
	for r := 0; r < reps; r++ {
		time.Sleep(d)
		rec(wakeBit | int64(g)<<32 | int64(r))
	}
	wg.Done()
}

func main() {
	r, err := strconv.Atoi(os.Args[1])
	if err != nil || r < 1 || len(os.Args) < 3 || (len(os.Args)-2)*(r+1) > len(order) {
		panic("usage: sleepwake R D_0 D_1 ...")
	}
	reps = r
	ds := make([]time.Duration, 0, len(os.Args)-2)
	for _, a := range os.Args[2:] {
		ms, err := strconv.Atoi(a)
		if err != nil || ms < 0 {
			panic("usage: sleepwake R D_0 D_1 ...")
		}
		ds = append(ds, time.Duration(ms)*time.Millisecond)
	}
	wg.Add(len(ds))
	t0 = time.Now()
	for g, d := range ds {
		go sleeper(g, d)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	minGap, last := time.Duration(1<<62), time.Duration(-1)
	for i := int64(0); i < idx; i++ {
		v := order[i]
		if v&wakeBit != 0 {
			v &^= wakeBit
			fmt.Fprintf(out, "w%d.%d\n", v>>32, v&(1<<32-1))
			if last >= 0 && at[i]-last < minGap {
				minGap = at[i] - last
			}
			last = at[i]
		} else {
			fmt.Fprintf(out, "s%d\n", v>>32)
		}
	}
	fmt.Fprintf(out, "#min_gap_us %d\n", minGap.Microseconds())
	out.Flush()
}
