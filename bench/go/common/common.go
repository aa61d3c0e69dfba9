// SPDX-License-Identifier: BSD-3-Clause

// Package common holds what the Go twins of the grt benchmarks share; the
// conventions match bench/c/bench.h:
//   - os.Args[1] (os.Args[2] for the http servers, after the port) is procs;
//     without it the row's fixed procs, else $GRT_MAXPROCS, else 1.
//   - $GRT_BENCH_SCALE (positive float, default 1) multiplies the workload N.
//   - Exactly one result line: name procs=P n=N metric=VALUE unit [...].
package common

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Scale is $GRT_BENCH_SCALE, or 1.
func Scale() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("GRT_BENCH_SCALE"), 64); err == nil && v > 0 {
		return v
	}
	return 1
}

// N is n*Scale(), at least min.
func N(n, min int64) int64 {
	v := int64(math.Round(float64(n) * Scale()))
	if v < min {
		return min
	}
	return v
}

// Procs reads procs as bench.h does and applies it with runtime.GOMAXPROCS.
func Procs(idx, fixed int) int {
	p := 1
	if len(os.Args) > idx && os.Args[idx] != "" {
		p, _ = strconv.Atoi(os.Args[idx])
	} else if fixed > 0 {
		p = fixed
	} else if v, err := strconv.Atoi(os.Getenv("GRT_MAXPROCS")); err == nil && v > 0 {
		p = v
	}
	if p < 1 {
		p = 1
	}
	runtime.GOMAXPROCS(p)
	return p
}

// CPUSeconds is the user+system CPU time of the process so far.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 +
		float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
}

// VmRSSKiB is VmRSS from /proc/self/status, or -1.
func VmRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line[6:])
			if len(fields) > 0 {
				v, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return v
				}
			}
		}
	}
	return -1
}
