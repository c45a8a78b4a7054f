// gcpacer: the GC pacer's oracle (tests/test_gc.py).  It builds a pointer-dense live heap of
// -live MiB (128-byte objects of pointers, chained), then allocates -total MiB of garbage in
// -chunk-byte pieces.  Run it with GOGC=100 GODEBUG=gctrace=1: stderr has one line per cycle
// (its CPU split into assist/background/idle); stdout has the cycle counts from
// runtime/metrics before and after the garbage phase and the phase's wall time.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

type obj struct {
	p [15]*obj
	x uintptr
}

var (
	live []*obj
	sink []byte
)

func cycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func read(names ...string) []float64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	out := make([]float64, len(names))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			out[i] = float64(s[i].Value.Uint64())
		} else {
			out[i] = s[i].Value.Float64()
		}
	}
	return out
}

var markNames = []string{"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds", "/cpu/classes/gc/mark/idle:cpu-seconds",
	"/gc/heap/live:bytes"}

func main() {
	liveMB := flag.Int("live", 0, "MiB of live, pointer-dense heap")
	totalMB := flag.Int("total", 256, "MiB of garbage allocated")
	chunk := flag.Int("chunk", 4096, "bytes per garbage allocation")
	forced := flag.Int("forced", 0, "runtime.GC() calls after building the live heap (the mark rate)")
	flag.Parse()
	n := (*liveMB << 20) / 128
	live = make([]*obj, 0, n)
	var prev *obj
	for i := 0; i < n; i++ {
		o := &obj{}
		o.p[0] = prev
		prev = o
		live = append(live, o)
	}
	if *forced > 0 {
		runtime.GC()
		m0 := read(markNames...)
		for i := 0; i < *forced; i++ {
			runtime.GC()
		}
		m1 := read(markNames...)
		fmt.Printf("#mark_cpu_s %g\n#heap_live %g\n#forced %d\n", m1[0]+m1[1]+m1[2]-m0[0]-m0[1]-m0[2],
			m1[3], *forced)
		runtime.KeepAlive(live)
		return
	}
	before := cycles()
	start := time.Now()
	total := *totalMB << 20
	for a := 0; a < total; a += *chunk {
		sink = make([]byte, *chunk)
	}
	elapsed := time.Since(start)
	after := cycles()
	fmt.Printf("#cycles_before %d\n#cycles_after %d\n#garbage_ns %d\n#allocs %d\n", before, after,
		elapsed.Nanoseconds(), (total+*chunk-1) / *chunk)
}
