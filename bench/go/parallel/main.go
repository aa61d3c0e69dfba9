// SPDX-License-Identifier: BSD-3-Clause

// parallel: 64 goroutines each running 50,000,000 xorshift64 steps, main
// waits; at GOMAXPROCS 1, then 2.  Metric: speedup t1/t2.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"grtbench/common"
)

const workers = 64

var results [workers]uint64

func xorshiftLoop(x uint64, n int64) uint64 {
	for i := int64(0); i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func round(iters int64) (time.Duration, uint64) {
	results = [workers]uint64{}
	var wg sync.WaitGroup
	wg.Add(workers)
	t0 := time.Now()
	for i := 0; i < workers; i++ {
		go func(id int) {
			results[id] = xorshiftLoop(0x9E3779B97F4A7C15*uint64(id+1), iters)
			wg.Done()
		}(i)
	}
	wg.Wait()
	dt := time.Since(t0)
	var x uint64
	for _, r := range results {
		x ^= r
	}
	return dt, x
}

func main() {
	iters := common.N(50000000, 1000)
	runtime.GOMAXPROCS(1)
	t1, c1 := round(iters)
	runtime.GOMAXPROCS(2)
	t2, c2 := round(iters)
	fmt.Printf("parallel procs=1,2 n=%d metric=%.3f speedup t1=%.1f ms t2=%.1f ms check=%016x\n",
		workers, float64(t1)/float64(t2), float64(t1.Nanoseconds())/1e6,
		float64(t2.Nanoseconds())/1e6, c2)
	if c1 != c2 {
		fmt.Fprintln(os.Stderr, "parallel: results differ between rounds")
		os.Exit(1)
	}
}
