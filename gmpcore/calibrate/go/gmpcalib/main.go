// gmpcalib: the Go side of `gmpcore calibrate` (microbenchmarks) and of the multi-P oracle
// workloads (gmpcore.calibrate.go_workloads).  Standard library only.
//
//	gmpcalib micro NAME -reps R -n N        one JSON line: {"name", "unit", "samples": [...]}
//	gmpcalib workload NAME -procs P -n N -work ITERS [-exp] [-reps R]
//	                                        one JSON line per repetition (wall time, the
//	                                        runtime's /sched/latencies:seconds p50/p90, ...)
//
// Every sample of a microbenchmark is the mean cost of one operation over a batch of -n
// operations; Python takes the median and the interquartile range over the -reps samples.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gmpcalib micro|workload NAME [flags]")
		os.Exit(2)
	}
	kind, name := os.Args[1], os.Args[2]
	fs := flag.NewFlagSet(kind, flag.ExitOnError)
	reps := fs.Int("reps", 5, "repetitions")
	n := fs.Int("n", 0, "operations per repetition (0: the benchmark's default)")
	procs := fs.Int("procs", 1, "GOMAXPROCS (workloads)")
	work := fs.Int("work", 0, "iterations of the unit-work loop per goroutine (workloads)")
	exp := fs.Bool("exp", false, "draw each goroutine's work from an exponential with mean -work")
	fs.Parse(os.Args[3:])
	switch kind {
	case "micro":
		b, ok := micros[name]
		if !ok {
			fail("unknown microbenchmark %q; known: %v", name, keys(micros))
		}
		if *n <= 0 {
			*n = b.n
		}
		samples := make([]float64, 0, *reps)
		for r := 0; r < *reps; r++ {
			samples = append(samples, b.run(*n))
		}
		emit(map[string]any{"name": name, "unit": b.unit, "n": *n, "samples": samples,
			"goversion": runtime.Version(), "gomaxprocs": runtime.GOMAXPROCS(0)})
	case "workload":
		w, ok := workloads[name]
		if !ok {
			fail("unknown workload %q; known: %v", name, keys(workloads))
		}
		if *n <= 0 || *procs <= 0 || *work < 0 {
			fail("workload needs -n > 0, -procs > 0 and -work >= 0")
		}
		runtime.GOMAXPROCS(*procs)
		for r := 0; r < *reps; r++ {
			out := runWorkload(w, *n, *work, *exp)
			out["name"], out["procs"], out["n"], out["work"], out["rep"] = name, *procs, *n, *work, r
			out["goversion"] = runtime.Version()
			emit(out)
		}
	default:
		fail("unknown kind %q (micro or workload)", kind)
	}
}

func emit(v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail("%v", err)
	}
	fmt.Println(string(b))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gmpcalib: "+format+"\n", args...)
	os.Exit(2)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sink keeps the unit-work loop from being optimised away.
var sink uint64

// spin is one unit of user work: `iters` steps of a 64-bit LCG, a dependent chain the
// compiler cannot fold.  The workloads and the "work" microbenchmark use this one loop, so a
// DSL program can convert nanoseconds of Go code into iterations and cycles.
//
//go:noinline
func spin(iters int) {
	x := sink | 1
	for i := 0; i < iters; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink += x
}
