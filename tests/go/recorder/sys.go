package recorder

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Nanosleep blocks in the nanosleep(2) system call for d (restarting it on EINTR): a real
// blocking call through syscall.Syscall, hence entersyscall/exitsyscall, not a vDSO call.
func Nanosleep(d time.Duration) {
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

// The run-queue wait of a thread (the second field of its schedstat, ns): how long the kernel
// kept it from running once it was runnable -- e.g. when a call returned -- on a machine busy
// with other work.

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

// ThreadRunDelay is the calling thread's run-queue wait so far, read with raw system calls
// (no entersyscall: sysmon neither sees nor retakes anything).
func ThreadRunDelay() int64 {
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

// RunDelayOf is thread tid's run-queue wait so far (read from main at the end).
func RunDelayOf(tid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		panic(err)
	}
	return parseRunDelay(b)
}
