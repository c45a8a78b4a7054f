// a loop inside a goroutine: main starts G loopers in a loop; looper g runs L iterations, each
// records "l<g>.<it>" and starts a child that records "k<g>.<it>".  With a third argument
// "gosched", the looper calls runtime.Gosched() at the end of every iteration.
//
//	usage: loop G L [gosched]
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
var iters int
var yield bool

func child(g, it int) {
	recorder.Add('k', int64(g), int64(it), 0)
	wg.Done()
}

func looper(g int) {
	for it := 0; it < iters; it++ {
		recorder.Add('l', int64(g), int64(it), 0)
		go child(g, it)
		if yield {
			runtime.Gosched()
		}
	}
}

func main() {
	g, err1 := strconv.Atoi(os.Args[1])
	l, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && g >= 1 && l >= 1 && 2*g*l <= recorder.Cap,
		"loop G L [gosched]")
	iters = l
	yield = len(os.Args) > 3 && os.Args[3] == "gosched"
	wg.Add(g * l)
	for i := 0; i < g; i++ {
		go looper(i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d.%d", r.Kind, r.A, r.B) })
}
