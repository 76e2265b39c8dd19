# shellcheck shell=bash
# Loopback services for the tests and the benchmarks: a PostgreSQL and a Redis of their own,
# in a scratch directory, on free ports. Source it after scripts/toolchain.sh, set
# FW_SERVICES_DIR, start what you need, and call fw_stop_services on exit.
#   fw_start_postgres  exports FORMWORK_TEST_POSTGRES_URL (an admin URL, trust auth)
#   fw_start_redis     exports FORMWORK_TEST_REDIS_URL
#   fw_start_s3        exports FORMWORK_TEST_S3_ENDPOINT and FORMWORK_TEST_S3_BUCKET (an
#                      S3-compatible server: moto's, from PyPI, in a venv kept across runs)
# Like toolchain.sh, it works both under `set -euo pipefail` (bench/) and without -e (test.sh).

FW_PG_PORT=
FW_REDIS_PID=
FW_S3_PID=
# The S3-compatible server the tests keep objects in (pinned; installed once).
FW_MOTO_VERSION=5.1.22
FW_S3_VENV=${FW_S3_VENV:-$HOME/.cache/formwork/s3}

fw_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root; run its tools as the postgres user then.
fw_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The newest installed server's bin dir, or nothing (and no failure) when there is none.
fw_pg_bin() {
  local bins=(/usr/lib/postgresql/*/bin)
  if [ -d "${bins[0]}" ]; then printf '%s\n' "${bins[@]}" | sort -V | tail -n1; fi
}

fw_start_postgres() {
  local bin data=$FW_SERVICES_DIR/pg
  bin=$(fw_pg_bin)
  [ -n "$bin" ] || { echo "no PostgreSQL server binaries found"; return 1; }
  FW_PG_PORT=$(fw_free_port)
  mkdir -p "$data" || return 1
  # Only root can give it away; a user runs initdb as itself (fw_as_postgres).
  chown postgres: "$data" 2>/dev/null || true
  chmod 755 "$FW_SERVICES_DIR"
  fw_as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null || return 1
  fw_as_postgres "$bin/pg_ctl" -D "$data" -w -l "$data/log" \
    -o "-c listen_addresses=127.0.0.1 -p $FW_PG_PORT -k $data -c fsync=off" start >/dev/null || {
      cat "$data/log"; return 1; }
  export FORMWORK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$FW_PG_PORT/postgres"
}

fw_start_redis() {
  local port dir=$FW_SERVICES_DIR/redis
  port=$(fw_free_port)
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/log" &
  FW_REDIS_PID=$!
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && {
      export FORMWORK_TEST_REDIS_URL="redis://127.0.0.1:$port/0"; return 0; }
    sleep 0.1
  done
  cat "$dir/log"; return 1
}

fw_start_s3() {
  local port dir=$FW_SERVICES_DIR/s3
  if ! "$FW_S3_VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$FW_MOTO_VERSION')" 2>/dev/null; then
    fw_log "installing moto $FW_MOTO_VERSION (an S3-compatible server) into $FW_S3_VENV"
    python3 -m venv "$FW_S3_VENV" || return 1
    "$FW_S3_VENV/bin/pip" install -q "moto[server]==$FW_MOTO_VERSION" || return 1
  fi
  port=$(fw_free_port)
  mkdir -p "$dir"
  "$FW_S3_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$dir/log" 2>&1 &
  FW_S3_PID=$!
  for _ in $(seq 1 100); do
    # The bucket the tests share; each test keeps its objects under a prefix of its own.
    if curl -fsS -X PUT "http://127.0.0.1:$port/formwork-test" >/dev/null 2>&1; then
      export FORMWORK_TEST_S3_ENDPOINT="http://127.0.0.1:$port" FORMWORK_TEST_S3_BUCKET=formwork-test
      return 0
    fi
    sleep 0.2
  done
  cat "$dir/log"; return 1
}

fw_stop_services() {
  # Best effort (it runs in EXIT traps): a service that is already gone is no error.
  if [ -n "$FW_S3_PID" ]; then kill "$FW_S3_PID" 2>/dev/null || true; fi
  if [ -n "$FW_REDIS_PID" ]; then kill "$FW_REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$FW_PG_PORT" ]; then
    fw_as_postgres "$(fw_pg_bin)/pg_ctl" -D "$FW_SERVICES_DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  FW_REDIS_PID='' FW_PG_PORT='' FW_S3_PID=''
}
