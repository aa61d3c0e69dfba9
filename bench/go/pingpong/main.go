// SPDX-License-Identifier: BSD-3-Clause

// pingpong: 2 goroutines, two unbuffered int channels, N round trips.
package main

import (
	"fmt"
	"sync"
	"time"

	"grtbench/common"
)

func main() {
	procs := common.Procs(1, 0)
	n := common.N(1000000, 1000)
	ping := make(chan int)
	pong := make(chan int)
	var wg sync.WaitGroup
	var last int
	wg.Add(2)
	t0 := time.Now()
	go func() { // ponger
		for i := int64(0); i < n; i++ {
			v := <-ping
			pong <- v + 1
		}
		wg.Done()
	}()
	go func() { // pinger
		v := 0
		for i := int64(0); i < n; i++ {
			ping <- int(i)
			v = <-pong
		}
		last = v
		wg.Done()
	}()
	wg.Wait()
	dt := time.Since(t0)
	fmt.Printf("pingpong procs=%d n=%d metric=%.1f ns/roundtrip check=%d\n", procs, n,
		float64(dt.Nanoseconds())/float64(n), last)
}
