// Package recorder is what every oracle program shares: goroutines record what they do into a
// preallocated array through an atomic index (never printing: a write is a system call and
// could perturb scheduling), and main prints the records, one label per line, once every
// goroutine is done, followed by "#key value" lines (timings the tests use to discard runs
// the machine disturbed).
package recorder

import (
	"bufio"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// Rec is one record: a kind letter and up to three numbers (goroutine, iteration, value, as
// the program uses them), and for AddTimed the time since Start.
type Rec struct {
	Kind    byte
	A, B, C int64
	At      time.Duration
}

// Cap is how many records a run can hold; programs reject arguments that need more.
const Cap = 1 << 16

var recs [Cap]Rec
var n int64
var t0 = time.Now()
var meta []string

// Start sets the zero of AddTimed's times and Since (main calls it when the measured part
// begins; without it, the zero is the program's start).
func Start() { t0 = time.Now() }

// Since is the time since Start.
func Since() time.Duration { return time.Since(t0) }

// Add records (kind, a, b, c).
func Add(kind byte, a, b, c int64) {
	k := atomic.AddInt64(&n, 1) - 1
	recs[k] = Rec{Kind: kind, A: a, B: b, C: c}
}

// AddTimed records (kind, a, b, c) and the time since Start.
func AddTimed(kind byte, a, b, c int64) {
	k := atomic.AddInt64(&n, 1) - 1
	recs[k] = Rec{kind, a, b, c, time.Since(t0)}
}

// Records is every record so far, in the order they were made.
func Records() []Rec { return recs[:atomic.LoadInt64(&n)] }

// Meta adds a "#key value" line to what Print writes after the labels.
func Meta(key string, value int64) { meta = append(meta, fmt.Sprintf("#%s %d", key, value)) }

// Print writes label(r) for every record, one per line, then the Meta lines.
func Print(label func(Rec) string) {
	out := bufio.NewWriter(os.Stdout)
	for _, r := range Records() {
		fmt.Fprintln(out, label(r))
	}
	for _, m := range meta {
		fmt.Fprintln(out, m)
	}
	out.Flush()
}

// Usage panics with the program's usage line unless ok.
func Usage(ok bool, usage string) {
	if !ok {
		panic("usage: " + usage)
	}
}
