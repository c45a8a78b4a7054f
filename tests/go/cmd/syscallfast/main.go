// short system calls between marks: main starts N goroutines; goroutine g loops K times:
// record "a<g>.<it>", make a system call, record "b<g>.<it>", runtime.Gosched().  MODE 0 makes
// no system call (the reference order), MODE 1 writes one byte to /dev/null (syscall.Write ->
// syscall.Syscall: entersyscall/exitsyscall around ~1 us in the kernel, far below a sysmon
// tick: exitsyscall always finds its P still attached, the fast path), MODE 2 calls
// nanosleep(1 us) (which the kernel's timer slack stretches to ~50-60 us: long enough for
// sysmon to retake the P, some of the time).  The "#" lines give the longest call (time.Since
// around it, in microseconds), how many threads the runtime created while the goroutines
// ran (sysmon's retake hands the P to a new M, so a run that created one did not take the
// fast path every time) and how long they ran (under 10 ms, sysmon cannot have preempted
// one of them).
//
//	usage: syscallfast N K MODE
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup
var k, mode, devnull int
var maxSyscall int64

func call() {
	t := time.Now()
	switch mode {
	case 1:
		if _, err := syscall.Write(devnull, []byte{0}); err != nil {
			panic(err)
		}
	case 2:
		ts := syscall.Timespec{Nsec: 1000}
		if err := syscall.Nanosleep(&ts, nil); err != nil && err != syscall.EINTR {
			panic(err)
		}
	}
	if d := int64(time.Since(t)); d > atomic.LoadInt64(&maxSyscall) {
		atomic.StoreInt64(&maxSyscall, d)
	}
}

func looper(g int) {
	for it := 0; it < k; it++ {
		recorder.Add('a', int64(g), int64(it), 0)
		if mode != 0 {
			call()
		}
		recorder.Add('b', int64(g), int64(it), 0)
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	m, err3 := strconv.Atoi(os.Args[3])
	recorder.Usage(err1 == nil && err2 == nil && err3 == nil && n >= 1 && kk >= 1 && m >= 0 &&
		m <= 2 && 2*n*kk <= recorder.Cap, "syscallfast N K MODE")
	k, mode = kk, m
	fd, err := syscall.Open("/dev/null", syscall.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	devnull = fd
	threads := pprof.Lookup("threadcreate")
	m0 := threads.Count()
	recorder.Start()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go looper(i)
	}
	wg.Wait()
	elapsed := recorder.Since()
	newThreads := threads.Count() - m0
	recorder.Meta("max_syscall_us", atomic.LoadInt64(&maxSyscall)/1000)
	recorder.Meta("new_threads", int64(newThreads))
	recorder.Meta("elapsed_us", elapsed.Microseconds())
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
