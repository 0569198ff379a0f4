#!/usr/bin/env bash
# `npm run dev`: installs what is missing, starts the Temporal dev server (unless TEMPORAL_ADDRESS is set),
# then the API and worker in one process on the embedded PostgreSQL (unless DATABASE_URL is set).
# SIGINT/SIGTERM stop every child and free every port; data stays under CUSTODIAN_DATA_DIR (.data/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$PROJECT_ROOT"

export CUSTODIAN_DATA_DIR="${CUSTODIAN_DATA_DIR:-$PROJECT_ROOT/.data}"
TEMPORAL_DEV_PORT="${TEMPORAL_DEV_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
mkdir -p "$CUSTODIAN_DATA_DIR"

step "npm dependencies" ensure_node_modules

port_is_open() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

TEMPORAL_PID=""
APP_PID=""
stop_children() {
  trap - INT TERM
  echo "[dev] stopping"
  # The app first (it drains its worker and closes the database), then Temporal.
  if [[ -n "$APP_PID" ]]; then kill -TERM "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [[ -n "$TEMPORAL_PID" ]]; then kill -TERM "$TEMPORAL_PID" 2>/dev/null || true; wait "$TEMPORAL_PID" 2>/dev/null || true; fi
}
trap 'stop_children; exit 0' INT TERM

if [[ -z "${TEMPORAL_ADDRESS:-}" ]]; then
  step "Temporal CLI" ensure_temporal_cli
  for port in "$TEMPORAL_DEV_PORT" "$TEMPORAL_UI_PORT"; do
    if port_is_open "$port"; then echo "[dev] port $port is already in use (another npm run dev?); set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT" >&2; exit 1; fi
  done
  mapfile -t SA_FLAGS < <(node --require tsx/cjs -e 'const { searchAttributeFlags } = require("./src/temporal/search-attributes"); console.log(searchAttributeFlags().join("\n"))')
  echo "[dev] starting the Temporal dev server (SQLite at $CUSTODIAN_DATA_DIR/temporal.db)"
  "$TEMPORAL_CLI" server start-dev --db-filename "$CUSTODIAN_DATA_DIR/temporal.db" --ip 127.0.0.1 \
    --port "$TEMPORAL_DEV_PORT" --ui-port "$TEMPORAL_UI_PORT" --log-level error "${SA_FLAGS[@]}" &
  TEMPORAL_PID=$!
  for _ in $(seq 1 300); do port_is_open "$TEMPORAL_DEV_PORT" && port_is_open "$TEMPORAL_UI_PORT" && break; sleep 0.2; done
  port_is_open "$TEMPORAL_DEV_PORT" || { echo "[dev] the Temporal dev server did not start" >&2; stop_children; exit 1; }
fi

export TEMPORAL_DEV_PORT TEMPORAL_UI_PORT
node --require tsx/cjs src/main.ts dev &
APP_PID=$!
# Whichever child ends first (a crash) takes the other down with it.
set +e
wait -n $APP_PID ${TEMPORAL_PID:+$TEMPORAL_PID}
status=$?
set -e
stop_children
exit "$status"
