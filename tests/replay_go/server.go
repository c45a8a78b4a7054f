//go:build ignore

// A server over the netpoller: a TCP listener on 127.0.0.1 (an ephemeral port) serves 4
// client goroutines that each send 25 requests; the handler answers after a short
// time.Sleep (a timer) and some work.  Bounded: everything ends within a few hundred ms,
// and a 10 s deadline aborts a stuck run.  Records its runtime/trace to os.Args[1].
package main

import (
	"bufio"
	"net"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func spin(n int) uint64 {
	x := uint64(n)
	for j := 0; j < n; j++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		time.Sleep(200 * time.Microsecond)
		spin(20000)
		if _, err := c.Write([]byte(line)); err != nil {
			return
		}
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	time.AfterFunc(10*time.Second, func() { os.Exit(3) })
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			for k := 0; k < 25; k++ {
				if _, err := c.Write([]byte("ping\n")); err != nil {
					panic(err)
				}
				if _, err := r.ReadString('\n'); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	trace.Stop()
	ln.Close()
	f.Close()
}
