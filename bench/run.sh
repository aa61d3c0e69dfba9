#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench/run.sh - build and run grt's benchmarks beside their Go twins and
# print the table of BENCH.md (docs: bench/README.md).
#
#   bench/run.sh [row ...]     rows: floor spawn yield pingpong skynet mutex
#                              sleep memory http parallel idle latency (default: all)
#   RUNS=N       runs per program, C and Go alternating (default 7)
#   QUICK=1      smoke run: RUNS=1, GRT_BENCH_SCALE=0.1, DURATION=1s
#   DURATION=5s  wrk duration for http
#   BENCH_TIMEOUT=300  seconds before one program run is killed
#   MEM_COUNTS="10000 100000 1000000"  live goroutines for the memory
#                scaling section (run with the memory row)
#   NO_BOOST=1   leave out the Boost.Fiber twins (bench/boost/)
#
# Writes bench/results/latest.md and bench/results/latest.png; build output
# and raw results go to build-bench/.  Every run, and every install and
# build step, is bounded by timeout(1), and http talks to 127.0.0.1 only.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
RESULTS=$ROOT/bench/results
ALL_ROWS="floor spawn yield pingpong skynet mutex sleep memory http parallel idle latency"
COMMAND="bench/run.sh${*:+ $*}"
for v in QUICK RUNS DURATION GRT_BENCH_SCALE BENCH_TIMEOUT MEM_COUNTS NO_BOOST; do
  [ -n "${!v:-}" ] && COMMAND="$v=${!v} $COMMAND"
done

if [ "${QUICK:-0}" = 1 ]; then
  RUNS=${RUNS:-1}
  DURATION=${DURATION:-1s}
  export GRT_BENCH_SCALE=${GRT_BENCH_SCALE:-0.1}
fi
RUNS=${RUNS:-7}
DURATION=${DURATION:-5s}
TIMEOUT=${BENCH_TIMEOUT:-300}
MEM_COUNTS=${MEM_COUNTS:-10000 100000 1000000}
# the wrk duration in whole seconds, for its timeout
case $DURATION in
  *ms) DUR_S=1 ;;
  *m) DUR_S=$(( ${DURATION%m} * 60 )) ;;
  *s) DUR_S=${DURATION%s} ;;
  *) DUR_S=$DURATION ;;
esac
unset GRT_MAXPROCS # procs come from each program's argument

log() { printf '%s\n' "$*" >&2; }

# --- rows ---------------------------------------------------------------
ROWS=()
if [ $# -eq 0 ]; then
  read -r -a ROWS <<<"$ALL_ROWS"
else
  for r in "$@"; do
    case " $ALL_ROWS " in
      *" $r "*) ROWS+=("$r") ;;
      *) log "run.sh: unknown row '$r' (rows: $ALL_ROWS)"; exit 2 ;;
    esac
  done
fi

# --- tools ----------------------------------------------------------------
# Everything comes from Debian's packages; a fresh machine gets what is
# missing when run.sh runs as root, every apt-get bounded so that a held
# dpkg lock cannot hang the run.
# Boost.Fiber is there when g++ finds its link library: the headers alone
# come with libboost1.74-dev, the .so link names with libboost-fiber-dev.
have_boost() {
  command -v g++ >/dev/null 2>&1 &&
    [[ $(g++ -print-file-name=libboost_fiber.so) == /* ]] &&
    [[ $(g++ -print-file-name=libboost_context.so) == /* ]] &&
    [ -f /usr/include/boost/fiber/all.hpp ]
}
need_pkgs=()
for want in cmake:cmake gcc:gcc make:make python3:python3 go:golang-go wrk:wrk \
            gnuplot:gnuplot-nox; do
  command -v "${want%%:*}" >/dev/null 2>&1 || need_pkgs+=("${want#*:}")
done
if [ "${NO_BOOST:-0}" != 1 ]; then
  command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
  have_boost || need_pkgs+=(libboost-fiber-dev)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "run.sh: installing ${need_pkgs[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! timeout -k 10 900 apt-get install -y "${need_pkgs[@]}" >"$apt_log" 2>&1; then
      timeout -k 10 600 apt-get update >>"$apt_log" 2>&1
      timeout -k 10 900 apt-get install -y "${need_pkgs[@]}" >>"$apt_log" 2>&1 ||
        { log "run.sh: apt-get install failed; going on without it:"; tail -5 "$apt_log" >&2; }
    fi
    rm -f "$apt_log"
  else
    log "run.sh: missing ${need_pkgs[*]}; install them with:"
    log "    sudo apt-get install -y ${need_pkgs[*]}"
    log "run.sh: running without them (the C side alone if Go is missing)"
  fi
fi
HAVE_GO=0; command -v go >/dev/null 2>&1 && HAVE_GO=1
HAVE_WRK=0; command -v wrk >/dev/null 2>&1 && HAVE_WRK=1
HAVE_BOOST=0
[ "${NO_BOOST:-0}" != 1 ] && have_boost && HAVE_BOOST=1
for t in cmake python3 timeout; do
  command -v $t >/dev/null 2>&1 || { log "run.sh: $t is required"; exit 2; }
done

# --- build ----------------------------------------------------------------
mkdir -p "$BUILD" "$RESULTS"
log "run.sh: building the C benchmarks in build-bench (Release)"
if ! timeout -k 10 600 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGRT_BUILD_TESTS=OFF \
     -DGRT_BUILD_EXAMPLES=OFF -DGRT_BUILD_BENCH=ON >"$BUILD/cmake-configure.log" 2>&1; then
  log "run.sh: cmake configure failed:"; tail -20 "$BUILD/cmake-configure.log" >&2
fi
targets=()
for r in "${ROWS[@]}"; do targets+=("bench_$r"); done
rm -f "$BUILD"/bench/bench_*  # never run a stale binary
rm -f "$BUILD"/bench/*.missing "$BUILD"/bench/*.buildfail
for t in "${targets[@]}"; do
  if ! timeout -k 10 900 cmake --build "$BUILD" -j2 --target "$t" >"$BUILD/build-$t.log" 2>&1; then
    # A program that compiles but does not link because libgrt does not have
    # a call yet is the link-time form of ENOSYS: its row shows n/a.
    missing=$(grep -o "undefined reference to \`grt_[A-Za-z0-9_]*'" "$BUILD/build-$t.log" |
              sed "s/.*\`//; s/'//" | sort -u | paste -sd' ' -)
    if [ -n "$missing" ] && ! grep -qE '\.c:[0-9]+(:[0-9]+)?: error:' "$BUILD/build-$t.log" &&
       [ -f "$ROOT/bench/c/${t#bench_}.c" ]; then
      mkdir -p "$BUILD/bench"
      echo "$missing" >"$BUILD/bench/$t.missing"
      log "run.sh: $t does not link yet: libgrt lacks $missing"
    else
      mkdir -p "$BUILD/bench"
      grep -m1 -E 'error' "$BUILD/build-$t.log" >"$BUILD/bench/$t.buildfail"
      log "run.sh: building $t failed (build-bench/build-$t.log):"
      grep -E 'error|Error' "$BUILD/build-$t.log" | head -5 >&2
    fi
  fi
done

GO_ENV=(env -u GOTOOLCHAIN GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on GOSUMDB=off
        GOCACHE="$BUILD/go-cache" GOPATH="$BUILD/gopath" CGO_ENABLED=0)
if [ $HAVE_GO = 1 ]; then
  log "run.sh: building the Go twins ($(go version | awk '{print $3}')) into build-bench/go"
  rm -rf "$BUILD/go"; mkdir -p "$BUILD/go"
  if ! (cd "$ROOT/bench/go" && timeout -k 10 900 "${GO_ENV[@]}" go build -o "$BUILD/go/" ./...) \
       >"$BUILD/go-build.log" 2>&1; then
    log "run.sh: go build failed:"; tail -20 "$BUILD/go-build.log" >&2
  fi
fi

# The Boost.Fiber twins: plain g++ against Debian's libboost-fiber-dev, built
# here rather than by CMake so that the library's own build never needs C++
# or Boost.  Only the rows that have a twin are built, two at a time.
BOOST_ROWS=" spawn yield pingpong skynet mutex memory "
rm -rf "$BUILD/boost"
if [ $HAVE_BOOST = 1 ]; then
  mkdir -p "$BUILD/boost"
  boost_srcs=()
  for r in "${ROWS[@]}"; do
    [[ $BOOST_ROWS == *" $r "* ]] && boost_srcs+=("$r")
  done
  if [ ${#boost_srcs[@]} -gt 0 ]; then
    log "run.sh: building the Boost.Fiber twins ($(g++ -dumpfullversion)) into build-bench/boost"
    printf '%s\n' "${boost_srcs[@]}" |
      BUILD=$BUILD ROOT=$ROOT xargs -P2 -I{} sh -c \
        'timeout -k 10 600 g++ -std=c++17 -O2 -Wall -Wextra -pthread -o "$BUILD/boost/{}" \
           "$ROOT/bench/boost/{}.cpp" -lboost_fiber -lboost_context \
           >"$BUILD/boost-build-{}.log" 2>&1 ||
         { echo "run.sh: building the Boost.Fiber twin {} failed (build-bench/boost-build-{}.log)" >&2;
           grep -m1 error "$BUILD/boost-build-{}.log" >"$BUILD/boost/{}.buildfail"; }'
  fi
elif [ "${NO_BOOST:-0}" != 1 ]; then
  log "run.sh: no g++ or libboost-fiber-dev: the Boost.Fiber column stays empty"
fi

# --- running ----------------------------------------------------------------
RAW=$BUILD/raw.tsv
LOGS=$BUILD/logs
: >"$RAW"
rm -rf "$LOGS"; mkdir -p "$LOGS"

# record CASE SIDE RUN RC LINE NOTE
record() {
  local note=${6:-}
  note=$(printf '%s' "$note" | tr '\t\n' '  ' | cut -c1-300)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$note" >>"$RAW"
}

# not_built CASE SIDE RUN BIN: exit code 78 when libgrt lacks calls, else 127
not_built() {
  if [ -f "$4.missing" ]; then
    record "$1" "$2" "$3" 78 "" "does not link: libgrt lacks $(cat "$4.missing")"
    log "  $1 $2 #$3: not linked (libgrt lacks $(cat "$4.missing"))"
  else
    local why="not built"
    [ -s "$4.buildfail" ] && why="build failed: $(cat "$4.buildfail")"
    record "$1" "$2" "$3" 127 "" "$why"
    log "  $1 $2 #$3: $why"
  fi
}

# run_prog CASE SIDE RUN NAME BIN ARGS... : one bounded run, one record
run_prog() {
  local cs=$1 side=$2 run=$3 name=$4 bin=$5; shift 5
  local tag=${cs//\//-}.$side.$run
  if [ ! -x "$bin" ]; then
    not_built "$cs" "$side" "$run" "$bin"
    return
  fi
  timeout -k 5 "$TIMEOUT" "$bin" "$@" >"$LOGS/$tag.out" 2>"$LOGS/$tag.err"
  local rc=$?
  local line
  line=$(grep -E "^$name( |$)" "$LOGS/$tag.out" | tail -1)
  local note=""
  case $rc in
    0) [ -z "$line" ] && note="no result line" ;;
    77) ;;
    124|137) note="timed out after ${TIMEOUT}s" ;;
    *) note="exit $rc: $(tail -3 "$LOGS/$tag.err")" ;;
  esac
  [ $rc -ge 128 ] && [ $rc -ne 137 ] && note="killed by signal $((rc - 128)): $(tail -3 "$LOGS/$tag.err")"
  record "$cs" "$side" "$run" "$rc" "$line" "$note"
  log "  $cs $side #$run: ${line:-rc=$rc $note}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# up PORT: does 127.0.0.1:PORT accept?
up() {
  python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)
EOF
}

# one request; prints "ok" when the answer is exactly the expected response
# (strict) or a 200 with the hello body (lax: net/http adds a Date header)
check_response() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys
port, strict = int(sys.argv[1]), sys.argv[2] == "strict"
want = (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n"
        b"Hello, World!")
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(2)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while not got.endswith(b"Hello, World!") and len(got) < 4096:
        d = s.recv(4096)
        if not d:
            break
        got += d
    s.close()
except OSError as e:
    print("error:", e); sys.exit(0)
ok = got == want if strict else (got.startswith(b"HTTP/1.1 200 OK\r\n") and
                                 got.endswith(b"\r\n\r\nHello, World!"))
print("ok" if ok else "bad:" + repr(got[:120]))
EOF
}

# proc_cpu_ticks PID: user+system clock ticks the process has used so far
proc_cpu_ticks() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 0
  # fields after the ")" that ends the command name: utime is the 12th, stime the 13th
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# run_http SIDE RUN NAME BIN STRICT: server in the background, wrk against it
run_http() {
  local side=$1 run=$2 name=$3 bin=$4 strict=$5 cs=http/1
  local tag=http.$side.$run
  if [ ! -x "$bin" ]; then not_built "$cs" "$side" "$run" "$bin"; return; fi
  if [ $HAVE_WRK = 0 ]; then record "$cs" "$side" "$run" 127 "" "wrk missing"; return; fi
  local port; port=$(free_port)
  # the server's own bound: startup + check + wrk + slack
  timeout -k 5 $((DUR_S + 60)) "$bin" "$port" 1 >"$LOGS/$tag.out" 2>"$LOGS/$tag.err" &
  local pid=$! i rc
  for i in $(seq 100); do
    up "$port" && break
    if ! kill -0 $pid 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ! kill -0 $pid 2>/dev/null; then
    wait $pid; rc=$?
    local line; line=$(grep -E "^$name unsupported" "$LOGS/$tag.out" | tail -1)
    if [ $rc = 77 ]; then
      record "$cs" "$side" "$run" 77 "$line" ""
      log "  http $side #$run: $line"
    else
      record "$cs" "$side" "$run" "$rc" "" "server exited $rc before load: $(tail -3 "$LOGS/$tag.err")"
      log "  http $side #$run: server exited $rc"
    fi
    return
  fi
  if ! up "$port"; then
    kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
    record "$cs" "$side" "$run" 1 "" "server did not accept within 10 s"
    log "  http $side #$run: server did not accept"
    return
  fi
  local resp; resp=$(check_response "$port" "$strict")
  # The server's CPU time over the load (wrk takes one of the two cores and
  # is saturated before either server is, so req/s alone mostly measures
  # wrk; CPU per request measures the server).
  local spid cpu0 cpu1
  spid=$(pgrep -P $pid | head -1)
  cpu0=$(proc_cpu_ticks "$spid")
  timeout -k 5 $((DUR_S + 30)) wrk -t1 -c50 -d"$DURATION" --timeout 2s \
    "http://127.0.0.1:$port/" >"$LOGS/$tag.wrk" 2>&1
  local wrc=$? alive=1
  cpu1=$(proc_cpu_ticks "$spid")
  kill -0 $pid 2>/dev/null || alive=0
  kill -TERM $pid 2>/dev/null
  for i in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  local rps errs note=""
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$LOGS/$tag.wrk")
  errs=$(grep -E 'Socket errors|Non-2xx' "$LOGS/$tag.wrk" | tr -s ' ' | paste -sd';' -)
  [ "$resp" != ok ] && note="response check: $resp"
  [ -n "$errs" ] && note="${note:+$note; }wrk: $errs"
  if [ $alive = 0 ]; then
    record "$cs" "$side" "$run" 1 "" "server died during load: $(tail -3 "$LOGS/$tag.err")"
    log "  http $side #$run: server died during load"
  elif [ $wrc -ne 0 ] || [ -z "$rps" ]; then
    record "$cs" "$side" "$run" 1 "" "wrk failed (rc $wrc): $(tail -2 "$LOGS/$tag.wrk")"
    log "  http $side #$run: wrk failed"
  else
    local nreq cpu_us=""
    nreq=$(awk '/requests in/ {print $1; exit}' "$LOGS/$tag.wrk")
    if [ -n "$cpu0" ] && [ -n "$cpu1" ] && [ -n "$nreq" ] && [ "$nreq" -gt 0 ]; then
      cpu_us=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$nreq" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f", (b - a) * 1e6 / hz / n }')
    fi
    local line="$name procs=1 n=50 metric=$rps req/s check=${resp%%:*}${cpu_us:+ cpu_us=$cpu_us}"
    record "$cs" "$side" "$run" 0 "$line" "$note"
    log "  http $side #$run: $line${note:+ ($note)}"
  fi
}

C=$BUILD/bench/bench   # + _name: build-bench/bench/bench_<name>
G=$BUILD/go
B=$BUILD/boost
GO_OK=$HAVE_GO
# run_side SIDE CASE RUN NAME ARGS...: one run of that side's program
run_side() {
  local side=$1 cs=$2 run=$3 name=$4; shift 4
  case $side in
    grt) run_prog "$cs" grt "$run" "$name" "$C"_"$name" "$@" ;;
    go) run_prog "$cs" go "$run" "$name" "$G/$name" "$@" ;;
    boost) run_prog "$cs" boost "$run" "$name" "$B/$name" "$@" ;;
  esac
}
# pair CASE NAME ARGS... : RUNS runs of grt and Go, plus the Boost.Fiber
# twin when WITH_BOOST=1, alternating: grt first on odd runs and last on even
# ones, so that no side always runs on a warm or a cold machine
pair() {
  local cs=$1 name=$2; shift 2
  local i s sides=(grt)
  [ $GO_OK = 1 ] && sides+=(go)
  [ "${WITH_BOOST:-0}" = 1 ] && [ $HAVE_BOOST = 1 ] && sides+=(boost)
  for i in $(seq "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then
      for s in "${sides[@]}"; do run_side "$s" "$cs" "$i" "$name" "$@"; done
    else
      for ((s = ${#sides[@]} - 1; s >= 0; s--)); do
        run_side "${sides[s]}" "$cs" "$i" "$name" "$@"
      done
    fi
  done
}

log "run.sh: rows: ${ROWS[*]}; RUNS=$RUNS${GRT_BENCH_SCALE:+ GRT_BENCH_SCALE=$GRT_BENCH_SCALE}"
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for row in "${ROWS[@]}"; do
  log "run.sh: $row"
  case $row in
    floor)
      for i in $(seq "$RUNS"); do run_prog floor grt "$i" floor "$C"_floor; done ;;
    spawn|pingpong|skynet)
      WITH_BOOST=1 pair "$row/1" "$row" 1
      WITH_BOOST=1 pair "$row/2" "$row" 2
      if [ "$row" = skynet ]; then
        # the cost of the execution trace (GRT_TRACE) on the same program
        for p in 1 2; do
          for i in $(seq "$RUNS"); do
            GRT_TRACE="$BUILD/skynet-trace.json" run_prog "skynet-trace/$p" grt "$i" skynet "$C"_skynet "$p"
            rm -f "$BUILD/skynet-trace.json"
          done
        done
      fi ;;
    yield) WITH_BOOST=1 pair yield/1 yield 1 ;;
    mutex) WITH_BOOST=1 pair mutex/2 mutex 2 ;;
    sleep|idle|latency) pair "$row/2" "$row" 2 ;;
    memory)
      pair memory/2 memory 2
      # the scaling section: exact counts, not scaled by GRT_BENCH_SCALE
      for count in $MEM_COUNTS; do
        log "run.sh: memory scaling, $count live goroutines"
        WITH_BOOST=1 pair "memscale/$count" memory 2 "$count"
      done ;;
    parallel) pair parallel parallel ;;
    http)
      for i in $(seq "$RUNS"); do
        run_http grt "$i" http "$C"_http strict
        if [ $GO_OK = 1 ]; then
          run_http go-nethttp "$i" http-nethttp "$G/http-nethttp" lax
          run_http go-raw "$i" http-raw "$G/http-raw" strict
        fi
      done ;;
  esac
done
ELAPSED=$(( $(date +%s) - START ))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "run.sh: ran for $ELAPSED s"

# --- report -----------------------------------------------------------------
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
GO_VERSION=$( [ $HAVE_GO = 1 ] && go version || echo "go: not installed")
BOOST_VERSION="not installed"
if [ $HAVE_BOOST = 1 ]; then
  BOOST_VERSION="libboost-fiber-dev $(dpkg-query -W -f='${Version}' libboost-fiber-dev 2>/dev/null ||
                  echo '?'), g++ $(g++ -dumpfullversion)"
fi
GNUPLOT_TERM=""
if command -v gnuplot >/dev/null 2>&1; then
  terms=$(gnuplot -e 'set terminal' 2>&1)
  if grep -qE '^ *pngcairo ' <<<"$terms"; then GNUPLOT_TERM=pngcairo
  elif grep -qE '^ *png ' <<<"$terms"; then GNUPLOT_TERM=png
  fi
fi
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC') BENCH_ARCH=$(uname -m) BENCH_NPROC=$(nproc) \
BENCH_CPU="$CPU_MODEL" BENCH_GO="$GO_VERSION" BENCH_BOOST="$BOOST_VERSION" BENCH_COMMAND="$COMMAND" BENCH_RUNS="$RUNS" \
BENCH_SCALE="${GRT_BENCH_SCALE:-1}" BENCH_ELAPSED="$ELAPSED" BENCH_LOAD="$LOAD_START -> $LOAD_END" BENCH_DURATION="$DURATION" GNUPLOT_TERM="$GNUPLOT_TERM" \
  python3 "$ROOT/bench/report.py" "$RAW" "$RESULTS/latest.md" "$RESULTS/latest.png" "$BUILD"
