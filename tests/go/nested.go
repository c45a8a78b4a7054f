// nested spawns: main starts N parents in a loop; parent i records "p<i>" and starts one child,
// which records "c<i>".
//
//	usage: nested N
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

var order [1 << 15]int64
var idx int64

func rec(v int64) { k := atomic.AddInt64(&idx, 1) - 1; order[k] = v }

var wg sync.WaitGroup

const childBit = 1 << 40

func child(i int) {
	rec(childBit | int64(i))
	wg.Done()
}

func parent(i int) {
	rec(int64(i))
	go child(i)
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 || 2*n > len(order) {
		panic("usage: nested N")
	}
	wg.Add(n)
	for i := 0; i < n; i++ {
		go parent(i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for k := int64(0); k < idx; k++ {
		v := order[k]
		if v&childBit != 0 {
			fmt.Fprintf(out, "c%d\n", v&^childBit)
		} else {
			fmt.Fprintf(out, "p%d\n", v)
		}
	}
	out.Flush()
}
