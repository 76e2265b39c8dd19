#!/usr/bin/env bash
# Measures a release build on loopback and prints the figures. Not part of the tests.
#   - GET /posts, signed out (the shared page from memory, and rendered) and signed in (a
#     repeat view, kept for the visitor, and rendered): throughput, p50/p99 latency at concurrency 32 (wrk) and the server's CPU per request
#     (from /proc/<pid>/stat before and after), and the rendered page's CPU against a static
#     page's rendered by the same stack in the same run
#   - the no-JS create_post form POST of a signed-in user, with its form's one-time token as a
#     browser sends it: throughput and latency (wrk)
#   - static assets (the favicon, the page's JS) over one keep-alive connection (p99 latency)
#     and at concurrency 32 (throughput against the SSR page's), and the same for bare axum
#     serving the favicon (bench/baseline): the floor this machine allows any tokio server
#   - the same bare axum inserting one SQLite row per POST: the database's own rate, against
#     which the no-JS create_post is read
#   - the goals that read one rate against another (signed in against signed out, kept and
#     rendered; create_post against the bare insert): three rounds, each pair back to back,
#     every round's ratio printed and the median read against the goal
#   Each figure with a goal prints it beside the figure, met or missed.
#   - the WASM and JS that /posts, /todos, /search, /feedback, /settings (an island) and
#     /settings/profile load
#     for a signed-in user in Chromium, lazy chunks included: raw, gzip -9 and brotli -q 11
#     bytes, against #19's budgets: 40,000 B brotli for /posts, 60,000 B for every other page
#   - avatar uploads: how long the multipart action takes to answer (checked, staged, job
#     recorded) and how long until the 256x256 picture is ready (the job), for a 3 MB PNG
#   - the data cache under contention: operations per second from 1 to 8 threads
#   - instructions per request for /posts rendered, signed out and signed in, counted by
#     callgrind: the same from run to run (to within a fraction of a percent) where the
#     wall-clock figures above move by several, so the effect of a change shows in it
# Usage: bench/run.sh [seconds per load test, default 10]
set -euo pipefail
# shellcheck source=SCRIPTDIR/../scripts/toolchain.sh
source "$(dirname "$0")/../scripts/toolchain.sh"
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
fw_toolchain
fw_apt wrk brotli curl gzip chromium valgrind
fw_node
# Chromium is driven through the end-to-end suite's Playwright (bench/bundle.cjs).
(cd "$FW_ROOT/end2end" && npm ci --no-audit --no-fund --silent)

DURATION=${1:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/formwork-bench.XXXXXX")
SERVER_PID=
SITE_PID=
BASELINE_PID=
# `|| true`: under set -e a failed kill (the server already gone) would skip the rm.
stop_all() {
  local pid
  for pid in $SERVER_PID $SITE_PID $BASELINE_PID; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap stop_all EXIT

fw_release_wasm
cargo leptos build --release "${FW_LEPTOS_ARGS[@]}" >&2
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# Rate limits off: the load comes from one address and one user, and is the point.
LEPTOS_SITE_ADDR=127.0.0.1:$PORT LEPTOS_SITE_ROOT=target/site LEPTOS_HASH_FILES=true \
  DATABASE_URL="sqlite:$WORK/bench.db" OBJECTS_DIR="$WORK/objects" RUST_LOG=warn RATE_LIMITS=false \
  "$CARGO_TARGET_DIR/release/server" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
until curl -fsS "$BASE/healthz" >/dev/null 2>&1; do sleep 0.2; done

# One signed-in writer at BASE: registers through the form's action, keeps the session cookie
# in JAR, and publishes 40 posts (a realistic list: /posts renders a full page of twenty).
# Prints the session cookie's value.
seed() { # base, cookie jar
  local base=$1 jar=$2 register session action n
  register=$(curl -fsS "$base/register" | grep -o 'action="/api/register[^"]*"' | head -n1 | cut -d'"' -f2)
  curl -fsS -o /dev/null -c "$jar" -H 'Sec-Fetch-Site: same-origin' \
    -d "username=bench&email=bench%40example.org&password=correct+horse+battery+staple" "$base$register"
  session=$(awk '$6 == "fw_session" {print $7}' "$jar")
  [ -n "$session" ] || { echo "could not sign in" >&2; return 1; }
  action=$(curl -fsS -b "fw_session=$session" "$base/posts" | grep -o 'action="/api/create_post[^"]*"' | head -n1 | cut -d'"' -f2)
  for n in $(seq 1 40); do
    curl -fsS -o /dev/null -b "fw_session=$session" -H 'Sec-Fetch-Site: same-origin' \
      -d "title=Benchmark+post+$n&content=Some+content+for+post+$n." "$base$action"
  done
  echo "$session"
}
SESSION=$(seed "$BASE" "$WORK/jar")
ACTION=$(curl -fsS -b "fw_session=$SESSION" "$BASE/posts" | grep -o 'action="/api/create_post[^"]*"' | head -n1 | cut -d'"' -f2)

# Each wrk thread numbers its requests apart (its number, then its own count): the load
# scripts' requests are each unlike any other.
COUNTER_LUA='local counter = 0
local id = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) id = tid or 0 end'
# A browser's form post carries its rendered form's one-time token (`__fw_once`), which the
# server claims before the action runs and under which it records the outcome. A page's
# token signs the page's id, and each form on it has a number: the load numbers its forms
# apart on one page, so that every post is a first submission, claimed and recorded.
ONCE=$(curl -fsS -b "fw_session=$SESSION" "$BASE/posts" | grep -o 'name="__fw_once" value="[^"]*"' | head -n1 | cut -d'"' -f4)
case $ONCE in *-*.*) ;; *) echo "no one-time form token on /posts: $ONCE" >&2; exit 1;; esac
ONCE_PAGE=${ONCE%%-*}
ONCE_SIGNATURE=${ONCE#*.}
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "text/html"
wrk.headers["Referer"] = "$BASE/posts"
wrk.headers["Cookie"] = "fw_session=$SESSION"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
-- Every post a title of its own, as people write them: a taken slug's search is not what is
-- measured here.
$COUNTER_LUA
-- Each round of the load (ROUND, below) numbers its posts apart from the other rounds' too.
local round = tonumber(os.getenv("ROUND") or "1")
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, "title=Load+test+" .. round .. "-" .. id .. "-" .. counter
    .. "&content=Posted+by+wrk."
    .. "&__fw_once=$ONCE_PAGE-" .. (round * 1000000000 + id * 100000000 + counter) .. ".$ONCE_SIGNATURE")
end
LUA

# A page view that is always rendered: each request carries a cookie no other one has (so no
# kept page can answer it), after the cookies given.
view_lua() { # file, cookies before the fresh one ("" for none)
  cat >"$1" <<LUA
$COUNTER_LUA
request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = "$2" .. "view=" .. id .. "-" .. counter
  return wrk.format("GET")
end
LUA
}
view_lua "$WORK/fresh.lua" ""
view_lua "$WORK/fresh-signed-in.lua" "fw_session=$SESSION; "

echo "== Formwork bench: release build, loopback, concurrency 32, ${DURATION}s each =="
echo "machine: $(nproc) cores, $(rustc --version)"
# Signed out, /posts is a shared page (formwork::page_cache): rendered once, then served from
# memory with a fresh nonce, until the next revalidation.
load "GET /posts (signed out: the shared page, from memory)" 32 "$BASE/posts"
page_rps=$RPS; page_cpu=$CPU_US
goal "signed out: at most 90 µs of server CPU per request ($page_cpu)" \
  "$(awk -v c="$page_cpu" 'BEGIN {print (c != "" && c + 0 <= 90) ? 1 : 0}')"
# A cookie of its own on every request: the render itself, as every signed-out page cost before.
load "GET /posts (signed out, rendered: each request its own cookie)" 32 -s "$WORK/fresh.lua" "$BASE/posts"
render_rps=$RPS; render_cpu=$CPU_US
# The same stack rendering a page that reads no data (the shell, the router, the middleware):
# what a render costs before the page's own content.
load "GET /contact/thanks (static page, rendered)" 32 -s "$WORK/fresh.lua" "$BASE/contact/thanks"
echo "    /posts rendered costs $(awk -v a="$render_cpu" -v b="$CPU_US" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x the static page's CPU per request; from memory $(awk -v a="$page_cpu" -v b="$CPU_US" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x"
# Signed in, /posts is kept for each visitor (formwork::page_cache::keep_per_visitor): a
# repeat view comes from memory once the session is checked, until a revalidation, a sign-out
# or a role change.
load "GET /posts (signed in: a repeat view, kept)" 32 -H "Cookie: fw_session=$SESSION" "$BASE/posts"
kept_rps=$RPS
load "GET /posts (signed in, rendered: each its own cookie)" 32 -s "$WORK/fresh-signed-in.lua" "$BASE/posts"
rendered_in_rps=$RPS
load "POST create_post (no-JS form with its one-time token, 303)" 32 -s "$WORK/post.lua" "$BASE$ACTION"
create_rps=$RPS
goal "no-JS create_post: at least 7,460 req/s (10x the peer's 746)" \
  "$(awk -v a="$RPS" 'BEGIN {print (a >= 7460) ? 1 : 0}')"

echo
echo "== Static assets: one keep-alive connection, then concurrency 32 =="
# The script every page loads: formwork's runtime (served from memory, hashed name).
ASSET=$(curl -fsS "$BASE/posts" | grep -o '/_formwork/runtime-[^"]*\.js' | head -n1)
site_p99=
for asset in /favicon.svg "$ASSET"; do
  load "GET $asset" 1 "$BASE$asset"
  site_p99=${site_p99:-$P99}
  goal "one connection: p99 within 1 ms ($P99)" "$(( $(micros "$P99" | cut -d. -f1) <= 1000 ? 1 : 0 ))"
  load "GET $asset" 32 "$BASE$asset"
  goal "concurrency 32: at least the rendered SSR page's rate ($RPS vs $render_rps)" \
    "$(awk -v a="$RPS" -v b="$render_rps" 'BEGIN {print (a >= b) ? 1 : 0}')"
done
# The floor: bare axum on the same runtime flavour, serving the same favicon from memory, in
# the same run. The site's figures above are read against it.
(cd "$FW_ROOT/bench/baseline" && cargo build --release --locked --quiet) >&2
BASELINE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/release/bench-baseline" "127.0.0.1:$BASELINE_PORT" "$WORK/bare.db" &
SITE_PID=$SERVER_PID
SERVER_PID=$!
until curl -fsS "http://127.0.0.1:$BASELINE_PORT/favicon.svg" >/dev/null 2>&1; do sleep 0.1; done
load "GET /favicon.svg (bare axum floor)" 1 "http://127.0.0.1:$BASELINE_PORT/favicon.svg"
echo "    the site's favicon over one connection: p99 $site_p99 against the bare floor's $P99"
load "GET /favicon.svg (bare axum floor)" 32 "http://127.0.0.1:$BASELINE_PORT/favicon.svg"
# The same database's bare insert: one row per POST, SQLite opened as formwork opens it.
cat >"$WORK/insert.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "Posted by wrk."
LUA
load "POST /insert (bare axum + sqlx, one SQLite row)" 32 -s "$WORK/insert.lua" "http://127.0.0.1:$BASELINE_PORT/insert"
bare_rps=$RPS
BASELINE_PID=$SERVER_PID

# The goals that read one rate against another, from three rounds: the first is the one above,
# two more follow, each of its pair measured back to back (the machine's pace drifts over a
# run, and a single pair has missed or met by that alone). Each round's ratio is printed; the
# goal reads the median.
echo
echo "== Rates against rates: three rounds, each pair back to back, the median ratio =="
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
kept_ratios=("$(ratio "$kept_rps" "$page_rps")")
rendered_ratios=("$(ratio "$rendered_in_rps" "$render_rps")")
create_ratios=("$(ratio "$create_rps" "$bare_rps")")
for round in 2 3; do
  SERVER_PID=$SITE_PID
  load "round $round: GET /posts (signed out, from memory)" 32 "$BASE/posts"; a=$RPS
  load "round $round: GET /posts (signed in, kept)" 32 -H "Cookie: fw_session=$SESSION" "$BASE/posts"
  kept_ratios+=("$(ratio "$RPS" "$a")")
  load "round $round: GET /posts (signed out, rendered)" 32 -s "$WORK/fresh.lua" "$BASE/posts"; a=$RPS
  load "round $round: GET /posts (signed in, rendered)" 32 -s "$WORK/fresh-signed-in.lua" "$BASE/posts"
  rendered_ratios+=("$(ratio "$RPS" "$a")")
  ROUND=$round load "round $round: POST create_post" 32 -s "$WORK/post.lua" "$BASE$ACTION"; a=$RPS
  SERVER_PID=$BASELINE_PID
  load "round $round: POST /insert (bare)" 32 -s "$WORK/insert.lua" "http://127.0.0.1:$BASELINE_PORT/insert"
  create_ratios+=("$(ratio "$a" "$RPS")")
done
echo "signed in (kept) / signed out (from memory):  ${kept_ratios[*]}"
goal "signed in: within 80% of signed out's rate (median $(median3 "${kept_ratios[@]}"))" \
  "$(awk -v r="$(median3 "${kept_ratios[@]}")" 'BEGIN {print (r >= 0.8) ? 1 : 0}')"
echo "signed in, rendered / signed out, rendered:   ${rendered_ratios[*]}"
goal "signed in, rendered: within 80% of signed out's (median $(median3 "${rendered_ratios[@]}"))" \
  "$(awk -v r="$(median3 "${rendered_ratios[@]}")" 'BEGIN {print (r >= 0.8) ? 1 : 0}')"
echo "no-JS create_post / bare insert:              ${create_ratios[*]}"
goal "no-JS create_post: at least half the bare insert's rate (median $(median3 "${create_ratios[@]}"))" \
  "$(awk -v r="$(median3 "${create_ratios[@]}")" 'BEGIN {print (r >= 0.5) ? 1 : 0}')"
kill "$BASELINE_PID"
SERVER_PID=$SITE_PID
SITE_PID=
BASELINE_PID=

# The same render counted in instructions (user space, callgrind): a second server under
# valgrind, with the same posts and the same signed-in user.
echo
echo "== Instructions per request: /posts rendered, counted by callgrind (100 requests each) =="
CG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CG=http://127.0.0.1:$CG_PORT
LEPTOS_SITE_ADDR=127.0.0.1:$CG_PORT LEPTOS_SITE_ROOT=target/site LEPTOS_HASH_FILES=true \
  DATABASE_URL="sqlite:$WORK/counted.db" OBJECTS_DIR="$WORK/counted-objects" RUST_LOG=warn RATE_LIMITS=false \
  valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.%p" \
  "$CARGO_TARGET_DIR/release/server" >"$WORK/counted.log" 2>&1 &
BASELINE_PID=$!
until curl -fsS "$CG/healthz" >/dev/null 2>&1; do sleep 0.5; done
CG_SESSION=$(seed "$CG" "$WORK/counted-jar")
# Counts from a callgrind dump: its instructions, over the requests it saw (the calls of the
# posts page's component, one a request). `callgrind_control` returns once done.
counted() { # cookies before the fresh one ("" for none), name
  local dump i
  for i in $(seq 1 20); do curl -fsS -o /dev/null -b "${1}view=warm-$i" "$CG/posts"; done
  callgrind_control --zero "$BASELINE_PID" >/dev/null 2>&1
  for i in $(seq 1 100); do curl -fsS -o /dev/null -b "${1}view=counted-$i" "$CG/posts"; done
  callgrind_control --dump="$2" "$BASELINE_PID" >/dev/null 2>&1
  dump=$(grep -l "^desc: Trigger: dump $2\$" "$WORK"/callgrind.*)
  python3 - "$dump" <<'PY'
import re, sys
names, callee, calls, total = {}, None, 0, 0
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        if m.group(1) == "cfn":
            callee = names.get(m.group(2))
    elif line.startswith("calls=") and callee == "app::posts::pages::__component_posts_page":
        calls += int(line.split("=")[1].split()[0])
    elif line.startswith("summary:"):
        total = int(line.split()[1])
print(f"{total / max(calls, 1):.0f} {calls}")
PY
}
read -r out_instructions out_requests < <(counted "" signed-out)
read -r in_instructions in_requests < <(counted "fw_session=$CG_SESSION; " signed-in)
kill "$BASELINE_PID"
BASELINE_PID=
printf '%-38s %10s instructions/request (%s requests)\n' "signed out, rendered" "$out_instructions" "$out_requests"
printf '%-38s %10s instructions/request (%s requests)\n' "signed in, rendered" "$in_instructions" "$in_requests"
echo "signed out / signed in, in instructions:     $(ratio "$out_instructions" "$in_instructions") (the goal reads CPU time, above: the kernel's share, the same for both, is not counted here)"

echo
echo "== What each page loads in Chromium (WASM + JS: the HTML's files, the split loader, lazy chunks), bytes =="
SESSION=$SESSION CHROMIUM_PATH=$(command -v chromium) NODE_PATH="$FW_ROOT/end2end/node_modules" \
  node "$FW_ROOT/bench/bundle.cjs" "$BASE" /posts /todos /search /feedback /settings /settings/profile >"$WORK/loads"
printf '%-10s %-62s %9s %9s %9s\n' page file raw gzip brotli
for page in $(awk '{print $1}' "$WORK/loads" | uniq); do
  total_raw=0; total_gz=0; total_br=0
  while read -r asset; do
    curl -fsS "$BASE$asset" -o "$WORK/asset"
    raw=$(wc -c <"$WORK/asset"); gz=$(gzip -9 -c "$WORK/asset" | wc -c); br=$(brotli -q 11 -c "$WORK/asset" | wc -c)
    printf '%-10s %-62s %9d %9d %9d\n' "$page" "${asset##*/}" "$raw" "$gz" "$br"
    total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
  done < <(awk -v p="$page" '$1 == p {print $2}' "$WORK/loads")
  printf '%-10s %-62s %9d %9d %9d\n' "$page" total "$total_raw" "$total_gz" "$total_br"
  budget=$([ "$page" = /posts ] && echo 40000 || echo 60000)
  goal "$page: at most $budget B brotli ($total_br B)" "$(( total_br <= budget ? 1 : 0 ))"
done
echo
echo "== Avatar uploads: a 3 MB PNG (1000x1000, incompressible), 5 runs =="
python3 - "$WORK/big.png" <<'PY'
import os, struct, sys, zlib
w = h = 1000
rows = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
UPLOAD=$(curl -fsS -b "fw_session=$SESSION" "$BASE/settings/profile" | grep -o 'action="/api/upload_avatar[^"]*"' | head -n1 | cut -d'"' -f2)
answers=(); readies=()
for _ in 1 2 3 4 5; do
  before=$(curl -fsS -b "fw_session=$SESSION" "$BASE/settings/profile" | grep -o '/avatars/[0-9]*/[0-9a-f]*\.jpg' | head -n1 || true)
  start=$(date +%s%N)
  answer=$(curl -fsS -o /dev/null -w '%{time_total}' -b "fw_session=$SESSION" -H 'Sec-Fetch-Site: same-origin' \
    -H 'Accept: application/json' -F "avatar=@$WORK/big.png;type=image/png" "$BASE$UPLOAD")
  until now=$(curl -fsS -b "fw_session=$SESSION" "$BASE/settings/profile" | grep -o '/avatars/[0-9]*/[0-9a-f]*\.jpg' | head -n1); \
        [ -n "$now" ] && [ "$now" != "$before" ]; do sleep 0.01; done
  answers+=("$(awk -v t="$answer" 'BEGIN {printf "%d", t * 1000}')")
  readies+=("$(( ($(date +%s%N) - start) / 1000000 ))")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
echo "upload answered (ms):      ${answers[*]}   median $(median "${answers[@]}")"
echo "picture ready after (ms):  ${readies[*]}   median $(median "${readies[@]}")"
echo
# The data cache shared by every request, measured alone (#19 item 5).
(cd "$FW_ROOT" && cargo bench --locked -q -p formwork --features ssr --bench cache -- 2)
