// memory: procs=2; 100,000 goroutines all parked receiving on one channel;
// (VmRSS after - before) / N in KiB.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"grtbench/common"
)

func main() {
	procs := common.Procs(1, 2)
	n := common.N(100000, 1000)
	ch := make(chan int)
	var started sync.WaitGroup
	started.Add(int(n))
	before := common.VmRSSKiB()
	for i := int64(0); i < n; i++ {
		go func() {
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let the last ones park
	after := common.VmRSSKiB()
	if before < 0 || after < 0 {
		fmt.Fprintln(os.Stderr, "memory: cannot read VmRSS")
		os.Exit(1)
	}
	fmt.Printf("memory procs=%d n=%d metric=%.3f KiB/goroutine check=%d\n", procs, n,
		float64(after-before)/float64(n), runtime.NumGoroutine())
	close(ch)
}
