#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A throwaway PostgreSQL 15 cluster in DIR: unix socket in DIR only
# (listen_addresses=''), trust authentication, fsync off.  initdb and
# postgres run as the `postgres` user when this runs as root.  Usage:
#   scripts/pg-tmp.sh start DIR   # prints the socket directory (PGHOST) and port
#   scripts/pg-tmp.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgresql missing (scripts/deps.sh test)" >&2; exit 77; }
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 30 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=$port -c fsync=off -c max_connections=200" \
    start >/dev/null
  echo "$dir $port" ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true ;;
esac
