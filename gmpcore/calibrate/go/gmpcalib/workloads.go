package main

import (
	"math"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"time"
)

// The multi-P oracle workloads.  Each has a DSL twin in gmpcore/calibrate/workloads.py that
// must keep the same shape: the same goroutines, channels, locks and units of work.
var workloads = map[string]func(n, work int, exp bool){
	// flat: main spawns n goroutines, each does `work` and wg.Done(); main waits
	"flat": func(n, work int, exp bool) {
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() {
				spin(amount(i, work, exp))
				wg.Done()
			}()
		}
		wg.Wait()
	},
	// tree: a fan-out-8 tree shaped as gmpcore.workloads.tree(n, fanout=8): `top` goroutines
	// under main, every inner goroutine spawns 8 children, the leaves (>= n) do the work
	"tree": func(n, work int, exp bool) {
		const fanout = 8
		levels := int(math.Max(1, math.Ceil(math.Log(float64(n))/math.Log(fanout)-1e-9)))
		below := 1
		for k := 0; k < levels-1; k++ {
			below *= fanout
		}
		top := (n + below - 1) / below
		var wg sync.WaitGroup
		wg.Add(top * below)
		var node func(level, idx int)
		node = func(level, idx int) {
			if level == levels-1 {
				spin(amount(idx, work, exp))
				wg.Done()
				return
			}
			for c := 0; c < fanout; c++ {
				go node(level+1, idx*fanout+c)
			}
		}
		for i := 0; i < top; i++ {
			go node(0, i)
		}
		wg.Wait()
	},
	// pool: 4 workers range over a channel of capacity 64; main sends n items and closes it
	"pool": func(n, work int, exp bool) {
		ch := make(chan int, 64)
		var wg sync.WaitGroup
		wg.Add(4)
		for w := 0; w < 4; w++ {
			go func() {
				for v := range ch {
					spin(amount(v, work, exp))
				}
				wg.Done()
			}()
		}
		for i := 0; i < n; i++ {
			ch <- i
		}
		close(ch)
		wg.Wait()
	},
	// pipeline: three stages joined by unbuffered channels; main feeds n values to stage 1,
	// each stage does `work` per value and passes it on, main's sink goroutine drains stage 3
	"pipeline": func(n, work int, exp bool) {
		c0 := make(chan int)
		c1 := make(chan int)
		c2 := make(chan int)
		c3 := make(chan int)
		stage := func(in <-chan int, out chan<- int) {
			for v := range in {
				spin(amount(v, work, exp))
				out <- v
			}
			close(out)
		}
		go stage(c0, c1)
		go stage(c1, c2)
		go stage(c2, c3)
		done := make(chan struct{})
		go func() {
			for range c3 {
			}
			close(done)
		}()
		for i := 0; i < n; i++ {
			c0 <- i
		}
		close(c0)
		<-done
	},
	// mutex: 8 goroutines share one sync.Mutex, n critical sections in all; each iteration
	// does `work` inside the lock and `work` outside it
	"mutex": func(n, work int, exp bool) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		wg.Add(8)
		for g := 0; g < 8; g++ {
			go func() {
				for i := g; i < n; i += 8 {
					mu.Lock()
					spin(amount(i, work, exp))
					mu.Unlock()
					spin(amount(i, work, exp))
				}
				wg.Done()
			}()
		}
		wg.Wait()
	},
}

// amount: the iterations of goroutine i; with exp, an exponential draw with mean `work` from
// a hash of i (no shared random state between goroutines)
func amount(i, work int, exp bool) int {
	if !exp {
		return work
	}
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := float64(z>>11) / (1 << 53)
	return int(-float64(work) * math.Log1p(-u))
}

const schedLatencies = "/sched/latencies:seconds"

func runWorkload(w func(n, work int, exp bool), n, work int, exp bool) map[string]any {
	runtime.GC()
	probe0 := workProbe()
	before := readLatencies()
	var ms runtime.MemStats
	cpu0 := cpuTime()
	t := time.Now()
	w(n, work, exp)
	wall := time.Since(t)
	cpu := cpuTime() - cpu0
	if cpu0 < 0 {
		cpu = -1
	}
	after := readLatencies()
	probe1 := workProbe()
	runtime.ReadMemStats(&ms)
	counts := make([]uint64, len(after.Counts))
	var total uint64
	for i := range counts {
		counts[i] = after.Counts[i] - before.Counts[i]
		total += counts[i]
	}
	return map[string]any{
		"wall_ns":           wall.Nanoseconds(),
		"cpu_ns":            cpu,
		"latency_mean_ns":   mean(after.Buckets, counts, total),
		"latency_p50_ns":    quantile(after.Buckets, counts, total, 0.50),
		"latency_p90_ns":    quantile(after.Buckets, counts, total, 0.90),
		"latency_p99_ns":    quantile(after.Buckets, counts, total, 0.99),
		"latency_samples":   total,
		"work_ns_per_iter":  (probe0 + probe1) / 2,
		"stack_inuse_bytes": ms.StackInuse,
		"sys_bytes":         ms.Sys,
	}
}

// workProbe: ns per iteration of the unit-work loop now, in this process (the median of 5
// batches of 100,000 iterations, ~0.6 ms in all).  The dev VM's speed drifts: the same loop
// took 1.00, 1.25 and 1.44 ns per iteration within minutes on the same idle machine, so a
// run's own probe, taken just before and just after the workload, says at what speed it ran
// (gmpcore.calibrate.predicted_vs_real scales its prediction by it).
func workProbe() float64 {
	var s [5]float64
	for i := range s {
		t := time.Now()
		spin(100_000)
		s[i] = perOp(t, 100_000)
	}
	sort.Float64s(s[:])
	return s[2]
}

// mean of a runtime/metrics histogram, each bucket at its midpoint (the open-ended top
// bucket at its lower bound), in ns; -1 without samples
func mean(bounds []float64, counts []uint64, total uint64) float64 {
	if total == 0 {
		return -1
	}
	var sum float64
	for i, c := range counts {
		lo, hi := bounds[i], bounds[i+1]
		if math.IsInf(lo, -1) {
			lo = 0
		}
		if math.IsInf(hi, 1) {
			hi = lo
		}
		sum += float64(c) * (lo + hi) / 2
	}
	return sum / float64(total) * 1e9
}

func readLatencies() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	c := make([]uint64, len(h.Counts))
	copy(c, h.Counts)
	return &metrics.Float64Histogram{Counts: c, Buckets: h.Buckets}
}

// quantile of a runtime/metrics histogram (Buckets are the len(Counts)+1 boundaries, in
// seconds), interpolated linearly inside the bucket; in ns.  -1 when there are no samples.
func quantile(bounds []float64, counts []uint64, total uint64, q float64) float64 {
	if total == 0 {
		return -1
	}
	target := q * float64(total)
	var cum float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= target {
			lo, hi := bounds[i], bounds[i+1]
			if math.IsInf(lo, -1) {
				lo = 0
			}
			if math.IsInf(hi, 1) {
				hi = lo
			}
			return (lo + (hi-lo)*(target-cum)/float64(c)) * 1e9
		}
		cum += float64(c)
	}
	return bounds[len(bounds)-1] * 1e9
}
