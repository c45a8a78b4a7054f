// several spawners: main starts K spawners in a loop; spawner j records "s<j>" then starts M
// workers in a loop; worker i of spawner j records "w<j>.<i>".
//
//	usage: spawners K M
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
var m int

const workerBit = 1 << 62

func worker(j, i int) {
	rec(workerBit | int64(j)<<32 | int64(i))
	wg.Done()
}

func spawner(j int) {
	rec(int64(j))
	for i := 0; i < m; i++ {
		go worker(j, i)
	}
}

func main() {
	k, err1 := strconv.Atoi(os.Args[1])
	mm, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || k < 1 || mm < 1 || k*(mm+1) > len(order) {
		panic("usage: spawners K M")
	}
	m = mm
	wg.Add(k * m)
	for j := 0; j < k; j++ {
		go spawner(j)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		v := order[n]
		if v&workerBit != 0 {
			v &^= workerBit
			fmt.Fprintf(out, "w%d.%d\n", v>>32, v&(1<<32-1))
		} else {
			fmt.Fprintf(out, "s%d\n", v)
		}
	}
	out.Flush()
}
