// goroutines that block in system calls of different lengths: main starts one worker per
// duration; worker i records "s<i>", blocks in nanosleep(2) for D_i milliseconds (a real
// system call; none if D_i is 0), records "e<i>", busy-loops WORK_US microseconds, records
// "f<i>".  Main waits.
//
// With GOMAXPROCS=1 each worker's call holds the P until sysmon retakes it and hands it to a
// new M for the next worker; the last one's P is retaken too (nobody spins and no P is idle)
// and ends up idle.  A call that returns while the P is idle takes it (exitsyscallTryGetP);
// one that returns while another worker busy-loops on it goes to the global queue
// (exitsyscallNoP).  The "#<label>_us T" lines give the time of each mark in microseconds
// from main's start, the "#qwait<i> T" lines how long worker i's thread waited for a CPU
// from its call to the end (see threadRunDelay).
//
//	usage: syscallstagger WORK_US D_0 D_1 ... (milliseconds)
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup
var work time.Duration
var tids [1 << 10]int
var waitBefore [1 << 10]int64

func worker(i int, d time.Duration) {
	recorder.AddTimed('s', int64(i), 0, 0)
	if d > 0 {
		tids[i], waitBefore[i] = syscall.Gettid(), recorder.ThreadRunDelay()
		recorder.Nanosleep(d)
	}
	recorder.AddTimed('e', int64(i), 0, 0)
	if work > 0 {
		s := time.Now()
		for time.Since(s) < work {
		}
	}
	recorder.AddTimed('f', int64(i), 0, 0)
	wg.Done()
}

func label(r recorder.Rec) string { return fmt.Sprintf("%c%d", r.Kind, r.A) }

func main() {
	var v []int
	for _, a := range os.Args[1:] {
		x, err := strconv.Atoi(a)
		recorder.Usage(err == nil && x >= 0, "syscallstagger WORK_US D_0 D_1 ...")
		v = append(v, x)
	}
	recorder.Usage(len(v) >= 2 && len(v) <= len(tids), "syscallstagger WORK_US D_0 D_1 ...")
	work = time.Duration(v[0]) * time.Microsecond
	recorder.Start()
	wg.Add(len(v) - 1)
	for i, d := range v[1:] {
		go worker(i, time.Duration(d)*time.Millisecond)
	}
	wg.Wait()
	for _, r := range recorder.Records() {
		recorder.Meta(label(r)+"_us", r.At.Microseconds())
	}
	for i, d := range v[1:] {
		if d > 0 {
			recorder.Meta(fmt.Sprintf("qwait%d", i), (recorder.RunDelayOf(tids[i])-waitBefore[i])/1000)
		}
	}
	recorder.Print(label)
}
