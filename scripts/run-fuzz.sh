#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the libFuzzer target for a while.  Usage:
#   scripts/run-fuzz.sh SECONDS CORPUS_DIR [SEED_DIR...]
# New inputs go to CORPUS_DIR.  Exits non-zero on a crash, leak, timeout or
# an exit of the target (a "grt: fatal error" is _exit(2), which libFuzzer
# cannot see: the target saves each input to build-fuzz/last-input first, and
# that file is then kept as the reproducer).
set -uo pipefail
secs=$1; corpus=$2; shift 2
dir=build-fuzz
bin=$dir/tests/fuzz/fuzz_api
log=$dir/fuzz.log
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export FUZZ_API_LAST=$dir/last-input
rm -f "$FUZZ_API_LAST"
"$bin" -max_total_time="$secs" -max_len=512 -timeout=30 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$dir/" \
  "$corpus" "$@" >"$log" 2>&1
rc=$?
grep -E '^stat::|^Done|INFO: Loaded|INITED' "$log" | tail -n 12
if [ $rc -eq 0 ]; then
  echo "fuzz_api: no crash in ${secs} s"
  exit 0
fi
echo "fuzz_api: FAILED (exit $rc); the end of $log:" >&2
tail -n 60 "$log" >&2
art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
if [ -z "$art" ] && [ -s "$FUZZ_API_LAST" ]; then
  art=$dir/crash-exit-$(sha1sum "$FUZZ_API_LAST" | cut -c1-40)
  cp "$FUZZ_API_LAST" "$art"
fi
echo "fuzz_api: reproducer: ${art:-none found} (run: $bin ${art:-FILE})" >&2
exit 1
