// postgres: client procs=1; 32 goroutines, each with its own connection to
// a PostgreSQL server, each running 2,000 x `SELECT $1::int + 1`.
// Metric: queries per second, and the client's CPU µs per query.
// Usage: postgres CONNINFO [procs]   (e.g. "host=/tmp/pgdir dbname=postgres")
package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq"
)

const clients = 32

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
		fmt.Fprintln(os.Stderr, "usage: postgres CONNINFO [procs]")
		os.Exit(2)
	}
	procs := 1
	if len(os.Args) > 2 {
		procs, _ = strconv.Atoi(os.Args[2])
	}
	runtime.GOMAXPROCS(procs)
	rounds := scaled(2000, 20)
	db, err := sql.Open("postgres", os.Args[1]+" sslmode=disable")
	if err != nil {
		fmt.Fprintln(os.Stderr, "postgres: open:", err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(clients)
	db.SetMaxIdleConns(clients)
	// One connection per goroutine, opened before the clock starts, as the
	// C side does with PQconnectdb.
	conns := make([]*sql.Conn, clients)
	for i := range conns {
		c, err := db.Conn(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "postgres: connect:", err)
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
		go func(id int, c *sql.Conn) {
			defer wg.Done()
			nbad := int64(0)
			ctx := context.Background()
			for r := int64(0); r < rounds; r++ {
				var got int64
				want := int64(id)*100000 + r
				if err := c.QueryRowContext(ctx, "SELECT $1::int + 1", want).Scan(&got); err != nil ||
					got != want+1 {
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
	db.Close()
	q := float64(clients * rounds)
	fmt.Printf("postgres procs=%d n=%d metric=%.0f queries/s cpu_us=%.2f check=%d\n", procs,
		clients*rounds, q/dt.Seconds(), cpu*1e6/q, bad)
}
