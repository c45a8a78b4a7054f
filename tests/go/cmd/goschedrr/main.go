// Gosched round-robin: main starts N goroutines; goroutine g loops K times recording
// "g<g>.<it>" and calling runtime.Gosched().
//
//	usage: goschedrr N K
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

var order [1 << 16]int64
var idx int64

func rec(v int64) { n := atomic.AddInt64(&idx, 1) - 1; order[n] = v }

var wg sync.WaitGroup
var k int

func looper(g int) {
	for it := 0; it < k; it++ {
		rec(int64(g)<<32 | int64(it))
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || n < 1 || kk < 1 || n*kk > len(order) {
		panic("usage: goschedrr N K")
	}
	k = kk
	wg.Add(n)
	for i := 0; i < n; i++ {
		go looper(i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for i := int64(0); i < idx; i++ {
		fmt.Fprintf(out, "g%d.%d\n", order[i]>>32, order[i]&(1<<32-1))
	}
	out.Flush()
}
