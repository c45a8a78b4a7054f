// spawn chains: main starts N chains in a loop; in chain i, level k records "<k>.<i>" and
// starts level k+1, up to level D-1.
//
//	usage: chain D N
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var depth int

func lvl(k, i int) {
	recorder.Add('l', int64(k), int64(i), 0)
	if k+1 < depth {
		go lvl(k+1, i)
	} else {
		wg.Done()
	}
}

func main() {
	d, err1 := strconv.Atoi(os.Args[1])
	n, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && d >= 1 && n >= 1 && d*n <= recorder.Cap,
		"chain D N")
	depth = d
	wg.Add(n)
	for i := 0; i < n; i++ {
		go lvl(0, i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%d.%d", r.A, r.B) })
}
