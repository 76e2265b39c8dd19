#!/usr/bin/env bash
# Search and the post list at scale, on SQLite (a release build, loopback). Not part of the
# tests; the tests prove the answers (server/tests/conformance.rs), this prints the times.
#   - 100,000 posts (POSTS overrides) written straight into a database made by `server migrate`,
#     without their folded search text, as an upgraded database holds them: the start-up folds
#     them (store::backfill_search) and the time to the first 200 is printed
#   - /search?q=… for a word in almost every post, one in 1%, one in ten posts, two words, a
#     word in no post, and a two-letter word (below the trigram index: read post by post): p50
#     and p99 over one connection, against the goal of p50 <= 10 ms
#   - the JSON list (uncached: straight to the store) at its first page and its thousandth,
#     by cursor: p50 over one connection, against the goal of within 2x
# Usage: bench/search.sh [seconds per load test, default 5]
set -euo pipefail
# shellcheck source=SCRIPTDIR/../scripts/toolchain.sh
source "$(dirname "$0")/../scripts/toolchain.sh"
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
fw_toolchain
fw_apt wrk curl python3

DURATION=${1:-5}
POSTS=${POSTS:-100000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/formwork-search.XXXXXX")
SERVER_PID=
trap 'if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT

fw_release_wasm
cargo leptos build --release "${FW_LEPTOS_ARGS[@]}" >&2
SERVER=$CARGO_TARGET_DIR/release/server
DB=$WORK/search.db
DATABASE_URL="sqlite:$DB" RUST_LOG=warn "$SERVER" migrate >&2

# The posts: a vocabulary of made-up words, "the" in nearly every post, "Straße" in 1% of
# them, "zeppelin" in ten. Deterministic, so runs compare.
python3 - "$DB" "$POSTS" <<'PY'
import random, sqlite3, sys
db, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(19)
syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "sen", "dar", "pel", "qui", "bo"]
vocabulary = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(400)]
def words(n):
    return " ".join(rng.choice(vocabulary) for _ in range(n))
rows = []
for n in range(1, count + 1):
    title = f"{words(3).capitalize()} {n}"
    content = f"{words(20)} the {words(40)}." if n % 50 else f"{words(60)}."
    if n % 100 == 0:
        content += " Eine Straße in Berlin."
    if n % (count // 10) == 0:
        content += " A zeppelin passes."
    rows.append((f"post-{n}", title, content, "2026-11-01 12:00:00.000000+00:00"))
conn = sqlite3.connect(db)
conn.executemany("INSERT INTO posts (slug, title, content, created_at) VALUES (?, ?, ?, ?)", rows)
conn.commit()
PY

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
start=$(date +%s%N)
LEPTOS_SITE_ADDR=127.0.0.1:$PORT LEPTOS_SITE_ROOT=target/site LEPTOS_HASH_FILES=true \
  DATABASE_URL="sqlite:$DB" OBJECTS_DIR="$WORK/objects" RUST_LOG=info RATE_LIMITS=false \
  "$SERVER" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
until curl -fsS "$BASE/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.05
done
echo "== Search and paging: $POSTS posts on SQLite, release build, loopback, ${DURATION}s each =="
echo "machine: $(nproc) cores, $(rustc --version)"
echo "start-up with the search text of $POSTS posts to fold: $(( ($(date +%s%N) - start) / 1000000 )) ms to the first 200"
grep -o 'folded the search text[^"]*' "$WORK/server.log" | head -n1 | sed 's/^/    /' || true

echo
echo "== GET /search?q=…, one connection =="
for q in the STRASSE zeppelin "zeppelin straße" qqqzzz ka; do
  url="$BASE/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$q")"
  hits=$(curl -fsS "$url" | { grep -o 'class="post-summary"' || true; } | wc -l)
  load "search \"$q\" ($hits shown)" 1 "$url"
  if [ ${#q} -ge 3 ]; then
    goal "p50 within 10 ms ($P50)" "$(( $(micros "$P50" | cut -d. -f1) <= 10000 ? 1 : 0 ))"
  fi
done

echo
echo "== GET /api/v1/posts (uncached), one connection: the first page and the thousandth =="
cursor() { printf 'before:%s' "$1" | base64 | tr '+/' '-_' | tr -d '=\n'; }
load "first page" 1 "$BASE/api/v1/posts?limit=20"
first=$(micros "$P50")
deep=$(( POSTS - 999 * 20 + 1 ))
load "page 1000 (before id $deep)" 1 "$BASE/api/v1/posts?limit=20&cursor=$(cursor "$deep")"
thousandth=$(micros "$P50")
goal "page 1000 within 2x of page 1 at p50 ($thousandth vs $first µs)" \
  "$(awk -v a="$thousandth" -v b="$first" 'BEGIN {print (a <= 2 * b) ? 1 : 0}')"
