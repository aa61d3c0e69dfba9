/* SPDX-License-Identifier: BSD-3-Clause */
// mutex: procs=2; 4 fibers x 1,000,000 x {lock; counter++; unlock} on one
// boost::fibers::mutex; the counter must equal 4,000,000.
// Metric: ns per lock/unlock pair (wall time / total pairs).
#include "bench.hpp"

constexpr int WORKERS = 4;

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 2);
    std::int64_t n = bench::n(1000000, 1000);
    int rc = 0;
    bench::run(procs, [&] {
        boost::fibers::mutex mu;
        std::int64_t counter = 0;
        bench::waitgroup wg(WORKERS);
        std::int64_t t0 = bench::now_ns();
        for (int w = 0; w < WORKERS; w++) {
            bench::go([&] {
                for (std::int64_t i = 0; i < n; i++) {
                    mu.lock();
                    counter++;
                    mu.unlock();
                }
                wg.done();
            });
        }
        wg.wait();
        std::int64_t dt = bench::now_ns() - t0;
        std::int64_t total = WORKERS * n;
        std::printf("mutex procs=%d n=%lld metric=%.2f ns/lock check=%lld\n", procs,
                    (long long)total, (double)dt / (double)total, (long long)counter);
        std::fflush(stdout);
        if (counter != total) {
            std::fprintf(stderr, "mutex: counter %lld, want %lld\n", (long long)counter,
                         (long long)total);
            rc = 1;
        }
    });
    return rc;
}
