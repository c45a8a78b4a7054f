package main

import (
	"runtime"
	"time"
)

func procyield30(batches int)

func init() {
	// one runtime_doSpin of sync.Mutex's lockSlow: procyield(30), 30 PAUSE instructions.
	// PAUSE takes ~10 cycles on older Intel cores and ~40-140 on Skylake and later, so the
	// spin is not a constant.  A sample is the mean over n Lock attempts' worth of spinning:
	// 4 doSpins in a row (active_spin = 4), then other work, as lockSlow spins; a long run of
	// PAUSEs would instead trip a hypervisor's pause-loop exiting (seen: 2-4x slower).
	micros["procyield"] = micro{"ns/procyield(30)", 2000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		var total time.Duration
		for i := 0; i < n; i++ {
			spin(500)
			t := time.Now()
			procyield30(4)
			total += time.Since(t)
		}
		return float64(total.Nanoseconds()) / float64(4*n)
	}}
}
