/* SPDX-License-Identifier: BSD-3-Clause */
// pingpong: 2 fibers, two unbuffered int channels (one each way), 1,000,000
// round trips.  Metric: ns per round trip.
#include "bench.hpp"

using chan = boost::fibers::unbuffered_channel<int>;

static void must(boost::fibers::channel_op_status st, const char *what)
{
    if (st != boost::fibers::channel_op_status::success) {
        std::fprintf(stderr, "pingpong: %s failed\n", what);
        std::exit(1);
    }
}

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 0);
    std::int64_t n = bench::n(1000000, 1000);
    bench::run(procs, [&] {
        chan ping, pong;
        bench::waitgroup wg(2);
        long long last = 0;
        std::int64_t t0 = bench::now_ns();
        bench::go([&] { // ponger
            int v;
            for (std::int64_t i = 0; i < n; i++) {
                must(ping.pop(v), "pop");
                must(pong.push(v + 1), "push");
            }
            wg.done();
        });
        bench::go([&] { // pinger
            int v = 0;
            for (std::int64_t i = 0; i < n; i++) {
                must(ping.push((int)i), "push");
                must(pong.pop(v), "pop");
            }
            last = v;
            wg.done();
        });
        wg.wait();
        std::int64_t dt = bench::now_ns() - t0;
        std::printf("pingpong procs=%d n=%lld metric=%.1f ns/roundtrip check=%lld\n", procs,
                    (long long)n, (double)dt / (double)n, last);
        std::fflush(stdout);
    });
    return 0;
}
