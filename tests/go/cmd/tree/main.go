// a fan-out tree, one recursive function: node(depth, id) records "n<depth>.<id>"; above the
// leaves it starts F children node(depth-1, id*F+i) in a loop, and a leaf calls wg.Done.
//
//	usage: tree DEPTH F
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"oracle/recorder"
)

var wg sync.WaitGroup
var fanout int

func node(depth, id int) {
	recorder.Add('n', int64(depth), int64(id), 0)
	if depth > 0 {
		for i := 0; i < fanout; i++ {
			go node(depth-1, id*fanout+i)
		}
	} else {
		wg.Done()
	}
}

func main() {
	depth, err1 := strconv.Atoi(os.Args[1])
	f, err2 := strconv.Atoi(os.Args[2])
	ok := err1 == nil && err2 == nil && depth >= 0 && f >= 1
	nodes, leaves := 0, 1
	for d := 0; ok && d <= depth; d++ {
		nodes += leaves
		if d < depth {
			leaves *= f
		}
		ok = nodes <= recorder.Cap
	}
	recorder.Usage(ok, "tree DEPTH F")
	fanout = f
	wg.Add(leaves)
	go node(depth, 0)
	wg.Wait()
	recorder.Print(func(r recorder.Rec) string { return fmt.Sprintf("n%d.%d", r.A, r.B) })
}
