// SPDX-License-Identifier: BSD-3-Clause

// latency: procs=2; 8 goroutines spin in call-free loops for the whole run
// while one more goroutine sleeps 1 ms 2,000 times. Lateness of a sleep is
// the time it actually woke minus the time it asked to wake.
// Metric: p99 lateness in µs, with p50 and max beside it.
package main

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"grtbench/common"
)

const hogs = 8

var sink [hogs]uint64

func hog(id int, stop *int32, wg *sync.WaitGroup) {
	x := uint64(0x9E3779B97F4A7C15) * uint64(id+1)
	// The loop makes no calls; the atomic load is a plain MOV on amd64,
	// like the C side's volatile read.
	for atomic.LoadInt32(stop) == 0 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink[id] = x
	wg.Done()
}

func main() {
	procs := common.Procs(1, 2)
	n := common.N(2000, 100)
	var stop int32
	var wg sync.WaitGroup
	wg.Add(hogs)
	for i := 0; i < hogs; i++ {
		go hog(i, &stop, &wg)
	}
	time.Sleep(10 * time.Millisecond) // let the hogs occupy both Ps
	late := make([]int64, n)
	for i := range late {
		want := time.Now().Add(time.Millisecond)
		time.Sleep(time.Millisecond)
		l := time.Since(want).Nanoseconds()
		if l < 0 {
			l = 0
		}
		late[i] = l
	}
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	sort.Slice(late, func(a, b int) bool { return late[a] < late[b] })
	p50, p99, max := late[n/2], late[n*99/100], late[n-1]
	fmt.Printf("latency procs=%d n=%d metric=%.1f us p50=%.1f p99=%.1f max=%.1f\n", procs, n,
		float64(p99)/1e3, float64(p50)/1e3, float64(p99)/1e3, float64(max)/1e3)
}
