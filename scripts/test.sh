#!/usr/bin/env bash
# `npm test`: installs what is missing, then lint, typecheck and the whole mocha suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$PROJECT_ROOT"
trap stop_postgres EXIT

step "npm dependencies" ensure_node_modules
step "Temporal CLI" ensure_temporal_cli
step "Temporal server (PostgreSQL persistence)" ensure_temporal_server
step "Temporal time-skipping test server" ensure_test_server
step "Chromium (end-to-end tests)" ensure_chromium
step "PostgreSQL" start_postgres
step "lint" npx eslint .
step "typecheck" npx tsc --noEmit -p tsconfig.json
step "mocha" npx mocha 'test/**/*.test.ts'
