// spawn N: main starts N workers in a loop; worker i records its index.
//
//	usage: spawn N
//
// Prints one line per record, in execution order: "w<i>".
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup

func worker(i int) {
	recorder.Add('w', int64(i), 0, 0)
	wg.Done()
}

func main() {
	n, err := strconv.Atoi(os.Args[1])
	recorder.Usage(err == nil && n >= 1 && n <= recorder.Cap, "spawn N")
	wg.Add(n)
	for i := 0; i < n; i++ {
		go worker(i)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("w%d", r.A) })
}
