// a select with a timeout case: main starts a receiver and a sender and waits for the
// receiver, which runs K times
//
//	select { case v := <-ch: "r.<it>.<v>"  case <-time.After(T): "t.<it>" }
//
// on an unbuffered channel; the sender, for j = 0, 1, ..., sleeps D_j ms, sends j (always to
// the receiver parked in its select: it re-selects as soon as it has recorded) and records
// "s.<j>".  The test picks K so that the last select receives the last value.  A timer that
// fires readies the receiver from findRunnable (or the M blocked in netpoll until it); a send
// hands the value over and readies the receiver into the sender's runnext, and the sender
// records before it sleeps again.  The Go 1.23+ timer channels are pinned below (synchronous:
// a time.After timer is in the P's heap only while a select waits on it).
//
// main waits for the receiver only: in a run disturbed by the machine (a timeout that should
// have lost to a send) the sender is left behind instead of deadlocking.  The last three
// lines say whether the run was disturbed: "#unsent N" counts the values the sender had not
// sent when the receiver was done (0 by design); "#min_margin_us N" is the smallest distance,
// over the receiver's selects, between its deadline and the send that came next (>= 3 ms by
// design); "#max_late_us N" is how late the latest timer-driven wake-up was (a timeout, or
// the end of one of the sender's sleeps), measured from when its timer was set.  The test
// keeps a run only if all was sent, the margin is >= 1 ms and no wake-up was 1 ms late: then
// no select can have decided otherwise than the measured times say, and since every send
// re-synchronizes the receiver with the sender, the measured times drift from the ideal ones
// by less than 1 ms per wake-up since the last send (< 3 ms with <= 2 timeouts in a row),
// which cannot turn a 3 ms margin into a 1 ms one on the other side.
//
//	usage: selecttimeout K T D_0 D_1 ... (milliseconds)
//
//go:debug asynctimerchan=0
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type rec struct {
	kind  byte
	it, v int64
	at    time.Duration
}

var recs [1 << 12]rec
var idx int64
var t0 time.Time

func record(kind byte, it, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, it, v, time.Since(t0)}
}

var starts [1 << 12]time.Duration
var wg sync.WaitGroup
var recvLate, sendLate time.Duration

func receiver(k int, timeout time.Duration, ch chan int64) {
	for it := 0; it < k; it++ {
		starts[it] = time.Since(t0)
		select {
		case v := <-ch:
			record('r', int64(it), v)
		case <-time.After(timeout):
			record('t', int64(it), 0)
			recvLate = max(recvLate, time.Since(t0)-(starts[it]+timeout))
		}
	}
	wg.Done()
}

func sender(ds []time.Duration, ch chan int64) {
	for j, d := range ds {
		before := time.Since(t0)
		time.Sleep(d)
		sendLate = max(sendLate, time.Since(t0)-(before+d))
		ch <- int64(j)
		record('s', int64(j), 0)
	}
}

func main() {
	if len(os.Args) < 4 {
		panic("usage: selecttimeout K T D_0 D_1 ...")
	}
	var ms []int
	for _, a := range os.Args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 {
			panic("usage: selecttimeout K T D_0 D_1 ...")
		}
		ms = append(ms, v)
	}
	k, timeout := ms[0], time.Duration(ms[1])*time.Millisecond
	if k < 1 || 2*k+len(ms) > len(recs) {
		panic("usage: selecttimeout K T D_0 D_1 ...")
	}
	var ds []time.Duration
	for _, d := range ms[2:] {
		ds = append(ds, time.Duration(d)*time.Millisecond)
	}
	ch := make(chan int64)
	wg.Add(1)
	t0 = time.Now()
	go receiver(k, timeout, ch)
	go sender(ds, ch)
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	var sends []time.Duration
	for n := int64(0); n < idx; n++ {
		r := recs[n]
		switch r.kind {
		case 'r':
			fmt.Fprintf(out, "r.%d.%d\n", r.it, r.v)
		case 't':
			fmt.Fprintf(out, "t.%d\n", r.it)
		default:
			fmt.Fprintf(out, "s.%d\n", r.it)
			sends = append(sends, r.at)
		}
	}
	margin := time.Duration(1 << 62)
	for it := 0; it < k; it++ {
		for _, s := range sends {
			if s > starts[it] {
				d := s - (starts[it] + timeout)
				if d < 0 {
					d = -d
				}
				if d < margin {
					margin = d
				}
				break
			}
		}
	}
	fmt.Fprintf(out, "#unsent %d\n", len(ds)-len(sends))
	fmt.Fprintf(out, "#min_margin_us %d\n", margin.Microseconds())
	fmt.Fprintf(out, "#max_late_us %d\n", max(recvLate, sendLate).Microseconds())
	out.Flush()
}
