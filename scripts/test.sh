#!/usr/bin/env bash
# Installs what the tests need, then runs every check and prints a summary:
#   format, shellcheck over the scripts, the run command on a machine without the tools (an
#   empty HOME: it must get past tool detection to the first install), clippy (server and
#   wasm), unit and integration tests, the storage conformance suite on SQLite and on a real
#   PostgreSQL (started here on loopback), the rate limits in memory and through a real Redis
#   (started here too), uploads on a local folder and on an S3-compatible server (moto's,
#   started here too), the hostile-client suite on both backends, and Playwright in Debian's
#   Chromium, with JavaScript on and off, against a release build (the workspace's own
#   server-side crates unoptimised: see build_release).
# Exits non-zero if anything failed.
set -uo pipefail
# shellcheck source=SCRIPTDIR/toolchain.sh
source "$(dirname "$0")/toolchain.sh"
fw_toolchain || fw_die "toolchain set-up failed"
{ fw_apt chromium postgresql redis-server curl python3-venv shellcheck && fw_node; } || fw_die "installing test dependencies failed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/formwork-test.XXXXXX")
chmod 755 "$WORK"
# shellcheck source=SCRIPTDIR/services.sh
source "$(dirname "$0")/services.sh"
FW_SERVICES_DIR=$WORK
RESULTS=()
FAILED=0
SERVER_PID=

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; fi
  fw_stop_services
  rm -rf "$WORK"
}
trap cleanup EXIT

# `step NAME COMMAND...`: runs one check, records its result and duration.
step() {
  local name=$1; shift
  local start=$SECONDS
  fw_log "$name"
  if "$@"; then
    RESULTS+=("PASS  $name ($((SECONDS - start)) s)")
  else
    RESULTS+=("FAIL  $name ($((SECONDS - start)) s)")
    FAILED=$((FAILED + 1))
  fi
}

shellcheck_scripts() { shellcheck -x scripts/*.sh bench/*.sh .ci/run; }

# `fresh_machine_run [RUN]`: the README's run command (RUN, default this checkout's
# scripts/run.sh) on a machine without the tools: an empty HOME (no rustup, no cargo-installed
# tools, no cache) and a bare environment, so that nothing set up above (PATH, CARGO_TARGET_DIR,
# RUSTC_BOOTSTRAP) leaks in. Under its `set -euo pipefail` every probe of a missing tool must be
# survived: it passes once the output shows the cargo-leptos install starting, and is stopped
# there (its whole session, the `cargo install` included). The Debian packages it wants are
# there already after the installs above, so this takes seconds.
fresh_machine_run() {
  local run=${1:-$FW_ROOT/scripts/run.sh} home log sidfile pid sid='' status reached='' timed_out='' i
  local deadline=$((SECONDS + 600))
  home=$(mktemp -d "$WORK/home.XXXXXX") || return 1
  log=$home.log sidfile=$home.sid
  : >"$log"
  # A session of its own (so a process group too), whose id its first process writes down
  # (`setsid` forks when it is a group leader already, and `$!` is then not in the session).
  # shellcheck disable=SC2016 # `$$`, `$1` and `$@` are the inner bash's, single-quoted on purpose
  setsid --wait bash -c 'echo "$$" >"$1"; shift; exec "$@"' fresh-machine "$sidfile" \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" \
    "$run" </dev/null >"$log" 2>&1 &
  pid=$!
  until grep -q "installing cargo-leptos" "$log"; do
    kill -0 "$pid" 2>/dev/null || break
    if [ "$SECONDS" -ge "$deadline" ]; then timed_out=1; break; fi
    sleep 0.2
  done
  # Once more: it may have printed the line and exited between the two looks.
  if grep -q "installing cargo-leptos" "$log"; then reached=1; fi
  # Stop the whole session (run.sh, the `cargo install` it started, its rustc children), by
  # its id: a `timeout` in it would have moved to a process group of its own.
  sid=$(cat "$sidfile" 2>/dev/null)
  if [ -n "$sid" ]; then
    pkill -TERM -s "$sid"
    for i in $(seq 1 50); do
      pgrep -s "$sid" >/dev/null || break
      if [ "$i" -eq 25 ]; then pkill -KILL -s "$sid"; fi
      sleep 0.2
    done
    if pgrep -s "$sid" >/dev/null; then
      echo "still running after the stop:"; pgrep -a -s "$sid"
      return 1
    fi
  else
    kill "$pid" 2>/dev/null
  fi
  wait "$pid"; status=$?
  sed 's/^/    /' "$log"
  if [ -n "$reached" ]; then return 0; fi
  if [ -n "$timed_out" ]; then
    echo "$run did not reach the cargo-leptos install within 600 s (stopped, status $status)"
  else
    echo "$run exited with status $status before reaching the cargo-leptos install"
  fi
  return 1
}

# `rust-version` in Cargo.toml is a promise: the one rustc this command builds, lints and tests
# with. Cargo refuses older compilers; this keeps the promise true when the toolchain moves.
rust_version() {
  local declared have
  declared=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
  have=$(rustc --version | awk '{print $2}' | cut -d. -f1,2)
  echo "rust-version $declared; rustc $have"
  [ "$declared" = "$have" ] || {
    echo "Cargo.toml's rust-version ($declared) is not the rustc the tests run on ($have): make them agree"
    return 1
  }
}

clippy_server() {
  cargo clippy --locked -p server -p app -p formwork -p formwork-macros -p hello-form \
    -p formwork-guide --features hello-form/ssr,formwork-guide/ssr --all-targets -- -D warnings
}

clippy_wasm() {
  # The hydrate feature set, as the wasm build compiles it.
  local build_std=()
  read -ra build_std <<<"$FW_WASM_BUILD_STD"
  cargo clippy --locked -p frontend -p hello-form -p formwork-guide \
    --features hello-form/hydrate,formwork-guide/hydrate --lib \
    --target "$(fw_manifest wasm.target)" "${build_std[@]}" -- -D warnings
}

# formwork's documentation as docs.rs builds it (its server features), warnings as errors.
formwork_docs() {
  RUSTDOCFLAGS="-D warnings" cargo doc --locked -p formwork --no-deps \
    --features formwork/ssr,formwork/sqlite,formwork/postgres,formwork/redis
}

# Both test steps build the same packages with the same features, so the second reuses the
# first's build (`-p server` alone unifies features differently and rebuilt the workspace's
# crates: about 80 s).
workspace_tests() { cargo test --locked -p server -p app -p formwork -p formwork-macros "$@"; }

rust_tests() { workspace_tests -- --skip hostile_client_suite; }

# Its own step, so that the count of cases it ran shows in the log.
hostile_suite() { workspace_tests --test hostile -- hostile_client_suite --show-output; }

# The build the browser specs and the tarball check run: the release build (its profile, its
# optimised dependencies, the hashed site files, the split and size-optimised WASM) with the
# workspace's own server-side crates compiled at opt-level 0. Optimising those is most of a
# release build's time here (211 s against 44 s for formwork, app and server on this 2-core
# machine, the dependencies already built) and nothing the specs look at; bench/run.sh
# measures the fully optimised build.
FW_E2E_BUILD=()
for crate in formwork app server; do
  FW_E2E_BUILD+=("--bin-cargo-args=--config=profile.release.package.$crate.opt-level=0")
done
build_release() { (fw_release_wasm && cargo leptos build --release "${FW_LEPTOS_ARGS[@]}" "${FW_E2E_BUILD[@]}"); }

# `await_server URL LOG`: waits until the server started as SERVER_PID answers URL (its log on
# failure). `stop_server`: SIGTERM, and the server must exit cleanly by itself.
await_server() {
  for _ in $(seq 1 100); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$2"; return 1; }
    sleep 0.2
  done
  echo "no answer from $1 within 20 s"; tail -n 50 "$2"; return 1
}
stop_server() {
  local status=0
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || { echo "the server did not shut down cleanly"; status=1; }
  SERVER_PID=
  return $status
}

# The operator's tarball (scripts/package.sh) unpacked in an empty folder and started as the
# README says: from that folder, with only the variables of its formwork.env.sample (this
# machine's port and data folder, a fresh secret) and nothing else in the environment. It must
# answer its health check and a page whose hashed style and script it serves.
package_smoke() {
  local tarball dir port base secret page asset metrics_port
  tarball=$(scripts/package.sh --no-build "$WORK/package" | tail -n1) || return 1
  mkdir -p "$WORK/deployed" && tar -C "$WORK/deployed" -xzf "$tarball" || return 1
  dir=$(echo "$WORK"/deployed/formwork-site-*)
  port=$(fw_free_port)
  metrics_port=$(fw_free_port)
  base="http://127.0.0.1:$port"
  secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(36))')
  sed -e "s|^LEPTOS_SITE_ADDR=.*|LEPTOS_SITE_ADDR=127.0.0.1:$port|" \
    -e "s|^METRICS_ADDR=.*|METRICS_ADDR=127.0.0.1:$metrics_port|" \
    -e "s|^PUBLIC_ORIGIN=.*|PUBLIC_ORIGIN=$base|" -e "s|^FLASH_SECRET=.*|FLASH_SECRET=$secret|" \
    -e "s|/var/lib/formwork|$dir/data|g" "$dir/formwork.env.sample" >"$dir/formwork.env"
  mkdir -p "$dir/data"
  (cd "$dir" && exec env -i PATH=/usr/bin:/bin bash -c 'set -a; . ./formwork.env; set +a; exec ./server') \
    >"$WORK/deployed.log" 2>&1 &
  SERVER_PID=$!
  await_server "$base/healthz" "$WORK/deployed.log" || return 1
  local status=0
  page=$(curl -fsS "$base/posts") || { echo "GET /posts failed"; status=1; }
  local assets=()
  mapfile -t assets < <(grep -oE '(/pkg/[^"]+\.css|/_formwork/runtime-[0-9a-f]+\.js)' <<<"$page" | sort -u)
  [ "${#assets[@]}" -ge 2 ] || { echo "/posts links no hashed stylesheet or runtime script"; status=1; }
  for asset in "${assets[@]}"; do
    curl -fsS -o /dev/null "$base$asset" || { echo "GET $asset failed"; status=1; }
  done
  # /metrics on the operator's port, counting the page just served; not on the public one.
  # Read whole before searching: `grep -q` stops reading at its match, and under pipefail the
  # curl it cut off would fail the check.
  local scraped
  scraped=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics") || { echo "GET /metrics on the operator's port failed"; status=1; }
  grep -qF 'http_requests_total{method="GET",route="/posts",status="200"}' <<<"$scraped" ||
    { echo "the operator's port does not count GET /posts"; status=1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")" = 404 ] ||
    { echo "/metrics answers on the public port"; status=1; }
  if grep -q "no signing secret" "$WORK/deployed.log"; then
    echo "the sample's FLASH_SECRET was not used"; status=1
  fi
  stop_server || status=1
  if [ $status -ne 0 ]; then tail -n 30 "$WORK/deployed.log"; fi
  return $status
}

# The reference app's browser specs as a cargo-leptos user runs them: `cargo leptos end-to-end`
# on the release build just made (nothing is rebuilt). The specs start the server they need
# themselves (end2end/serve.mjs: this binary, a fresh database, an admin, TRUSTED_PROXIES), here
# with Redis for the rate limits and revalidations. The server cargo-leptos starts alongside is
# given a port and a database of its own, and is left alone.
end_to_end() {
  (cd end2end && npm ci --no-audit --no-fund --silent) || return 1
  (fw_release_wasm &&
    LEPTOS_SITE_ADDR="127.0.0.1:$(fw_free_port)" DATABASE_URL="sqlite:$WORK/idle.db" \
      OBJECTS_DIR="$WORK/idle-objects" RUST_LOG=warn \
      E2E_PORT="$(fw_free_port)" E2E_SERVER="$CARGO_TARGET_DIR/release/server" \
      E2E_REDIS_URL="$FORMWORK_TEST_REDIS_URL" \
      cargo leptos end-to-end --release "${FW_LEPTOS_ARGS[@]}" "${FW_E2E_BUILD[@]}" 2>&1 | tee "$WORK/browser-app.log")
}

# The quick start, as its README runs it: `cargo leptos end-to-end --project hello-form` builds
# it, serves it on SQLite, and runs its browser specs (formwork's parity harness) against that
# server, with JavaScript and without.
quick_start() {
  local addr
  addr="127.0.0.1:$(fw_free_port)"
  (cd examples/hello-form/end2end && npm ci --no-audit --no-fund --silent) || return 1
  LEPTOS_SITE_ADDR=$addr BASE_URL="http://$addr" DATABASE_URL="sqlite:$WORK/hello-form.db" \
    RUST_LOG=warn cargo leptos end-to-end --project hello-form "${FW_LEPTOS_STD[@]}" 2>&1 |
    tee "$WORK/browser-hello-form.log"
}

# The guide's examples (docs/guide), as its first page runs them: `cargo leptos end-to-end
# --project formwork-guide` builds them, serves them on SQLite and runs their browser specs
# both ways; a spec there also checks that every code block of the guide is the examples' code.
guide_examples() {
  local addr
  addr="127.0.0.1:$(fw_free_port)"
  (cd examples/guide/end2end && npm ci --no-audit --no-fund --silent) || return 1
  LEPTOS_SITE_ADDR=$addr BASE_URL="http://$addr" DATABASE_URL="sqlite:$WORK/guide.db" \
    RUST_LOG=warn cargo leptos end-to-end --project formwork-guide "${FW_LEPTOS_STD[@]}" 2>&1 |
    tee "$WORK/browser-guide.log"
}

# `browser_failures`: each failed browser case, where the summary can show it (a long log's
# middle may be cut): the case's title, its error, and the line of the spec that failed.
browser_failures() {
  local log plain
  for log in "$WORK"/browser-*.log; do
    [ -f "$log" ] || continue
    plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
    grep -a -q -E '^ +[0-9]+ (failed|flaky)$' <<<"$plain" || continue
    echo "failed in $(basename "$log" .log):"
    grep -a -E '^ +[0-9]+\) \[|^ +Error: |^ +> +[0-9]+ \|' <<<"$plain" | cut -c1-160 | head -n 12
  done
}

step "cargo fmt --check" cargo fmt --all -- --check
step "shellcheck scripts" shellcheck_scripts
step "run command on a machine without the tools (empty HOME) reaches the install step" fresh_machine_run
step "rust-version is the compiler the tests use" rust_version
step "clippy (server: ssr)" clippy_server
step "clippy (wasm32: hydrate)" clippy_wasm
step "formwork's docs (rustdoc -D warnings, the docs.rs features)" formwork_docs
step "start PostgreSQL on loopback" fw_start_postgres
step "start Redis on loopback" fw_start_redis
step "start an S3-compatible store on loopback" fw_start_s3
step "unit, integration and storage conformance tests (SQLite + PostgreSQL)" rust_tests
step "hostile-client suite, every server function (SQLite + PostgreSQL)" hostile_suite
step "quick start (examples/hello-form): built, served, Playwright both ways" quick_start
step "guide examples (examples/guide): built, served, Playwright both ways, code blocks checked" guide_examples
if step "release build for the browser specs (cargo leptos; formwork, app and server unoptimised)" build_release && [[ ${RESULTS[-1]} == PASS* ]]; then
  step "Playwright end-to-end (js + nojs, Chromium)" end_to_end
  step "release tarball (scripts/package.sh) unpacked and started with only its sample's variables" package_smoke
else
  RESULTS+=("FAIL  Playwright end-to-end (not run: the build failed)")
  FAILED=$((FAILED + 1))
fi

echo
echo "==================== summary ===================="
printf '%s\n' "${RESULTS[@]}"
echo "================================================="
browser_failures
echo "steps: $(( ${#RESULTS[@]} - FAILED )) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
