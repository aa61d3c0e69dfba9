/* SPDX-License-Identifier: BSD-3-Clause */
// skynet: each node spawns 10 children (num + i*(size/10), size/10) which
// send their sum up an unbuffered channel (one per node); a leaf sends its
// num.  Root size 1,000,000 prints 499999500000.  Metric: ms.
//
// The children share their node's channel through a shared_ptr (the C
// version retains and releases its channel the same way): a child's push
// still reads the channel after the parent has taken the value, so the
// parent's stack is no place for it.
//
// Children start with launch::dispatch, as in Boost's own skynet: the child
// runs at once and its parent waits in the ready queue.  With launch::post
// (a go statement's way) the round_robin queue walks the tree breadth
// first and all 1,111,111 fibers are alive at once: peak RSS 9-10 GiB of
// fresh malloc'd stacks against 7 GiB (procs=1) and 3.4 GiB (procs=2) with
// dispatch, and a slower run, since first touches of fresh stack pages are
// a large part of the cost.
#include "bench.hpp"

using chan = boost::fibers::unbuffered_channel<std::int64_t>;
constexpr int DIV = 10;

static void skynet(std::shared_ptr<chan> up, std::int64_t num, std::int64_t size)
{
    std::int64_t sum = num;
    if (size > 1) {
        auto c = std::make_shared<chan>();
        std::int64_t child = size / DIV;
        for (int i = 0; i < DIV; i++)
            bench::go_policy(boost::fibers::launch::dispatch, skynet, c, num + i * child, child);
        sum = 0;
        for (int i = 0; i < DIV; i++) sum += c->value_pop();
    }
    up->push(sum);
}

int main(int argc, char **argv)
{
    int procs = bench::procs(argc, argv, 0);
    // a power of ten: 1,000,000 scaled
    int e = (int)std::lround(std::log10(1e6 * bench::scale()));
    if (e < 2) e = 2;
    std::int64_t size = 1;
    while (e-- > 0) size *= 10;
    int rc = 0;
    bench::run(procs, [&] {
        std::int64_t t0 = bench::now_ns();
        auto c = std::make_shared<chan>();
        bench::go(skynet, c, 0, size);
        std::int64_t sum = c->value_pop();
        std::int64_t dt = bench::now_ns() - t0;
        std::printf("skynet procs=%d n=%lld metric=%.1f ms check=%lld\n", procs, (long long)size,
                    (double)dt / 1e6, (long long)sum);
        std::fflush(stdout);
        if (sum != size * (size - 1) / 2) {
            std::fprintf(stderr, "skynet: wrong sum %lld, want %lld\n", (long long)sum,
                         (long long)(size * (size - 1) / 2));
            rc = 1;
        }
    });
    return rc;
}
