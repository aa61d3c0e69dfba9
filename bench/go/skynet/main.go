// SPDX-License-Identifier: BSD-3-Clause

// skynet: each node spawns 10 children (num + i*(size/10), size/10) that
// send their sum up an unbuffered channel; root size 1,000,000.
package main

import (
	"fmt"
	"math"
	"os"
	"time"

	"grtbench/common"
)

const div = 10

func skynet(up chan<- int64, num, size int64) {
	if size == 1 {
		up <- num
		return
	}
	c := make(chan int64)
	child := size / div
	for i := int64(0); i < div; i++ {
		go skynet(c, num+i*child, child)
	}
	var sum int64
	for i := 0; i < div; i++ {
		sum += <-c
	}
	up <- sum
}

func main() {
	procs := common.Procs(1, 0)
	e := int(math.Round(math.Log10(1e6 * common.Scale())))
	if e < 2 {
		e = 2
	}
	size := int64(1)
	for ; e > 0; e-- {
		size *= 10
	}
	t0 := time.Now()
	c := make(chan int64)
	go skynet(c, 0, size)
	sum := <-c
	dt := time.Since(t0)
	fmt.Printf("skynet procs=%d n=%d metric=%.1f ms check=%d\n", procs, size,
		float64(dt.Nanoseconds())/1e6, sum)
	if sum != size*(size-1)/2 {
		fmt.Fprintf(os.Stderr, "skynet: wrong sum %d, want %d\n", sum, size*(size-1)/2)
		os.Exit(1)
	}
}
