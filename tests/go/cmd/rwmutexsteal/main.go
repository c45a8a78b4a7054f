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
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var order [1 << 12]string
var idx int64

func rec(s string) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = s }

var wg sync.WaitGroup
var rw sync.RWMutex

func late() {
	rw.RLock()
	rec("rL")
	rec("qL")
	rw.RUnlock()
	wg.Done()
}

func first() {
	rw.RLock()
	rec("r0")
	go late()
	rec("q0")
	rw.RUnlock()
	wg.Done()
}

func reader(i int) {
	rw.RLock()
	rec("r" + strconv.Itoa(i))
	rec("q" + strconv.Itoa(i))
	rw.RUnlock()
	wg.Done()
}

func writer() {
	rw.Lock()
	rec("w1")
	rec("u1")
	rw.Unlock()
	wg.Done()
}

func main() {
	r, err := strconv.Atoi(os.Args[1])
	if err != nil || r < 0 || 2*r+10 > len(order) {
		panic("usage: rwmutexsteal R")
	}
	wg.Add(r + 3)
	t0 := time.Now()
	rw.Lock()
	rec("w0")
	go first()
	for i := 1; i <= r; i++ {
		go reader(i)
	}
	go writer()
	runtime.Gosched()
	rec("u0")
	rw.Unlock()
	wg.Wait()
	elapsed := time.Since(t0)
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		fmt.Fprintln(out, order[i])
	}
	fmt.Fprintf(out, "#elapsed_us %d\n", elapsed.Microseconds())
	out.Flush()
}
