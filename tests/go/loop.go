// a loop inside a goroutine: main starts G loopers in a loop; looper g runs L iterations, each
// records "l<g>.<it>" and starts a child that records "k<g>.<it>".  With a third argument
// "gosched", the looper calls runtime.Gosched() at the end of every iteration.
//
//	usage: loop G L [gosched]
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

var order [1 << 15]int64
var idx int64

func rec(v int64) { k := atomic.AddInt64(&idx, 1) - 1; order[k] = v }

var wg sync.WaitGroup
var iters int
var yield bool

const childBit = 1 << 62

func child(g, it int) {
	rec(childBit | int64(g)<<32 | int64(it))
	wg.Done()
}

func looper(g int) {
	for it := 0; it < iters; it++ {
		rec(int64(g)<<32 | int64(it))
		go child(g, it)
		if yield {
			runtime.Gosched()
		}
	}
}

func main() {
	g, err1 := strconv.Atoi(os.Args[1])
	l, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || g < 1 || l < 1 || 2*g*l > len(order) {
		panic("usage: loop G L [gosched]")
	}
	iters = l
	yield = len(os.Args) > 3 && os.Args[3] == "gosched"
	wg.Add(g * l)
	for i := 0; i < g; i++ {
		go looper(i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		v := order[n]
		kind := "l"
		if v&childBit != 0 {
			kind = "k"
			v &^= childBit
		}
		fmt.Fprintf(out, "%s%d.%d\n", kind, v>>32, v&(1<<32-1))
	}
	out.Flush()
}
