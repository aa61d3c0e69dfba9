#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Keep aarch64 building: cross-compile libgrt and the test suite for
# aarch64 with Debian's cross toolchain, then run a few tests under
# qemu-user.  Usage: scripts/check-aarch64.sh [test ...]
# (default tests: the core ones; each runs under a timeout).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
need=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then
  echo "check-aarch64: installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
fi
build=$root/build-aarch64
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_ASM_COMPILER=aarch64-linux-gnu-gcc \
  -DCMAKE_OBJCOPY=/usr/bin/aarch64-linux-gnu-objcopy \
  -DGRT_BUILD_BENCH=OFF >/dev/null
log=/tmp/check-aarch64-build.$$
if ! cmake --build "$build" -j"$(nproc)" >"$log" 2>&1; then
  cat "$log"; rm -f "$log"; echo "check-aarch64: build failed"; exit 1
fi
if grep -iE "warning:|error:" "$log"; then
  rm -f "$log"; echo "check-aarch64: build not clean"; exit 1
fi
rm -f "$log"
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(test_runnext test_goexit test_chan_basic test_select_basic test_sync_mutex test_run_twice
  test_preempt test_preempt_regs test_preempt_libc test_preempt_syscall test_sysmon_poll test_dump test_preempt_sigframe test_preempt_regs@cortex-a72
  test_preempt_fpenv test_preempt_errno test_preempt_sighandler)
# Tests that re-run themselves (test_subprocess) exec the aarch64 binary
# through qemu: without binfmt_misc the kernel cannot run it directly.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
GRT_TEST_EXEC_WRAPPER=$(command -v qemu-aarch64)
export GRT_TEST_EXEC_WRAPPER
# A test name may carry a qemu CPU model: test_preempt_regs@cortex-a72
# runs it on a CPU without SVE (the default CPU, "max", has SVE).
for spec in "${tests[@]}"; do
  t=${spec%@*}
  cpu=; [ "$spec" != "$t" ] && cpu=${spec#*@}
  printf '%-34s ' "$spec"
  env ${cpu:+QEMU_CPU=$cpu} timeout 300 qemu-aarch64 "$build/tests/$t" >/tmp/check-aarch64.$$ 2>&1 \
    && echo ok || { echo FAILED; cat /tmp/check-aarch64.$$; rm -f /tmp/check-aarch64.$$; exit 1; }
done
rm -f /tmp/check-aarch64.$$
echo "check-aarch64: build clean, ${#tests[@]} tests passed under qemu-aarch64"
