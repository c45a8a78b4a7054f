// spawn N: main starts N workers in a loop; worker i records its index.
//
//	usage: spawn N
//
// Prints one line per record, in execution order: "w<i>".
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// Goroutines never print (a write is a syscall and can perturb scheduling): they append to a
// preallocated array through an atomic index, and main prints everything at the end.
var order [1 << 15]int64
var idx int64

func rec(v int64) { k := atomic.AddInt64(&idx, 1) - 1; order[k] = v }

var wg sync.WaitGroup

func worker(i int) {
	rec(int64(i))
	wg.Done()
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 || n > len(order) {
		panic("usage: spawn N")
	}
	wg.Add(n)
	for i := 0; i < n; i++ {
		go worker(i)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for k := int64(0); k < idx; k++ {
		fmt.Fprintf(out, "w%d\n", order[k])
	}
	out.Flush()
}
