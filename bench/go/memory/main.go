// SPDX-License-Identifier: BSD-3-Clause

// memory: procs=2; N goroutines all parked receiving on one channel;
// (VmRSS after - before) / N in KiB, and create=: ns per goroutine from the
// first go statement until every goroutine has started.
//
//	memory [procs [count]]   count: N exactly (the memory scaling section);
//	                         without it N = 100,000 x $GRT_BENCH_SCALE
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"grtbench/common"
)

func main() {
	procs := common.Procs(1, 2)
	n := common.N(100000, 1000)
	if len(os.Args) > 2 {
		v, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil || v < 1 {
			fmt.Fprintln(os.Stderr, "memory: count must be positive")
			os.Exit(2)
		}
		n = v
	}
	ch := make(chan int)
	var started sync.WaitGroup
	started.Add(int(n))
	before := common.VmRSSKiB()
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		go func() {
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	dt := time.Since(t0)
	time.Sleep(50 * time.Millisecond) // let the last ones park
	after := common.VmRSSKiB()
	if before < 0 || after < 0 {
		fmt.Fprintln(os.Stderr, "memory: cannot read VmRSS")
		os.Exit(1)
	}
	fmt.Printf("memory procs=%d n=%d metric=%.3f KiB/goroutine create=%.1f check=%d\n", procs, n,
		float64(after-before)/float64(n), float64(dt.Nanoseconds())/float64(n),
		runtime.NumGoroutine())
	close(ch)
}
