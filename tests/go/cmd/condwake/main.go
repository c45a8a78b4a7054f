// sync.Cond: main starts N waiters, each of which locks mu, records "w<i>" and waits on the
// Cond (notifyListAdd, Unlock, notifyListWait).  Main sleeps 1 ms at a time until all of them
// hold a ticket (counted under mu; "#sleeps" says how many sleeps that took: more than one
// means the machine delayed the waiters, a disturbed run).  Then main signals
// S times (each Signal readies the waiter with the oldest ticket into runnext, under mu),
// recording "s<j>", then broadcasts the rest ("b").  A woken waiter re-locks mu, records
// "r<i>" and unlocks.
//
//	usage: condwake N S
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"oracle/recorder"
)

var (
	wg     sync.WaitGroup
	mu     sync.Mutex
	c      = sync.NewCond(&mu)
	parked int
)

func waiter(i int) {
	mu.Lock()
	recorder.Add('w', int64(i), 0, 0)
	parked++
	c.Wait()
	recorder.Add('r', int64(i), 0, 0)
	mu.Unlock()
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	s, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && n >= 1 && 0 <= s && s <= n && 3*n+1 <= recorder.Cap,
		"condwake N S")
	wg.Add(n)
	for i := 0; i < n; i++ {
		go waiter(i)
	}
	sleeps := 0
	mu.Lock()
	for parked < n {
		mu.Unlock()
		time.Sleep(time.Millisecond)
		sleeps++
		mu.Lock()
	}
	mu.Unlock()
	recorder.Meta("sleeps", int64(sleeps))
	for j := 0; j < s; j++ {
		mu.Lock()
		c.Signal()
		recorder.Add('s', int64(j), 0, 0)
		mu.Unlock()
	}
	mu.Lock()
	c.Broadcast()
	recorder.Add('b', 0, 0, 0)
	mu.Unlock()
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		switch r.Kind {
		case 'w', 'r', 's':
			return fmt.Sprintf("%c%d", r.Kind, r.A)
		}
		return "b"
	})
}
