#!/usr/bin/env bash
# Makes the tarball an operator ships: the release `server` binary, the `hash.txt` leptos reads
# beside it, the built site (`site/`) and `formwork.env.sample` (every variable a production
# instance needs). Prints the tarball's path.
# Usage: scripts/package.sh [--no-build] [OUT_DIR]
#   --no-build  package the release build that is already there (the test command's)
#   OUT_DIR     where the tarball goes (default: target/package in the checkout)
set -euo pipefail
# shellcheck source=SCRIPTDIR/toolchain.sh
source "$(dirname "$0")/toolchain.sh"

build=1
if [ "${1:-}" = --no-build ]; then
  build=0
  shift
fi
out=${1:-$FW_ROOT/target/package}

fw_toolchain >&2
if [ "$build" = 1 ]; then
  fw_release_wasm
  (cd "$FW_ROOT" && cargo leptos build --release "${FW_LEPTOS_ARGS[@]}") >&2
fi

binary=$CARGO_TARGET_DIR/release/server
site=$FW_ROOT/target/site
for needed in "$binary" "$CARGO_TARGET_DIR/release/hash.txt" "$site/pkg"; do
  [ -e "$needed" ] || { echo "no release build: $needed is missing (run without --no-build)" >&2; exit 1; }
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$FW_ROOT/Cargo.toml" | head -n1)
name=formwork-site-$version
stage=$(mktemp -d "${TMPDIR:-/tmp}/formwork-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
cp "$binary" "$CARGO_TARGET_DIR/release/hash.txt" "$stage/$name/"
cp -r "$site" "$stage/$name/site"
cp "$FW_ROOT/server/formwork.env.sample" "$stage/$name/"
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
