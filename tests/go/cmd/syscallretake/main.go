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
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var order [1 << 16]int64
var idx int64

var at [len(order)]int64 // microseconds from main's start

func rec(v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	order[n] = v
	at[n] = time.Since(t0).Microseconds()
}

const (
	kStart  = 1 << 56
	kEnd    = 2 << 56
	kBefore = 3 << 56
	kAfter  = 4 << 56
	kMask   = 1<<56 - 1
)

var wg sync.WaitGroup
var work time.Duration
var t0 time.Time

func worker(i int) {
	rec(kStart | int64(i))
	if work > 0 {
		s := time.Now()
		for time.Since(s) < work {
		}
	}
	rec(kEnd | int64(i))
	wg.Done()
}

// The run-queue wait of the thread that makes a call, from just before the call to the end of
// the run ("#qwait... N", microseconds): how long the kernel kept it from running once it was
// runnable -- e.g. when the call returned -- on a machine busy with other work.  Read with raw
// system calls (no entersyscall: sysmon neither sees nor retakes anything).
var schedstatPath = []byte("/proc/thread-self/schedstat\x00")

func parseRunDelay(b []byte) int64 {
	fs := strings.Fields(string(b))
	if len(fs) < 2 {
		panic("unexpected schedstat: " + string(b))
	}
	v, err := strconv.ParseInt(fs[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func threadRunDelay() int64 {
	var buf [128]byte
	fd, _, e := syscall.RawSyscall6(syscall.SYS_OPENAT, ^uintptr(99), // AT_FDCWD (-100)
		uintptr(unsafe.Pointer(&schedstatPath[0])), syscall.O_RDONLY, 0, 0, 0)
	if e != 0 {
		panic(e)
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])),
		uintptr(len(buf)))
	syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
	if e != 0 {
		panic(e)
	}
	return parseRunDelay(buf[:n])
}

func runDelayOf(tid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		panic(err)
	}
	return parseRunDelay(b)
}

// nanosleep blocks in the nanosleep system call for d (restarting it on EINTR).
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var left syscall.Timespec
		err := syscall.Nanosleep(&ts, &left)
		if err != syscall.EINTR {
			if err != nil {
				panic(err)
			}
			return
		}
		ts = left
	}
}

func main() {
	if len(os.Args) != 4 {
		panic("usage: syscallretake N WORK_US SYSCALL_US")
	}
	var v [3]int
	for i := range v {
		x, err := strconv.Atoi(os.Args[i+1])
		if err != nil || x < 0 {
			panic("usage: syscallretake N WORK_US SYSCALL_US")
		}
		v[i] = x
	}
	n := v[0]
	if 2*n+2 > len(order) {
		panic("N too large")
	}
	work = time.Duration(v[1]) * time.Microsecond
	t0 = time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go worker(i)
	}
	rec(kBefore)
	tid, waitBefore := syscall.Gettid(), threadRunDelay()
	nanosleep(time.Duration(v[2]) * time.Microsecond)
	rec(kAfter)
	wg.Wait()
	labels := make([]string, idx)
	for i := range labels {
		x := order[i]
		switch x &^ kMask {
		case kStart:
			labels[i] = fmt.Sprintf("s%d", x&kMask)
		case kEnd:
			labels[i] = fmt.Sprintf("e%d", x&kMask)
		case kBefore:
			labels[i] = "b"
		default:
			labels[i] = "a"
		}
	}
	out := bufio.NewWriter(os.Stdout)
	for _, l := range labels {
		fmt.Fprintf(out, "%s\n", l)
	}
	for i, l := range labels {
		fmt.Fprintf(out, "#%s_us %d\n", l, at[i])
	}
	fmt.Fprintf(out, "#qwait %d\n", (runDelayOf(tid)-waitBefore)/1000)
	out.Flush()
}
