// redis: client procs=1; 200 goroutines, each with its own connection to a
// redis-server, each doing 2,000 x (SET k v; GET k) with 16-byte values.
// Metric: commands per second, and the client's CPU µs per command.
// Usage: redis HOST:PORT [procs]
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"
)

const clients = 200

func scaled(n, min int64) int64 {
	s, err := strconv.ParseFloat(os.Getenv("GRT_BENCH_SCALE"), 64)
	if err != nil || s <= 0 {
		s = 1
	}
	v := int64(math.Round(float64(n) * s))
	if v < min {
		return min
	}
	return v
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 +
		float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: redis HOST:PORT [procs]")
		os.Exit(2)
	}
	addr := os.Args[1]
	procs := 1
	if len(os.Args) > 2 {
		procs, _ = strconv.Atoi(os.Args[2])
	}
	runtime.GOMAXPROCS(procs)
	rounds := scaled(2000, 20)
	conns := make([]redis.Conn, clients)
	for i := range conns {
		c, err := redis.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "redis: dial:", err)
			os.Exit(1)
		}
		conns[i] = c
	}
	var wg sync.WaitGroup
	var bad int64
	var mu sync.Mutex
	wg.Add(clients)
	c0 := cpuSeconds()
	t0 := time.Now()
	for i := 0; i < clients; i++ {
		go func(id int, c redis.Conn) {
			defer wg.Done()
			key := fmt.Sprintf("grtbench:%d", id)
			val := fmt.Sprintf("%016d", id) // 16 bytes
			nbad := int64(0)
			for r := int64(0); r < rounds; r++ {
				if _, err := c.Do("SET", key, val); err != nil {
					nbad++
					continue
				}
				got, err := redis.String(c.Do("GET", key))
				if err != nil || got != val {
					nbad++
				}
			}
			mu.Lock()
			bad += nbad
			mu.Unlock()
		}(i, conns[i])
	}
	wg.Wait()
	dt := time.Since(t0)
	cpu := cpuSeconds() - c0
	for _, c := range conns {
		c.Close()
	}
	ops := float64(clients * rounds * 2)
	fmt.Printf("redis procs=%d n=%d metric=%.0f ops/s cpu_us=%.2f check=%d\n", procs,
		clients*rounds*2, ops/dt.Seconds(), cpu*1e6/ops, bad)
}
