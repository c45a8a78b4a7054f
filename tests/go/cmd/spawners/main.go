// several spawners: main starts K spawners in a loop; spawner j records "s<j>" then starts M
// workers in a loop; worker i of spawner j records "w<j>.<i>".
//
//	usage: spawners K M
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var m int

func worker(j, i int) {
	recorder.Add('w', int64(j), int64(i), 0)
	wg.Done()
}

func spawner(j int) {
	recorder.Add('s', int64(j), 0, 0)
	for i := 0; i < m; i++ {
		go worker(j, i)
	}
}

func main() {
	k, err1 := strconv.Atoi(os.Args[1])
	mm, err2 := strconv.Atoi(os.Args[2])
	recorder.Usage(err1 == nil && err2 == nil && k >= 1 && mm >= 1 && k*(mm+1) <= recorder.Cap,
		"spawners K M")
	m = mm
	wg.Add(k * m)
	for j := 0; j < k; j++ {
		go spawner(j)
	}
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string {
		if r.Kind == 'w' {
			return fmt.Sprintf("w%d.%d", r.A, r.B)
		}
		return fmt.Sprintf("s%d", r.A)
	})
}
