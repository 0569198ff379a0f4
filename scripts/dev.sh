#!/usr/bin/env bash
# `npm run dev`: installs what is missing and starts the system on embedded defaults.
# Current state (see README "Status"): the Temporal dev server with its Web UI and Custodian's
# search attributes; the embedded PostgreSQL, worker and API join here as they land.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$PROJECT_ROOT"

DATA_DIR="${CUSTODIAN_DATA_DIR:-$PROJECT_ROOT/.data}"
TEMPORAL_PORT="${TEMPORAL_DEV_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
mkdir -p "$DATA_DIR"

step "npm dependencies" ensure_node_modules
step "Temporal CLI" ensure_temporal_cli

mapfile -t SA_FLAGS < <(npx tsx -e 'import { searchAttributeFlags } from "./src/temporal/search-attributes"; console.log(searchAttributeFlags().join("\n"))')
echo "[dev] starting the Temporal dev server (SQLite at $DATA_DIR/temporal.db)"
"$TEMPORAL_CLI" server start-dev --db-filename "$DATA_DIR/temporal.db" --ip 127.0.0.1 \
  --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" --log-level warn "${SA_FLAGS[@]}" &
TEMPORAL_PID=$!
trap 'echo "[dev] stopping"; kill -TERM $TEMPORAL_PID 2>/dev/null; wait $TEMPORAL_PID 2>/dev/null; exit 0' INT TERM

for _ in $(seq 1 150); do (echo >"/dev/tcp/127.0.0.1/$TEMPORAL_UI_PORT") 2>/dev/null && break; sleep 0.2; done
echo "[dev] Temporal frontend: 127.0.0.1:$TEMPORAL_PORT"
echo "[dev] Temporal UI:       http://127.0.0.1:$TEMPORAL_UI_PORT"
echo "[dev] (API, Connect UI and embedded PostgreSQL are not wired yet — see README Status.) Ctrl-C stops everything."
wait $TEMPORAL_PID
