package main

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type micro struct {
	unit string
	n    int                 // default batch
	run  func(n int) float64 // one sample: mean ns per operation over n operations
}

// Each benchmark sets GOMAXPROCS itself: the result must not depend on the caller's.
var micros = map[string]micro{
	// cross-core cache-line hand-off: two goroutines locked to their own OS threads take turns
	// to write one atomic word (ping-pong).  One sample: ns per one-way hand-off, i.e. one
	// line transfer from the other core plus the store that gives it back.
	"pingpong": {"ns/handoff", 20000, pingpong},
	// DRAM latency: a dependent pointer chase over a random cycle much larger than the caches.
	"memlat": {"ns/load", 2_000_000, memlat},
	// an uncontended CAS on a line this core owns
	"cas": {"ns/op", 5_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		var w int64
		t := time.Now()
		for i := 0; i < n; i++ {
			atomic.CompareAndSwapInt64(&w, int64(i), int64(i+1))
		}
		return perOp(t, n)
	}},
	// sync.Mutex Lock+Unlock with no other goroutine: the two fast-path atomics
	"mutex_uncontended": {"ns/lock+unlock", 5_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		var mu sync.Mutex
		t := time.Now()
		for i := 0; i < n; i++ {
			mu.Lock()
			mu.Unlock()
		}
		return perOp(t, n)
	}},
	// two goroutines on two Ps hammer one sync.Mutex: ns per acquisition
	"mutex_contended": {"ns/acquisition", 200_000, mutexContended},
	// a send and a receive on a buffered channel by one goroutine (never blocks)
	"chan_buffered": {"ns/send+recv", 2_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		ch := make(chan int, 1)
		t := time.Now()
		for i := 0; i < n; i++ {
			ch <- i
			<-ch
		}
		return perOp(t, n)
	}},
	// unbuffered ping-pong between two goroutines on one P: every message is a send to a
	// parked receiver (goready into runnext), then the sender parks and the receiver runs
	"chan_unbuffered": {"ns/handoff", 200_000, func(n int) float64 { return handoff(n, false) }},
	// the same ping-pong between two goroutines locked to their own threads: each hand-off
	// also stops the sender's M (futex sleep) and wakes the receiver's (futex wake), which is
	// Go's stoplockedm / startlockedm
	"locked_handoff": {"ns/handoff", 20_000, func(n int) float64 { return handoff(n, true) }},
	// goroutine create + run + exit in a burst: `for i := range n { go f() }; wg.Wait()` on
	// one P, after one warm-up burst so the Gs (and their stacks) come from the free lists
	"spawn": {"ns/goroutine", 2000, spawnBurst},
	// the same burst in a process that has created no goroutine yet: every G comes from malg
	// (newproc1's gfget finds no dead G), with a stack that has never been touched.  Only the
	// first sample of a process is fresh: calibrate runs it once per process.
	"spawn_fresh": {"ns/goroutine", 200_000, spawnFresh},
	// the recycled burst of "spawn" at GOMAXPROCS=2: the idle P steals half of main's queue,
	// so most goroutines run on the other core and come back to main's P through the free
	// lists (gfput -> sched.gFree -> gfget): each crossing moves the G's lines between cores
	"spawn_p2": {"ns/goroutine", 2000, func(n int) float64 { return spawnBurstP(n, 2) }},
	// the same with spawnWork iterations of the unit loop in each goroutine (about the cost
	// of a create): the Ps that run the goroutines stay busy instead of finding main's queue
	// empty and parking, so nearly every goroutine crosses to the other core and back, as in
	// a burst of goroutines that do something.  spawn_p2 (no work) is bimodal on the dev
	// machine (~275 or ~380 ns per goroutine from one process to the next): whether the
	// second M parks or keeps stealing decides it.
	"spawn_p2w": {"ns/goroutine", 2000, func(n int) float64 { return spawnBurstPW(n, 2, spawnWork) }},
	// runtime.Gosched by a lone goroutine: through the global queue and back
	"gosched": {"ns/op", 1_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		t := time.Now()
		for i := 0; i < n; i++ {
			runtime.Gosched()
		}
		return perOp(t, n)
	}},
	// a goroutine that exits while locked to its thread takes the thread with it, so the
	// next one needs a new M: clone + thread start (newm) + the exit
	"newm": {"ns/thread", 300, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		done := make(chan struct{})
		t := time.Now()
		for i := 0; i < n; i++ {
			go func() {
				runtime.LockOSThread()
				done <- struct{}{}
			}()
			<-done
		}
		return perOp(t, n)
	}},
	// time.Sleep(20µs): the runtime timer path (what the user sees)
	"timesleep20": {"ns/sleep", 500, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		t := time.Now()
		for i := 0; i < n; i++ {
			time.Sleep(20 * time.Microsecond)
		}
		return perOp(t, n)
	}},
	// the unit of user work: one iteration of spin (ns per iteration)
	"work": {"ns/iteration", 20_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		t := time.Now()
		spin(n)
		return perOp(t, n)
	}},
}

func perOp(t time.Time, n int) float64 {
	return float64(time.Since(t).Nanoseconds()) / float64(n)
}

func pingpong(n int) float64 {
	runtime.GOMAXPROCS(2)
	var word atomic.Int64
	var ready sync.WaitGroup
	ready.Add(2)
	res := make(chan float64, 1)
	// side 0 writes odd values in answer to even ones, side 1 the reverse
	player := func(side int64) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ready.Done()
		ready.Wait()
		t := time.Now()
		for i := int64(0); i < int64(n); i++ {
			want := 2*i + side
			for word.Load() != want {
			}
			word.Store(want + 1)
		}
		if side == 0 {
			res <- float64(time.Since(t).Nanoseconds()) / float64(2*n)
		}
	}
	go player(1)
	go player(0)
	return <-res
}

func memlat(n int) float64 {
	runtime.GOMAXPROCS(1)
	const size = 1 << 24 // 16M entries x 4 B = 64 MiB, beyond any L3 of this class
	next := memlatRing(size)
	j := uint32(0)
	t := time.Now()
	for i := 0; i < n; i++ {
		j = next[j]
	}
	d := perOp(t, n)
	sink += uint64(j)
	return d
}

var ring []uint32

// memlatRing builds one random cycle over size entries (Sattolo's algorithm), once.
func memlatRing(size int) []uint32 {
	if ring == nil {
		ring = make([]uint32, size)
		for i := range ring {
			ring[i] = uint32(i)
		}
		r := rand.New(rand.NewPCG(1, 2))
		for i := size - 1; i > 0; i-- {
			k := r.IntN(i)
			ring[i], ring[k] = ring[k], ring[i]
		}
	}
	return ring
}

func mutexContended(n int) float64 {
	runtime.GOMAXPROCS(2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	x := 0
	t := time.Now()
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				mu.Lock()
				x++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sink += uint64(x)
	return perOp(t, 2*n)
}

func handoff(n int, locked bool) float64 {
	runtime.GOMAXPROCS(1)
	ping, pong := make(chan int), make(chan int)
	done := make(chan float64)
	go func() {
		if locked {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		for v := range ping {
			pong <- v
		}
	}()
	go func() {
		if locked {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		ping <- 0 // both sides are running before the clock starts
		<-pong
		t := time.Now()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		d := float64(time.Since(t).Nanoseconds()) / float64(2*n)
		close(ping)
		done <- d
	}()
	return <-done
}


func spawnBurst(n int) float64 { return spawnBurstP(n, 1) }

var spawnWarmP = map[[2]int]bool{}

func spawnBurstP(n, procs int) float64 { return spawnBurstPW(n, procs, 0) }

// spawnWork: the iterations of the unit loop each goroutine of spawn_p2w runs
// (gmpcore.calibrate.core.SPAWN_WORK must say the same)
const spawnWork = 128

func spawnBurstPW(n, procs, work int) float64 {
	runtime.GOMAXPROCS(procs)
	var wg sync.WaitGroup
	burst := func() {
		wg.Add(n)
		for i := 0; i < n; i++ {
			if work > 0 {
				go func() { spin(work); wg.Done() }()
			} else {
				go func() { wg.Done() }()
			}
		}
		wg.Wait()
	}
	if !spawnWarmP[[2]int{n, procs}] {
		burst() // fill the free lists: later bursts recycle Gs and stacks
		spawnWarmP[[2]int{n, procs}] = true
	}
	t := time.Now()
	burst()
	return perOp(t, n)
}

// spawnFresh: one burst of n goroutines that cannot recycle any (the first burst of the
// process, as a program that starts n goroutines pays)
func spawnFresh(n int) float64 {
	runtime.GOMAXPROCS(1)
	var wg sync.WaitGroup
	wg.Add(n)
	t := time.Now()
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return perOp(t, n)
}
