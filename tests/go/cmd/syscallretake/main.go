// a blocking system call while the P has queued work: main starts N workers (worker i records
// "s<i>", busy-loops WORK_US microseconds, records "e<i>"), records "b", blocks in a real
// nanosleep(2) system call (syscall.Nanosleep -> syscall.Syscall -> entersyscall/exitsyscall,
// not a vDSO call) for SYSCALL_US microseconds, records "a" and waits for the workers.
//
// With GOMAXPROCS=1 the workers can only run if sysmon retakes the P from main's M (it has
// work queued) and hands it to a new M.  When the call returns, exitsyscall finds its P idle
// (the workers are done: it takes it back) or held by the M running a worker (exitsyscallNoP:
// main goes to the global queue tail and its M stops).
//
// The "#<label>_us T" lines give the time of each mark in microseconds from main's start
// (the first "s" shows how long the retake took), "#qwait T" how long main's thread waited
// for a CPU from its call to the end (see threadRunDelay).
//
//	usage: syscallretake N WORK_US SYSCALL_US
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

func worker(i int) {
	recorder.AddTimed('s', int64(i), 0, 0)
	if work > 0 {
		s := time.Now()
		for time.Since(s) < work {
		}
	}
	recorder.AddTimed('e', int64(i), 0, 0)
	wg.Done()
}

func label(r recorder.Rec) string {
	if r.Kind == 's' || r.Kind == 'e' {
		return fmt.Sprintf("%c%d", r.Kind, r.A)
	}
	return string(r.Kind) // "b", "a": main before and after its call
}

func main() {
	recorder.Usage(len(os.Args) == 4, "syscallretake N WORK_US SYSCALL_US")
	var v [3]int
	for i := range v {
		x, err := strconv.Atoi(os.Args[i+1])
		recorder.Usage(err == nil && x >= 0, "syscallretake N WORK_US SYSCALL_US")
		v[i] = x
	}
	n := v[0]
	if 2*n+2 > recorder.Cap {
		panic("N too large")
	}
	work = time.Duration(v[1]) * time.Microsecond
	recorder.Start()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go worker(i)
	}
	recorder.AddTimed('b', 0, 0, 0)
	tid, waitBefore := syscall.Gettid(), recorder.ThreadRunDelay()
	recorder.Nanosleep(time.Duration(v[2]) * time.Microsecond)
	recorder.AddTimed('a', 0, 0, 0)
	wg.Wait()
	for _, r := range recorder.Records() {
		recorder.Meta(label(r)+"_us", r.At.Microseconds())
	}
	recorder.Meta("qwait", (recorder.RunDelayOf(tid)-waitBefore)/1000)
	recorder.Print(label)
}
