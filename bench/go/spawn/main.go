// SPDX-License-Identifier: BSD-3-Clause

// spawn: N goroutines each doing wg.Done and returning; main waits.
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
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	dt := time.Since(t0)
	fmt.Printf("spawn procs=%d n=%d metric=%.1f ns/goroutine\n", procs, n,
		float64(dt.Nanoseconds())/float64(n))
}
