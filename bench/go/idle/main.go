// SPDX-License-Identifier: BSD-3-Clause

// idle: procs=2; main sleeps 5 s with 1,000 goroutines parked receiving on
// channels and 10 goroutines on 1 s tickers; CPU seconds used in those 5 s.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"grtbench/common"
)

const (
	parked  = 1000
	tickers = 10
)

func main() {
	procs := common.Procs(1, 2)
	var started sync.WaitGroup
	var ticks int64
	started.Add(parked + tickers)
	chans := make([]chan int, parked)
	for i := range chans {
		chans[i] = make(chan int)
		go func(c chan int) {
			started.Done()
			<-c
		}(chans[i])
	}
	for i := 0; i < tickers; i++ {
		t := time.NewTicker(time.Second)
		go func() {
			started.Done()
			for range t.C {
				atomic.AddInt64(&ticks, 1)
			}
		}()
	}
	started.Wait()
	c0 := common.CPUSeconds()
	t0 := time.Now()
	time.Sleep(5 * time.Second)
	dt := time.Since(t0)
	cpu := common.CPUSeconds() - c0
	fmt.Printf("idle procs=%d n=%d metric=%.4f cpu_s wall=%.0f ms ticks=%d\n", procs,
		parked+tickers, cpu, float64(dt.Nanoseconds())/1e6, atomic.LoadInt64(&ticks))
}
