/* SPDX-License-Identifier: BSD-3-Clause */
// yield: procs=1; 2 fibers each calling this_fiber::yield 5,000,000 times.
// Metric: ns per yield (wall time / total yields).
#include "bench.hpp"

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 1);
    std::int64_t n = bench::n(5000000, 1000);
    bench::run(procs, [&] {
        bench::waitgroup wg(2);
        auto worker = [&] {
            for (std::int64_t i = 0; i < n; i++) boost::this_fiber::yield();
            wg.done();
        };
        std::int64_t t0 = bench::now_ns();
        bench::go(worker);
        bench::go(worker);
        wg.wait();
        std::int64_t dt = bench::now_ns() - t0;
        std::printf("yield procs=%d n=%lld metric=%.2f ns/yield\n", procs, (long long)(2 * n),
                    (double)dt / (double)(2 * n));
        std::fflush(stdout);
    });
    return 0;
}
