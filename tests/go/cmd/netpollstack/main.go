// netpoll's ready list is a stack (netpoll_epoll.go: netpollready pushes each ready goroutine
// on toRun, a gList): main starts N readers, each blocked reading its own pipe (records
// "r<g>", reads one byte, records "w<g>"), yields once so that they all park in IO wait, then
// writes one byte to pipe 0, 1, ..., N-1 in that order (epoll's ready list keeps that order),
// spins for BUSY ms without blocking ("b" before, "e" after) and waits.  No M polls the network
// meanwhile (the only P is busy, and sysmon's first poll comes 10 ms after start), so the
// findRunnable that follows wg.Wait polls them all at once (step 9): it runs list.pop() -- the
// LAST pipe written -- and injectglist puts the others on the local ring in stack order: the
// wake-ups come in the reverse of the write order.  The last line, "#busy_end_us N", is when
// the busy loop ended (from main's start): a run past sysmon's 10 ms poll is discarded.
//
//	usage: netpollstack N BUSY (BUSY in milliseconds)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var wg sync.WaitGroup

func reader(g int, r *os.File) {
	recorder.Add('r', int64(g), 0, 0)
	var b [1]byte
	if _, err := r.Read(b[:]); err != nil {
		panic(err)
	}
	recorder.Add('w', int64(g), 0, 0)
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 3, "netpollstack N BUSY")
	n, err1 := strconv.Atoi(os.Args[1])
	busyMs, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && n > 0 && n <= 100 && busyMs >= 0,
		"netpollstack N BUSY")
	rs := make([]*os.File, n)
	ws := make([]*os.File, n)
	for g := 0; g < n; g++ {
		r, w, err := os.Pipe()
		if err != nil {
			panic(err)
		}
		rs[g], ws[g] = r, w
	}
	recorder.Start()
	wg.Add(n)
	for g := 0; g < n; g++ {
		go reader(g, rs[g])
	}
	runtime.Gosched()
	recorder.Add('b', 0, 0, 0)
	for g := 0; g < n; g++ {
		if _, err := ws[g].Write([]byte{1}); err != nil {
			panic(err)
		}
	}
	busy := time.Duration(busyMs) * time.Millisecond
	t0 := time.Now()
	for time.Since(t0) < busy {
	}
	recorder.Add('e', 0, 0, 0)
	busyEnd := recorder.Since()
	wg.Wait()
	recorder.Meta("busy_end_us", busyEnd.Microseconds())
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'r' || r.Kind == 'w' {
			return fmt.Sprintf("%c%d", r.Kind, r.A)
		}
		return string(r.Kind)
	})
}
