// SPDX-License-Identifier: BSD-3-Clause

// sleep: procs=2; 10,000 goroutines each sleeping 1 ms 100 times.
package main

import (
	"fmt"
	"sync"
	"time"

	"grtbench/common"
)

const rounds = 100

func main() {
	procs := common.Procs(1, 2)
	n := common.N(10000, 100)
	time.Sleep(time.Millisecond) // as the C side's probe
	var wg sync.WaitGroup
	wg.Add(int(n))
	c0 := common.CPUSeconds()
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		go func() {
			for r := 0; r < rounds; r++ {
				time.Sleep(time.Millisecond)
			}
			wg.Done()
		}()
	}
	wg.Wait()
	dt := time.Since(t0)
	cpu := common.CPUSeconds() - c0
	fmt.Printf("sleep procs=%d n=%d metric=%.1f ms cpu=%.3f s\n", procs, n,
		float64(dt.Nanoseconds())/1e6, cpu)
}
