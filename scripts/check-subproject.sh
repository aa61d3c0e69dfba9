#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# grt as a CMake subproject: an outer project that does add_subdirectory(grt)
# and links grt::grt_static must build the library and its own program
# only (no tests, examples or benchmarks of grt), keep its own build type,
# and the program must run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/outer"
cat > "$tmp/outer/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(outer C)
add_subdirectory("$root" grt)
add_executable(outer main.c)
target_link_libraries(outer PRIVATE grt::grt_static)
CM
cat > "$tmp/outer/main.c" <<'C'
#include <grt.h>
#include <stdio.h>
static int ran;
static void main_fn(void *arg) { (void)arg; ran = grt_version() == GRT_VERSION; }
int main(void) {
    int rc = grt_run(NULL, main_fn, NULL);
    printf("outer project: rc=%d ran=%d\n", rc, ran);
    return rc == 0 && ran ? 0 : 1;
}
C
cmake -S "$tmp/outer" -B "$tmp/build" >/dev/null
bt=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$tmp/build/CMakeCache.txt")
if [ -n "$bt" ]; then
  echo "check-subproject: grt set the outer project's build type to '$bt'"; exit 1
fi
targets=$(cmake --build "$tmp/build" --target help | sed -n 's/^\.\.\. //p')
extra=$(echo "$targets" | grep -E '^(test_|bench_|demo$|echo$|http-hello$)' || true)
if [ -n "$extra" ]; then
  echo "check-subproject: grt added targets to the outer project:"; echo "$extra"; exit 1
fi
cmake --build "$tmp/build" -j"$(nproc)" >/dev/null
"$tmp/build/outer"
echo "check-subproject: ok (library only, build type left alone)"
