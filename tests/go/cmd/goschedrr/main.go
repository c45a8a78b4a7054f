// Gosched round-robin: main starts N goroutines; goroutine g loops K times recording
// "g<g>.<it>" and calling runtime.Gosched().
//
//	usage: goschedrr N K
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
var k int

func looper(g int) {
	for it := 0; it < k; it++ {
		recorder.Add('g', int64(g), int64(it), 0)
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n, err1 := strconv.Atoi(os.Args[1])
	kk, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && n >= 1 && kk >= 1 && n*kk <= recorder.Cap,
		"goschedrr N K")
	k = kk
	wg.Add(n)
	for i := 0; i < n; i++ {
		go looper(i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("g%d.%d", r.A, r.B) })
}
