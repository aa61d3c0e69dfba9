// SPDX-License-Identifier: BSD-3-Clause

// yield: procs=1; 2 goroutines each calling runtime.Gosched 5,000,000 times.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"grtbench/common"
)

func main() {
	procs := common.Procs(1, 1)
	n := common.N(5000000, 1000)
	var wg sync.WaitGroup
	wg.Add(2)
	worker := func() {
		for i := int64(0); i < n; i++ {
			runtime.Gosched()
		}
		wg.Done()
	}
	t0 := time.Now()
	go worker()
	go worker()
	wg.Wait()
	dt := time.Since(t0)
	fmt.Printf("yield procs=%d n=%d metric=%.2f ns/yield\n", procs, 2*n,
		float64(dt.Nanoseconds())/float64(2*n))
}
