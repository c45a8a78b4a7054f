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
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var starts [1 << 12]time.Duration
var wg sync.WaitGroup
var recvLate, sendLate time.Duration

func receiver(k int, timeout time.Duration, ch chan int64) {
	for it := 0; it < k; it++ {
		starts[it] = recorder.Since()
		select {
		case v := <-ch:
			recorder.AddTimed('r', int64(it), v, 0)
		case <-time.After(timeout):
			recorder.AddTimed('t', int64(it), 0, 0)
			recvLate = max(recvLate, recorder.Since()-(starts[it]+timeout))
		}
	}
	wg.Done()
}

func sender(ds []time.Duration, ch chan int64) {
	for j, d := range ds {
		before := recorder.Since()
		time.Sleep(d)
		sendLate = max(sendLate, recorder.Since()-(before+d))
		ch <- int64(j)
		recorder.AddTimed('s', int64(j), 0, 0)
	}
}

func main() {
	recorder.Usage(len(os.Args) >= 4, "selecttimeout K T D_0 D_1 ...")
	var ms []int
	for _, a := range os.Args[1:] {
		v, err := strconv.Atoi(a)
		recorder.Usage(err == nil && v >= 0, "selecttimeout K T D_0 D_1 ...")
		ms = append(ms, v)
	}
	k, timeout := ms[0], time.Duration(ms[1])*time.Millisecond
	recorder.Usage(k >= 1 && k <= len(starts) && 2*k+len(ms) <= recorder.Cap,
		"selecttimeout K T D_0 D_1 ...")
	var ds []time.Duration
	for _, d := range ms[2:] {
		ds = append(ds, time.Duration(d)*time.Millisecond)
	}
	ch := make(chan int64)
	wg.Add(1)
	recorder.Start()
	go receiver(k, timeout, ch)
	go sender(ds, ch)
	wg.Wait()
	var sends []time.Duration
	for _, r := range recorder.Records() {
		if r.Kind == 's' {
			sends = append(sends, r.At)
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
	recorder.Meta("unsent", int64(len(ds)-len(sends)))
	recorder.Meta("min_margin_us", margin.Microseconds())
	recorder.Meta("max_late_us", max(recvLate, sendLate).Microseconds())
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'r':
			return fmt.Sprintf("r.%d.%d", r.A, r.B)
		case 't':
			return fmt.Sprintf("t.%d", r.A)
		}
		return fmt.Sprintf("s.%d", r.A)
	})
}
