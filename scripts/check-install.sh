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
echo "install check: ok (pkg-config, static, CMake find_package)"
