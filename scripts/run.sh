#!/usr/bin/env bash
# Installs what is missing, builds, and serves the app on http://127.0.0.1:3000 (SQLite).
#   scripts/run.sh           release build, then serve
#   scripts/run.sh --watch   development: serve and rebuild on every change
# Settings come from the environment (see `server --help`): DATABASE_URL defaults to
# sqlite:formwork.db, created and migrated on first start; uploads go to OBJECTS_DIR
# (default ./objects).
set -euo pipefail
# shellcheck source=SCRIPTDIR/toolchain.sh
source "$(dirname "$0")/toolchain.sh"
fw_toolchain

export DATABASE_URL=${DATABASE_URL:-sqlite:formwork.db}
if [ "${1:-}" = "--watch" ]; then
  exec cargo leptos watch "${FW_LEPTOS_ARGS[@]}"
fi
fw_release_wasm
exec cargo leptos serve --release "${FW_LEPTOS_ARGS[@]}"
