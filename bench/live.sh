#!/usr/bin/env bash
# Measures the delay from an action to another browser's update, through the live stream, on
# a release build on loopback: a post is published with a script call, and a page of /posts
# open in Chromium shows it without reloading. Prints the median and worst of N runs for
#   - one instance (SQLite);
#   - two instances on one PostgreSQL, through LISTEN/NOTIFY (published on A, watched on B);
#   - the same two instances, through Redis pub/sub;
# then holds LIVE_STREAMS (default 10,000) streams open on one instance and prints the
# resident memory per stream and how long all of them take to hear a revalidation (p99).
# Not part of the tests. Usage: bench/live.sh [runs, default 20]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/../scripts/toolchain.sh
source "$ROOT/scripts/toolchain.sh"
fw_toolchain
fw_apt chromium postgresql redis-server curl
fw_node
# shellcheck source=SCRIPTDIR/../scripts/services.sh
source "$ROOT/scripts/services.sh"

RUNS=${1:-20}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/formwork-live.XXXXXX")
FW_SERVICES_DIR=$WORK
# Instances are started in a subshell (`$(serve …)`): their ids go through a file.
stop_servers() {
  [ -f "$WORK/pids" ] || return 0
  # `|| true`: an instance that already exited is no error (set -e, and it runs in the trap).
  while read -r pid; do kill "$pid" 2>/dev/null || true; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done <"$WORK/pids"
  rm -f "$WORK/pids"
}
trap 'stop_servers; fw_stop_services; rm -rf "$WORK"' EXIT
cd "$ROOT"

fw_release_wasm
cargo leptos build --release "${FW_LEPTOS_ARGS[@]}" >&2
(cd end2end && npm ci --no-audit --no-fund --silent)
fw_start_postgres >&2
fw_start_redis >&2

# `serve DATABASE_URL [VAR=value…]`: starts an instance on a free port; prints its base URL.
serve() {
  local database=$1 port base; shift
  port=$(fw_free_port); base="http://127.0.0.1:$port"
  # Rate limits off: every post comes from one user, and the measurement is the point.
  env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site LEPTOS_HASH_FILES=true \
    DATABASE_URL="$database" OBJECTS_DIR="$WORK/objects" PUBLIC_ORIGIN="$base" RUST_LOG=warn \
    RATE_LIMITS=false "$@" \
    "$CARGO_TARGET_DIR/release/server" >>"$WORK/server.log" 2>&1 &
  echo $! >>"$WORK/pids"
  until curl -fsS "$base/healthz" >/dev/null 2>&1; do sleep 0.2; done
  echo "$base"
}

# `session BASE`: registers a new user there; prints its session cookie's value.
session() {
  local base=$1 name="writer$RANDOM$RANDOM" register
  register=$(curl -fsS "$base/register" | grep -o 'action="/api/register[^"]*"' | head -n1 | cut -d'"' -f2)
  curl -fsS -o /dev/null -c "$WORK/jar" -H 'Sec-Fetch-Site: same-origin' \
    -d "username=$name&email=$name%40example.org&password=correct+horse+battery+staple" "$base$register"
  awk '$6 == "fw_session" {print $7}' "$WORK/jar"
}

# `measure LABEL PUBLISH_BASE WATCH_BASE`
measure() {
  SESSION=$(session "$2") CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium} \
    NODE_PATH="$ROOT/end2end/node_modules" node bench/live-delay.cjs "$2" "$3" "$RUNS" "$1"
}

echo "== Formwork live updates: action → another browser's page, release build, loopback =="
echo "machine: $(nproc) cores, $(rustc --version)"
one=$(serve "sqlite:$WORK/live.db")
measure "one instance (SQLite)" "$one" "$one"
stop_servers

STREAMS=${LIVE_STREAMS:-10000}
echo "== fan-out: $STREAMS open streams on one instance (SQLite) =="
# One process holds every stream's socket; the server holds as many.
ulimit -n "$(ulimit -Hn)"
# The server's own count of open streams is read from its operator port (never public).
metrics_port=$(fw_free_port)
one=$(serve "sqlite:$WORK/fanout.db" METRICS_ADDR="127.0.0.1:$metrics_port")
SESSION=$(session "$one") METRICS_URL="http://127.0.0.1:$metrics_port/metrics" \
  node bench/live-fanout.cjs "$one" "$(tail -n1 "$WORK/pids")" "$STREAMS" 5
stop_servers

a=$(serve "$FORMWORK_TEST_POSTGRES_URL" INVALIDATIONS=postgres)
b=$(serve "$FORMWORK_TEST_POSTGRES_URL" INVALIDATIONS=postgres)
measure "two instances, PostgreSQL LISTEN/NOTIFY" "$a" "$b"
stop_servers

a=$(serve "$FORMWORK_TEST_POSTGRES_URL" INVALIDATIONS=redis REDIS_URL="$FORMWORK_TEST_REDIS_URL")
b=$(serve "$FORMWORK_TEST_POSTGRES_URL" INVALIDATIONS=redis REDIS_URL="$FORMWORK_TEST_REDIS_URL")
measure "two instances, Redis pub/sub" "$a" "$b"
