//go:build !linux

package main

// cpuTime is not measured off Linux (the syscall, usleep and rusage benchmarks are
// Linux-only).
func cpuTime() int64 { return -1 }
