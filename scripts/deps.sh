#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what building and testing grt needs, from Debian's packages, when
# it is missing, naming the packages first.  Usage: scripts/deps.sh MODE
#   build  cmake gcc make pkg-config python3, and gcc's sanitizer runtimes
#   test   the same and clang-14 (make test's clang pass), and the servers
#          and client libraries libgrt_hook is tested with: redis-server,
#          postgresql, libhiredis-dev, libpq-dev, libcurl4-openssl-dev
#   bench  the same and golang-go wrk gnuplot-nox
#   fuzz   the same and clang-14, libclang-rt-14-dev, llvm-14 (make fuzz, test-fuzz)
set -euo pipefail
want=(cmake:cmake gcc:gcc make:make python3:python3 pkg-config:pkg-config)
if [ "${1:-build}" = test ]; then
  want+=(clang-14:clang-14)
fi
if [ "${1:-build}" = bench ]; then
  want+=(go:golang-go wrk:wrk gnuplot:gnuplot-nox)
fi
missing=()
for pair in "${want[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
# test (and bench): real servers and client libraries for libgrt_hook.
if [ "${1:-build}" = test ] || [ "${1:-build}" = bench ]; then
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  for pc in hiredis:libhiredis-dev libpq:libpq-dev libcurl:libcurl4-openssl-dev; do
    pkg-config --exists "${pc%%:*}" 2>/dev/null || missing+=("${pc#*:}")
  done
fi
# The sanitizer runtimes come with gcc on Debian (libasan, libubsan, libtsan).
if ! echo 'int main(void){return 0;}' | gcc -x c -fsanitize=thread -o /dev/null - 2>/dev/null; then
  missing+=(libtsan2)
fi
if ! echo 'int main(void){return 0;}' | gcc -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null; then
  missing+=(libasan8 libubsan1)
fi
# The libFuzzer build (make fuzz / test-fuzz): clang with its sanitizer and
# libFuzzer runtimes, and llvm-symbolizer for readable reports.
if [ "${1:-build}" = fuzz ]; then
  command -v clang-14 >/dev/null 2>&1 || missing+=(clang-14)
  if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' |
       clang-14 -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
    missing+=(libclang-rt-14-dev)
  fi
  command -v llvm-symbolizer-14 >/dev/null 2>&1 || missing+=(llvm-14)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "grt: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "grt: please install: ${missing[*]}" >&2
  exit 1
fi
