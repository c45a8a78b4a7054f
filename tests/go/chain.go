// spawn chains: main starts N chains in a loop; in chain i, level k records "<k>.<i>" and
// starts level k+1, up to level D-1.
//
//	usage: chain D N
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
var depth int

func lvl(k, i int) {
	rec(int64(k)<<32 | int64(i))
	if k+1 < depth {
		go lvl(k+1, i)
	} else {
		wg.Done()
	}
}

func main() {
	d, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || d < 1 || n < 1 || d*n > len(order) {
		panic("usage: chain D N")
	}
	depth = d
	wg.Add(n)
	for i := 0; i < n; i++ {
		go lvl(0, i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for k := int64(0); k < idx; k++ {
		fmt.Fprintf(out, "%d.%d\n", order[k]>>32, order[k]&(1<<32-1))
	}
	out.Flush()
}
