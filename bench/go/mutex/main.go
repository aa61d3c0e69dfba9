// SPDX-License-Identifier: BSD-3-Clause

// mutex: procs=2; 4 goroutines x 1,000,000 x {Lock; counter++; Unlock}.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"grtbench/common"
)

const workers = 4

func main() {
	procs := common.Procs(1, 2)
	n := common.N(1000000, 1000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var counter int64
	wg.Add(workers)
	t0 := time.Now()
	for w := 0; w < workers; w++ {
		go func() {
			for i := int64(0); i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	dt := time.Since(t0)
	total := workers * n
	fmt.Printf("mutex procs=%d n=%d metric=%.2f ns/lock check=%d\n", procs, total,
		float64(dt.Nanoseconds())/float64(total), counter)
	if counter != total {
		fmt.Fprintf(os.Stderr, "mutex: counter %d, want %d\n", counter, total)
		os.Exit(1)
	}
}
