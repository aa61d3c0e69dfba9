#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A throwaway redis-server on a free 127.0.0.1 port, persistence off, for
# tests and benchmarks.  Usage:
#   scripts/redis-tmp.sh start DIR   # prints the port; the server runs until stop
#   scripts/redis-tmp.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
case $cmd in
start)
  command -v redis-server >/dev/null || { echo "redis-server missing (scripts/deps.sh test)" >&2; exit 77; }
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "$port"; exit 0; }
    sleep 0.05
  done
  echo "redis-server did not start (see $dir/redis.log)" >&2; exit 1 ;;
stop)
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true ;;
esac
