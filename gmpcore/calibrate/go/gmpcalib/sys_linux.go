//go:build linux

package main

import (
	"runtime"
	"syscall"
	"time"
)

// cpuTime: the user + system CPU time of this process so far (getrusage), in ns.  Next to
// the wall time it shows how much of a run the process actually got a core on a loaded
// machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func init() {
	// getpid through syscall.Syscall (entersyscall/exitsyscall around the kernel entry) and
	// through syscall.RawSyscall (the kernel entry alone)
	micros["syscall"] = micro{"ns/syscall", 1_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		t := time.Now()
		for i := 0; i < n; i++ {
			syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		return perOp(t, n)
	}}
	micros["rawsyscall"] = micro{"ns/syscall", 1_000_000, func(n int) float64 {
		runtime.GOMAXPROCS(1)
		t := time.Now()
		for i := 0; i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		return perOp(t, n)
	}}
	// the runtime's short sleeps are usleep(n) = nanosleep(n µs) on Linux (os_linux.go
	// usleep): runqgrab's usleep(3) before stealing a running P's runnext, and sysmon's
	// usleep(delay) with delay starting at 20 µs.  Timer slack (50 µs by default for normal
	// threads) makes them last far longer than asked.
	for _, us := range []int{3, 20} {
		d := time.Duration(us) * time.Microsecond
		micros[map[int]string{3: "usleep3", 20: "usleep20"}[us]] = micro{"ns/sleep", 300,
			func(n int) float64 {
				runtime.GOMAXPROCS(1)
				ts := syscall.NsecToTimespec(d.Nanoseconds())
				t := time.Now()
				for i := 0; i < n; i++ {
					syscall.Nanosleep(&ts, nil)
				}
				return perOp(t, n)
			}}
	}
}
