/* SPDX-License-Identifier: BSD-3-Clause */
// bench.hpp - what the Boost.Fiber twins of the grt benchmarks share.
//
// The conventions are bench/c/bench.h's, so bench/run.sh and report.py treat
// the three sides alike:
//   - argv[1] is procs; without it the row's fixed procs, else
//     $GRT_MAXPROCS, else 1.
//   - $GRT_BENCH_SCALE (a positive float, default 1) multiplies N.
//   - Exactly one result line: name procs=P n=N metric=VALUE unit [...].
//
// Scheduling: procs=1 is Boost's default round_robin on the main thread.
// procs=P>1 is algo::work_stealing over P threads: the main thread and P-1
// helpers each install it (its constructor waits on a barrier until all P
// have), and each helper then parks its own main fiber on a fiber condition
// variable until the benchmark is over, so its thread runs stolen fibers
// meanwhile.  work_stealing runs with suspend=true: an idle thread sleeps
// on a condition variable until work arrives, as idle Ps do in Go and grt.
// The default (suspend=false) spins instead, and on a machine with other
// load the spinning thread takes the CPU from the one that has the work:
// pingpong procs=2 measured 7-100 us per round trip spinning against
// 0.6-0.9 us suspending.
//
// Fiber stacks are 16 KiB fixedsize_stack (malloc, no guard page): the
// protected variant costs an mmap per fiber, and a million live fibers
// would pass the kernel's limit on mappings.
#ifndef GRT_BENCH_BOOST_HPP
#define GRT_BENCH_BOOST_HPP

#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {

namespace fibers = boost::fibers;

constexpr std::size_t stack_size = 16 * 1024;

inline fibers::fixedsize_stack stack() { return fibers::fixedsize_stack(stack_size); }

// Start fn(args...) as a detached fiber on a 16 KiB stack.  launch::post
// (Boost's default, and what a go statement does) queues it and the caller
// goes on; launch::dispatch runs it at once and queues the caller.
template <class Fn, class... Args>
void go_policy(fibers::launch policy, Fn &&fn, Args &&...args)
{
    fibers::fiber(policy, std::allocator_arg, stack(), std::forward<Fn>(fn),
                  std::forward<Args>(args)...)
        .detach();
}

template <class Fn, class... Args> void go(Fn &&fn, Args &&...args)
{
    go_policy(fibers::launch::post, std::forward<Fn>(fn), std::forward<Args>(args)...);
}

inline std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

inline double scale()
{
    const char *s = std::getenv("GRT_BENCH_SCALE");
    double v = s && *s ? std::strtod(s, nullptr) : 1.0;
    return v > 0 ? v : 1.0;
}

// n * scale, at least min
inline std::int64_t n(std::int64_t n, std::int64_t min)
{
    std::int64_t v = std::llround(static_cast<double>(n) * scale());
    return v < min ? min : v;
}

inline int procs(int argc, char **argv, int fixed)
{
    int p = 1;
    if (argc > 1 && argv[1][0]) {
        p = std::atoi(argv[1]);
    } else if (fixed > 0) {
        p = fixed;
    } else if (const char *e = std::getenv("GRT_MAXPROCS"); e && std::atoi(e) > 0) {
        p = std::atoi(e);
    }
    return p < 1 ? 1 : p;
}

// VmRSS of this process in KiB, from /proc/self/status; -1 if unknown
inline long vmrss_kib()
{
    std::FILE *f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "VmRSS:", 6) == 0) {
            kib = std::strtol(line + 6, nullptr, 10);
            break;
        }
    }
    std::fclose(f);
    return kib;
}

// Go's sync.WaitGroup, as the C and Go programs use it: done() is one atomic
// decrement, and only the last one takes the lock to wake the waiter.
class waitgroup {
  public:
    explicit waitgroup(std::int64_t count) : count_(count) {}
    void done()
    {
        if (count_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<fibers::mutex> lk(mu_);
            zero_ = true;
            cv_.notify_all();
        }
    }
    void wait()
    {
        std::unique_lock<fibers::mutex> lk(mu_);
        cv_.wait(lk, [this] { return zero_; });
    }

  private:
    std::atomic<std::int64_t> count_;
    fibers::mutex mu_;
    fibers::condition_variable cv_;
    bool zero_ = false;
};

// Run main_fn on the main thread's main fiber under procs threads (see the
// top of this file); returns when main_fn has and the helpers have left.
template <class Fn> void run(int procs, Fn &&main_fn)
{
    if (procs <= 1) {
        main_fn();
        return;
    }
    fibers::mutex mu;
    fibers::condition_variable cv;
    bool over = false;
    std::vector<std::thread> helpers;
    for (int i = 1; i < procs; i++) {
        helpers.emplace_back([&] {
            fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(procs, true);
            std::unique_lock<fibers::mutex> lk(mu);
            cv.wait(lk, [&] { return over; });
        });
    }
    fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(procs, true);
    main_fn();
    {
        std::lock_guard<fibers::mutex> lk(mu);
        over = true;
    }
    cv.notify_all();
    for (auto &t : helpers) t.join();
}

} // namespace bench

#endif // GRT_BENCH_BOOST_HPP
