#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install grt to a scratch prefix and build a program against it twice: with
# pkg-config and with CMake's find_package, as a user would.
set -euo pipefail
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cat > "$tmp/hello.c" <<'C'
#include <grt.h>
#include <stdio.h>
#include <stdatomic.h>
static atomic_int ran;
static void child(void *arg) { atomic_fetch_add(&ran, *(int *)arg); }
static void main_fn(void *arg) {
    (void)arg;
    static int one = 1;
    for (int i = 0; i < 1000; i++)
        if (grt_go(child, &one) != 0) return;
    while (atomic_load(&ran) < 1000) grt_yield();
}
int main(void) {
    if (grt_version() != GRT_VERSION) return 1; /* grt_version.h installed, matching */
    int rc = grt_run(NULL, main_fn, NULL);
    printf("installed grt: rc=%d ran=%d\n", rc, atomic_load(&ran));
    return rc == 0 && atomic_load(&ran) == 1000 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig:$tmp/prefix/lib64/pkgconfig"
# shellcheck disable=SC2046
cc -o "$tmp/hello-pc" "$tmp/hello.c" $(pkg-config --cflags --libs grt) -Wl,-rpath,"$(pkg-config --variable=libdir grt)"
"$tmp/hello-pc"
cc -static-libgcc -o "$tmp/hello-static" "$tmp/hello.c" $(pkg-config --cflags grt) \
   "$(pkg-config --variable=libdir grt)/libgrt.a" -lpthread -ldl
"$tmp/hello-static"
mkdir -p "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(grt REQUIRED)
add_executable(hello ../hello.c)
target_link_libraries(hello PRIVATE grt::grt)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
"$tmp/cm/build/hello"
# libgrt_hook: linked with pkg-config grt-hook and with CMake's grt::hook,
# and preloaded into the plain program.
cat > "$tmp/hook.c" <<'C'
#include <grt.h>
#include <stdio.h>
#include <unistd.h>
static void main_fn(void *arg) {
    (void)arg;
    int64_t t0 = grt_now();
    usleep(1000); /* parks the goroutine when the hook is there */
    printf("hook: active=%d slept=%lld us\n", grt_hook_active(), (long long)((grt_now() - t0) / 1000));
}
int main(void) {
    if (grt_run(NULL, main_fn, NULL) != 0) return 1;
    return grt_hook_active() == 1 ? 0 : 1;
}
C
cc -o "$tmp/hook-pc" "$tmp/hook.c" $(pkg-config --cflags --libs grt-hook) -Wl,-rpath,"$(pkg-config --variable=libdir grt)"
"$tmp/hook-pc"
LD_PRELOAD="$(pkg-config --variable=libdir grt)/libgrt_hook.so" "$tmp/hello-pc"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(hook C)
find_package(grt REQUIRED)
add_executable(hook ../hook.c)
target_link_libraries(hook PRIVATE grt::hook)
CM
rm -rf "$tmp/cm/build"
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
"$tmp/cm/build/hook"
echo "install check: ok (pkg-config, static, CMake find_package; grt-hook, grt::hook, LD_PRELOAD)"
