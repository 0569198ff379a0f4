#!/usr/bin/env bash
# `npm run bench [name]`: installs what is missing, starts a private PostgreSQL, then the benchmarks (all, or the one named).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$PROJECT_ROOT"
trap stop_postgres EXIT

step "npm dependencies" ensure_node_modules
step "Temporal CLI" ensure_temporal_cli
step "PostgreSQL" start_postgres
npx tsx bench/run.ts "$@"
