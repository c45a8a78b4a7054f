// Context cancellation: root := WithCancel(Background), child := WithCancel(root).  Main
// starts N goroutines that record "a<i>" and wait in <-root.Done(), then N that record "b<i>"
// and wait in a select on child.Done() (and a channel nobody sends on).  Main sleeps 1 ms at a
// time until all of them have recorded (on one P a goroutine runs from its record to its
// park without a break; "#sleeps" > 1 marks a run the machine disturbed), then calls root's
// cancel: root's Done is closed (its receivers readied from
// closechan's stack into runnext), then the child's; main records "c".  Each woken goroutine
// records "A<i>" or "B<i>".
//
//	usage: cancelwake N
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"oracle/recorder"
)

var (
	wg      sync.WaitGroup
	started atomic.Int64
)

func onRoot(i int, ctx context.Context) {
	recorder.Add('a', int64(i), 0, 0)
	started.Add(1)
	<-ctx.Done()
	recorder.Add('A', int64(i), 0, 0)
	wg.Done()
}

func onChild(i int, ctx context.Context, never chan int64) {
	recorder.Add('b', int64(i), 0, 0)
	started.Add(1)
	select {
	case <-ctx.Done():
		recorder.Add('B', int64(i), 0, 0)
	case <-never:
		recorder.Add('X', int64(i), 0, 0)
	}
	wg.Done()
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && n >= 1 && 4*n+1 <= recorder.Cap, "cancelwake N")
	root, cancel := context.WithCancel(context.Background())
	child, cancelChild := context.WithCancel(root)
	defer cancelChild()
	never := make(chan int64)
	wg.Add(2 * n)
	for i := 0; i < n; i++ {
		go onRoot(i, root)
	}
	for i := 0; i < n; i++ {
		go onChild(i, child, never)
	}
	sleeps := 0
	for started.Load() < int64(2*n) {
		time.Sleep(time.Millisecond)
		sleeps++
	}
	recorder.Meta("sleeps", int64(sleeps))
	cancel()
	recorder.Add('c', 0, 0, 0)
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'c' {
			return "c"
		}
		return fmt.Sprintf("%c%d", r.Kind, r.A)
	})
}
