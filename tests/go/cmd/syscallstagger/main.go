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

var order [1 << 12]int64
var idx int64

var at [len(order)]int64 // microseconds from main's start

func rec(v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	order[n] = v
	at[n] = time.Since(t0).Microseconds()
}

const (
	kStart = 1 << 56
	kRet   = 2 << 56
	kEnd   = 3 << 56
	kMask  = 1<<56 - 1
)

var wg sync.WaitGroup
var work time.Duration
var t0 time.Time

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

var tids [1 << 10]int
var waitBefore [1 << 10]int64

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

func worker(i int, d time.Duration) {
	rec(kStart | int64(i))
	if d > 0 {
		tids[i], waitBefore[i] = syscall.Gettid(), threadRunDelay()
		nanosleep(d)
	}
	rec(kRet | int64(i))
	if work > 0 {
		s := time.Now()
		for time.Since(s) < work {
		}
	}
	rec(kEnd | int64(i))
	wg.Done()
}

func main() {
	var v []int
	for _, a := range os.Args[1:] {
		x, err := strconv.Atoi(a)
		if err != nil || x < 0 {
			panic("usage: syscallstagger WORK_US D_0 D_1 ...")
		}
		v = append(v, x)
	}
	if len(v) < 2 || len(v) > len(tids) {
		panic("usage: syscallstagger WORK_US D_0 D_1 ...")
	}
	work = time.Duration(v[0]) * time.Microsecond
	t0 = time.Now()
	wg.Add(len(v) - 1)
	for i, d := range v[1:] {
		go worker(i, time.Duration(d)*time.Millisecond)
	}
	wg.Wait()
	labels := make([]string, idx)
	for i := range labels {
		x := order[i]
		labels[i] = fmt.Sprintf("%c%d", "?sef"[x>>56], x&kMask)
	}
	out := bufio.NewWriter(os.Stdout)
	for _, l := range labels {
		fmt.Fprintf(out, "%s\n", l)
	}
	for i, l := range labels {
		fmt.Fprintf(out, "#%s_us %d\n", l, at[i])
	}
	for i, d := range v[1:] {
		if d > 0 {
			fmt.Fprintf(out, "#qwait%d %d\n", i, (runDelayOf(tids[i])-waitBefore[i])/1000)
		}
	}
	out.Flush()
}
