/* SPDX-License-Identifier: BSD-3-Clause */
// spawn: N fibers each doing waitgroup done and returning; main waits.
// Metric: ns per fiber (wall time of spawn loop + wait / N).
#include "bench.hpp"

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 0);
    std::int64_t n = bench::n(1000000, 1000);
    bench::run(procs, [&] {
        bench::waitgroup wg(n);
        std::int64_t t0 = bench::now_ns();
        for (std::int64_t i = 0; i < n; i++) bench::go([&wg] { wg.done(); });
        wg.wait();
        std::int64_t dt = bench::now_ns() - t0;
        std::printf("spawn procs=%d n=%lld metric=%.1f ns/goroutine\n", procs, (long long)n,
                    (double)dt / (double)n);
        std::fflush(stdout);
    });
    return 0;
}
