// a reader that arrives while readers released by Unlock have not run yet, and a second writer
// is already pending: it takes the read semaphore's count (semacquire1's cansemacquire fast
// path) before a released reader runs; that reader then finds the count gone and queues again.
//
//	main:   Lock, record "w0", start first, R readers, writer; Gosched (they all park:
//	        the writer on the writer mutex, the readers on readerSem); record "u0", Unlock
//	first:  RLock, record "r0", start late, record "q0", RUnlock
//	reader: RLock, record "r<i>", record "q<i>", RUnlock            (i = 1..R)
//	writer: Lock, record "w1", record "u1", Unlock
//	late:   RLock, record "rL", record "qL", RUnlock
//
//	usage: rwmutexsteal R
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var rw sync.RWMutex

const lateReader = -1 // the late reader's number (printed "L")

func rec(kind byte, i int) { recorder.Add(kind, int64(i), 0, 0) }

func late() {
	rw.RLock()
	rec('r', lateReader)
	rec('q', lateReader)
	rw.RUnlock()
	wg.Done()
}

func first() {
	rw.RLock()
	rec('r', 0)
	go late()
	rec('q', 0)
	rw.RUnlock()
	wg.Done()
}

func reader(i int) {
	rw.RLock()
	rec('r', i)
	rec('q', i)
	rw.RUnlock()
	wg.Done()
}

func writer() {
	rw.Lock()
	rec('w', 1)
	rec('u', 1)
	rw.Unlock()
	wg.Done()
}

func main() {
	r, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && r >= 0 && 2*r+10 <= recorder.Cap, "rwmutexsteal R")
	wg.Add(r + 3)
	recorder.Start()
	rw.Lock()
	rec('w', 0)
	go first()
	for i := 1; i <= r; i++ {
		go reader(i)
	}
	go writer()
	runtime.Gosched()
	rec('u', 0)
	rw.Unlock()
	wg.Wait()
	recorder.Meta("elapsed_us", recorder.Since().Microseconds())
	recorder.Print(func(r recorder.Rec) string {
		if r.A == lateReader {
			return fmt.Sprintf("%cL", r.Kind)
		}
		return fmt.Sprintf("%c%d", r.Kind, r.A)
	})
}
