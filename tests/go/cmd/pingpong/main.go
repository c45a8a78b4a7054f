// unbuffered ping-pong between pairs: main starts, for each pair i, a pinger and a ponger
// sharing two unbuffered channels.  For it in 0..K-1 the pinger sends it on ping and receives
// the echo on pong, then records "a<i>.<it>.<v>"; the ponger receives v on ping, records
// "b<i>.<it>.<v>" and sends v back on pong.
//
//	usage: pingpong PAIRS K
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

type rec struct {
	kind     byte
	g, it, v int64
}

var recs [1 << 16]rec
var idx int64

func record(kind byte, g, it, v int64) {
	n := atomic.AddInt64(&idx, 1) - 1
	recs[n] = rec{kind, g, it, v}
}

var wg sync.WaitGroup
var k int

func pinger(i int, ping, pong chan int64) {
	for it := 0; it < k; it++ {
		ping <- int64(it)
		v := <-pong
		record('a', int64(i), int64(it), v)
	}
	wg.Done()
}

func ponger(i int, ping, pong chan int64) {
	for it := 0; it < k; it++ {
		v := <-ping
		record('b', int64(i), int64(it), v)
		pong <- v
	}
	wg.Done()
}

func main() {
	pairs, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || pairs < 1 || kk < 1 || 2*pairs*kk > len(recs) {
		panic("usage: pingpong PAIRS K")
	}
	k = kk
	wg.Add(2 * pairs)
	for i := 0; i < pairs; i++ {
		ping, pong := make(chan int64), make(chan int64)
		go pinger(i, ping, pong)
		go ponger(i, ping, pong)
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); n < idx; n++ {
		r := recs[n]
		fmt.Fprintf(out, "%c%d.%d.%d\n", r.kind, r.g, r.it, r.v)
	}
	out.Flush()
}
