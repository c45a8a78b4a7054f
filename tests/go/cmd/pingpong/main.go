// unbuffered ping-pong between pairs: main starts, for each pair i, a pinger and a ponger
// sharing two unbuffered channels.  For it in 0..K-1 the pinger sends it on ping and receives
// the echo on pong, then records "a<i>.<it>.<v>"; the ponger receives v on ping, records
// "b<i>.<it>.<v>" and sends v back on pong.
//
//	usage: pingpong PAIRS K
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var k int

func pinger(i int, ping, pong chan int64) {
	for it := 0; it < k; it++ {
		ping <- int64(it)
		v := <-pong
		recorder.Add('a', int64(i), int64(it), v)
	}
	wg.Done()
}

func ponger(i int, ping, pong chan int64) {
	for it := 0; it < k; it++ {
		v := <-ping
		recorder.Add('b', int64(i), int64(it), v)
		pong <- v
	}
	wg.Done()
}

func main() {
	pairs, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && pairs >= 1 && kk >= 1 &&
		2*pairs*kk <= recorder.Cap, "pingpong PAIRS K")
	k = kk
	wg.Add(2 * pairs)
	for i := 0; i < pairs; i++ {
		ping, pong := make(chan int64), make(chan int64)
		go pinger(i, ping, pong)
		go ponger(i, ping, pong)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		return fmt.Sprintf("%c%d.%d.%d", r.Kind, r.A, r.B, r.C)
	})
}
