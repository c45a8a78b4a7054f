// A newcomer takes the semaphore count meant for a woken waiter (internal/sync/mutex.go over
// runtime/sema.go, at GOMAXPROCS=1):
//
//  1. main locks mu and starts g1, which blocks in Lock (queued on the semaphore, lifo=false);
//  2. main unlocks: unlockSlow sets mutexWoken and semrelease1 adds one to m.sema and readies
//     g1 into runnext -- without the count (handoff=false);
//  3. main locks mu again (it is free), starts g2 (runnext; g1 goes to the ring) and yields:
//     g2's Lock finds mu held, counts itself as a waiter and calls runtime_SemacquireMutex,
//     whose easy case takes the count; lockSlow goes round as `awoke`, finds mu held and queues
//     g2 again, now at the FRONT (queueLifo: it has waited before);
//  4. g1 runs: semacquire1's loop finds no count and queues g1 again with its call's
//     lifo=false, at the TAIL;
//  5. main unlocks and waits: the front waiter, g2, gets mu first.
//
// Each goroutine records "a<g>" before Lock and "l<g>" once it holds mu; main records "u" at
// each Unlock.  N rounds of the whole sequence (fresh goroutines each time).
//
//	usage: mutexcount N
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var mu sync.Mutex
var wg sync.WaitGroup

func locker(g int) {
	recorder.Add('a', int64(g), 0, 0)
	mu.Lock()
	recorder.Add('l', int64(g), 0, 0)
	mu.Unlock()
	wg.Done()
}

func main() {
	recorder.Usage(len(os.Args) == 2, "mutexcount N")
	n, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && n > 0 && n <= 1000, "mutexcount N")
	for r := 0; r < n; r++ {
		wg.Add(2)
		mu.Lock()
		go locker(2*r + 1)
		runtime.Gosched()
		recorder.Add('u', 0, 0, 0)
		mu.Unlock()
		mu.Lock()
		go locker(2*r + 2)
		runtime.Gosched()
		recorder.Add('u', 0, 0, 0)
		mu.Unlock()
		wg.Wait()
	}
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'u' {
			return "u"
		}
		return fmt.Sprintf("%c%d", r.Kind, r.A)
	})
}
