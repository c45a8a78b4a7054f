// nested spawns: main starts N parents in a loop; parent i records "p<i>" and starts one child,
// which records "c<i>".
//
//	usage: nested N
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup

func child(i int) {
	recorder.Add('c', int64(i), 0, 0)
	wg.Done()
}

func parent(i int) {
	recorder.Add('p', int64(i), 0, 0)
	go child(i)
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && n >= 1 && 2*n <= recorder.Cap, "nested N")
	wg.Add(n)
	for i := 0; i < n; i++ {
		go parent(i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("%c%d", r.Kind, r.A) })
}
