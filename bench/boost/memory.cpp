/* SPDX-License-Identifier: BSD-3-Clause */
// memory: procs=2; N fibers all parked receiving on one channel.
// Metric: (VmRSS after - VmRSS before) / N in KiB per fiber, and create=:
// ns per fiber from the first launch until every fiber has started.
//
//   memory [procs [count]]   count: N exactly (the memory scaling section);
//                            without it N = 100,000 x $GRT_BENCH_SCALE
#include "bench.hpp"

using chan = boost::fibers::unbuffered_channel<int>;

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 2);
    std::int64_t n = argc > 2 ? std::atoll(argv[2]) : bench::n(100000, 1000);
    if (n < 1) {
        std::fprintf(stderr, "memory: count must be positive\n");
        return 2;
    }
    int rc = 0;
    bench::run(procs, [&] {
        chan ch;
        bench::waitgroup started(n), finished(n);
        long before = bench::vmrss_kib();
        std::int64_t t0 = bench::now_ns();
        for (std::int64_t i = 0; i < n; i++) {
            bench::go([&] {
                started.done();
                int v;
                ch.pop(v); // parks until main closes the channel
                finished.done();
            });
        }
        started.wait();
        std::int64_t dt = bench::now_ns() - t0;
        boost::this_fiber::sleep_for(std::chrono::milliseconds(50)); // let the last ones park
        long after = bench::vmrss_kib();
        if (before < 0 || after < 0) {
            std::fprintf(stderr, "memory: cannot read VmRSS\n");
            rc = 1;
        } else {
            std::printf("memory procs=%d n=%lld metric=%.3f KiB/goroutine create=%.1f\n", procs,
                        (long long)n, (double)(after - before) / (double)n,
                        (double)dt / (double)n);
            std::fflush(stdout);
        }
        // Boost has no abandoning exit: a thread's scheduler waits for its
        // fibers at exit, so wake them all and let them finish first.
        ch.close();
        finished.wait();
    });
    return rc;
}
