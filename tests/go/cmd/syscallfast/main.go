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
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const afterBit = 1 << 62

var order [1 << 16]int64
var idx int64

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v }

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
		rec(int64(g)<<32 | int64(it))
		if mode != 0 {
			call()
		}
		rec(afterBit | int64(g)<<32 | int64(it))
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	m, err3 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || err3 != nil || n < 1 || kk < 1 || m < 0 || m > 2 ||
		2*n*kk > len(order) {
		panic("usage: syscallfast N K MODE")
	}
	k, mode = kk, m
	fd, err := syscall.Open("/dev/null", syscall.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	devnull = fd
	threads := pprof.Lookup("threadcreate")
	m0 := threads.Count()
	t0 := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go looper(i)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	newThreads := threads.Count() - m0
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		v, kind := order[i], "a"
		if v&afterBit != 0 {
			kind, v = "b", v&^afterBit
		}
		fmt.Fprintf(out, "%s%d.%d\n", kind, v>>32, v&(1<<32-1))
	}
	fmt.Fprintf(out, "#max_syscall_us %d\n", atomic.LoadInt64(&maxSyscall)/1000)
	fmt.Fprintf(out, "#new_threads %d\n", newThreads)
	fmt.Fprintf(out, "#elapsed_us %d\n", elapsed.Microseconds())
	out.Flush()
}
