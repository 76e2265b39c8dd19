# shellcheck shell=bash
# The toolchain, installed idempotently and offline-proof. Sourced by run.sh, test.sh and
# bench/run.sh; reads cargo-leptos.toml and Cargo.lock so every version has one source.
#
# After `fw_toolchain`, these are set:
#   PATH               wasm-opt (npm binaryen) first, then the chosen cargo/rustc
#   CARGO_TARGET_DIR   outside the clone, so fresh clones reuse a warm build
#   FW_WASM_BUILD_STD  the build-std flags (space-separated) when the wasm32 std is built from source, else empty
#   FW_LEPTOS_ARGS     the reference site's arguments for cargo-leptos build/serve/watch
#   FW_LEPTOS_STD      the wasm std's arguments alone (for the other project, the quick start)
#   CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS  on the Debian route: host binaries link with lld
# `fw_release_wasm` then sets the release-only wasm flags.
#
# Every function here works both under `set -euo pipefail` (run.sh, bench/) and without -e
# (test.sh). So a probe for a tool that may be missing (`have=$(tool --version | …)`) must not
# fail: under -e a failed assignment ends the sourcing script, silently (stderr goes to
# /dev/null). Such probes end in `|| have=`, and a missing tool reads as "not installed".

FW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FW_CACHE=${FW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/formwork}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FW_CACHE/target}
FW_TOOLS=$FW_CACHE/tools
mkdir -p "$FW_CACHE" "$FW_TOOLS"

fw_log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
fw_die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# `fw_manifest KEY.PATH`: a value from cargo-leptos.toml (lists print one item a line).
fw_manifest() {
  python3 - "$FW_ROOT/cargo-leptos.toml" "$1" <<'PY'
import sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
for key in sys.argv[2].split("."):
    data = data[key]
if isinstance(data, list):
    print("\n".join(data))
elif isinstance(data, dict):
    print(" ".join(f"{k}={v}" for k, v in data.items()))
else:
    print(data)
PY
}

# The version of a crate in Cargo.lock.
fw_locked_version() {
  python3 - "$FW_ROOT/Cargo.lock" "$1" <<'PY'
import sys, tomllib
lock = tomllib.load(open(sys.argv[1], "rb"))
versions = sorted({p["version"] for p in lock["package"] if p["name"] == sys.argv[2]})
if len(versions) != 1:
    sys.exit(f"expected exactly one {sys.argv[2]} in Cargo.lock, found {versions}")
print(versions[0])
PY
}

fw_sudo() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

FW_APT_UPDATED=
# Installs Debian packages that are missing; a no-op when all are there.
fw_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if [ -z "$FW_APT_UPDATED" ]; then
    fw_log "apt-get update"
    fw_sudo apt-get update -qq >/dev/null
    FW_APT_UPDATED=1
  fi
  fw_log "installing ${missing[*]}"
  fw_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Node.js and npm, from Debian unless a node/npm is already on PATH (e.g. NodeSource's).
fw_node() {
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && return 0
  fw_apt nodejs npm
}

fw_version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Chooses the Rust toolchain and how the wasm32 std is had.
fw_rust() {
  local rustup_rustc pkgs
  # Empty without rustup (exit 127) or when its rustc fails: the Debian route then.
  rustup_rustc=$("$HOME/.cargo/bin/rustc" --version 2>/dev/null | awk '{print $2}') || rustup_rustc=
  if [ -n "$rustup_rustc" ] && fw_version_ge "$rustup_rustc" 1.96.0 \
     && timeout 120 "$HOME/.cargo/bin/rustup" target add wasm32-unknown-unknown >/dev/null 2>&1; then
    fw_log "Rust: rustup $rustup_rustc with its prebuilt wasm32 std"
    export PATH="$HOME/.cargo/bin:$PATH"
    FW_WASM_BUILD_STD=
  else
    # The Debian route (see ../shared/TOOLCHAIN.md): rustc-web 1.96, std built from source.
    mapfile -t pkgs < <(fw_manifest debian.rust)
    fw_apt "${pkgs[@]}"
    export PATH="/usr/bin:$PATH"
    FW_WASM_BUILD_STD=$(fw_manifest wasm.build-std)
    fw_log "Rust: Debian $(rustc --version | awk '{print $2}'), wasm32 std built from source"
    fw_host_lld
  fi
  # Keep it on for every cargo call: a different value would rebuild crates that look at it.
  export RUSTC_BOOTSTRAP=1
  # cargo-installed tools (cargo-leptos, wasm-bindgen) stay reachable after /usr/bin.
  export PATH="$PATH:$HOME/.cargo/bin"
}

# Host binaries link with LLVM's lld, which the Debian route installs (lld-22, behind
# /usr/bin/rust-lld), instead of GNU ld: measured 2.2 s against 9.7 s for one of the server's
# test binaries, and the test command links about twenty. (Rust from rustup links with its own
# lld already.) The path is the same in every clone, so a warm target dir stays warm.
fw_host_lld() {
  local lld_dir
  lld_dir=$(dirname "$(readlink -f "$(command -v rust-lld)")")
  [ -x "$lld_dir/ld.lld" ] || return 0
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-Clink-arg=-fuse-ld=lld -Clink-arg=-B$lld_dir"
}

fw_cargo_leptos() {
  local want have
  want=$(fw_manifest tools.cargo-leptos)
  # Empty while cargo-leptos is not installed (cargo exits 101: no such command).
  have=$(cargo leptos --version 2>/dev/null | awk '{print $2}') || have=
  if [ "$have" != "$want" ]; then
    fw_log "installing cargo-leptos $want (about 18 min on 2 cores)"
    # shellcheck disable=SC2046
    env $(fw_manifest install.release-env) cargo install cargo-leptos --version "$want" --locked
  fi
}

fw_wasm_bindgen() {
  local want have
  want=$(fw_locked_version wasm-bindgen)
  # Empty while wasm-bindgen is not installed (exit 127).
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || have=
  if [ "$have" != "$want" ]; then
    fw_log "installing wasm-bindgen-cli $want (about 8 min)"
    # Not --locked: the registry here lacks one of its locked dependency versions.
    # shellcheck disable=SC2046
    env $(fw_manifest install.release-env) cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

fw_binaryen() {
  local want
  want=$(fw_manifest tools.binaryen)
  if ! "$FW_TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${want%%.*}"; then
    fw_node
    fw_log "installing binaryen $want (wasm-opt) from npm"
    npm install --prefix "$FW_TOOLS" --no-audit --no-fund --silent "binaryen@$want" >/dev/null
  fi
  export PATH="$FW_TOOLS/node_modules/.bin:$PATH"
}

# The target dir is shared by every checkout (it lives outside the clone). Cargo decides
# freshness per checkout path, so after another checkout linked the final artifacts (the
# server binary, the wasm) this one's could look fresh while the files on disk are the
# other's. Touching this checkout's sources when the last build came from elsewhere makes
# cargo rebuild its own crates (the dependencies stay warm).
# The workspace's own artifacts from earlier checkouts: they are rebuilt anyway, and every
# fresh clone would otherwise leave a few gigabytes behind in the shared target dir.
fw_prune_target() {
  local dir name
  for dir in "$CARGO_TARGET_DIR"/{debug,release} \
    "$CARGO_TARGET_DIR"/front/wasm32-unknown-unknown/{debug,wasm-release}; do
    [ -d "$dir" ] || continue
    for name in server app formwork frontend hello_form hello-form http conformance undeclared stores contracts builder; do
      rm -rf "$dir/incremental/$name"-*
      # Test binaries (`http-…` is ours: crates.io's `http` leaves only `libhttp-…` and `.d` files).
      # `|| true`: find fails when there is no deps/ yet, which is no error here.
      find "$dir/deps" -maxdepth 1 -type f -name "$name-*" ! -name '*.d' -delete 2>/dev/null || true
    done
    for name in server app formwork frontend hello_form; do
      find "$dir/deps" -maxdepth 1 -type f -name "lib$name-*" -delete 2>/dev/null || true
    done
  done
}

fw_claim_target() {
  local stamp="$CARGO_TARGET_DIR/.formwork-checkout"
  mkdir -p "$CARGO_TARGET_DIR"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$FW_ROOT" ]; then
    fw_log "target dir was last built from $(cat "$stamp"); rebuilding this checkout's crates"
    fw_prune_target
    find "$FW_ROOT"/app "$FW_ROOT"/formwork "$FW_ROOT"/frontend "$FW_ROOT"/server "$FW_ROOT"/examples \
      -type f \( -name '*.rs' -o -name '*.sql' -o -name Cargo.toml \) -exec touch {} +
  fi
  printf '%s' "$FW_ROOT" >"$stamp"
}

# Everything needed to build and serve the site.
fw_toolchain() {
  fw_apt python3 ca-certificates build-essential pkg-config
  fw_rust
  fw_cargo_leptos
  fw_wasm_bindgen
  fw_binaryen
  FW_LEPTOS_STD=()
  local flag
  for flag in $FW_WASM_BUILD_STD; do
    FW_LEPTOS_STD+=("--lib-cargo-args=$flag")
  done
  # The workspace holds two sites (the reference app, and examples/hello-form): name it.
  # --split: each `#[island(lazy)]` becomes its own WASM chunk, fetched only by the pages
  # that show it, so one page's islands never weigh on another's first load.
  # shellcheck disable=SC2034 # read by the scripts that source this file
  FW_LEPTOS_ARGS=(--project formwork-site --split "${FW_LEPTOS_STD[@]}")
  fw_claim_target
  cd "$FW_ROOT" || exit 1
}

# The wasm flags of release builds; they need the std built from source, so only with it.
fw_release_wasm() {
  if [ -n "$FW_WASM_BUILD_STD" ]; then
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=$(fw_manifest wasm.release-rustflags)
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS
  fi
}
