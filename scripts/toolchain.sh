#!/usr/bin/env bash
# Shared bootstrap steps for `npm run dev` and `npm test`: each is idempotent, cached under
# ~/.cache/custodian/, and says what it does and how long it took.
set -euo pipefail

CUSTODIAN_CACHE="${CUSTODIAN_CACHE:-$HOME/.cache/custodian}"
TEMPORAL_CLI_VERSION="v1.5.1"        # later tags carry a `replace` in go.mod and cannot be `go install`ed
TEMPORAL_SERVER_VERSION="v1.29.1"   # go.temporal.io/server as the CLI's go.mod pins it (docker-compose.yml runs auto-setup:1.29.1)
TEST_SERVER_VERSION="1.32.0"         # io.temporal:temporal-test-server, see tools/temporal-test-server/pom.xml
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$CUSTODIAN_CACHE"

# step NAME COMMAND... — runs a bootstrap step and reports its duration.
step() {
  local name="$1"; shift
  local started=$SECONDS
  echo "[bootstrap] $name ..."
  "$@"
  echo "[bootstrap] $name done in $((SECONDS - started))s"
}

ensure_node_modules() {
  # `npm ci` installs exactly what the lock says and never rewrites it; the stamp holds the hash of
  # the lock it installed, so a changed lock (a pull, a new dependency) reinstalls.
  local stamp="$PROJECT_ROOT/node_modules/.custodian-lock-sha256"
  local want
  want="$(sha256sum "$PROJECT_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "  npm dependencies match package-lock.json ($want)"
    return
  fi
  (cd "$PROJECT_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

# Exports TEMPORAL_CLI, the path of a Temporal CLI: TEMPORAL_CLI, else `temporal` on PATH, else go-installed into the cache.
ensure_temporal_cli() {
  if [[ -n "${TEMPORAL_CLI:-}" ]]; then echo "  using TEMPORAL_CLI=$TEMPORAL_CLI"; return; fi
  if command -v temporal >/dev/null 2>&1; then TEMPORAL_CLI="$(command -v temporal)"; echo "  using $TEMPORAL_CLI"; export TEMPORAL_CLI; return; fi
  local dir="$CUSTODIAN_CACHE/temporal-cli-$TEMPORAL_CLI_VERSION"
  if [[ ! -x "$dir/temporal" ]]; then
    echo "  go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION (a few minutes on a cold cache)"
    mkdir -p "$dir"
    GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  fi
  export TEMPORAL_CLI="$dir/temporal"
  echo "  using $TEMPORAL_CLI"
}

# Exports TEMPORAL_SERVER_DIR: the Temporal server (cmd/server, with its PostgreSQL persistence) and its SQL
# schema tool (cmd/tools/sql), go-installed into the cache; the Temporal restart test runs on them.
ensure_temporal_server() {
  local dir="$CUSTODIAN_CACHE/temporal-server-$TEMPORAL_SERVER_VERSION"
  if [[ ! -x "$dir/temporal-server" || ! -x "$dir/temporal-sql-tool" ]]; then
    echo "  go install go.temporal.io/server/cmd/server and cmd/tools/sql@$TEMPORAL_SERVER_VERSION (most of it shared with the CLI's build cache)"
    local bin="$dir/.bin"
    mkdir -p "$bin"
    GOBIN="$bin" GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
    mv "$bin/sql" "$dir/temporal-sql-tool"
    mv "$bin/server" "$dir/temporal-server"
    rmdir "$bin"
  fi
  export TEMPORAL_SERVER_DIR="$dir"
  echo "  using $TEMPORAL_SERVER_DIR"
}

# Fetches the Java time-skipping test server and writes a wrapper script (TEMPORAL_TEST_SERVER).
ensure_test_server() {
  local dir="$CUSTODIAN_CACHE/temporal-test-server-$TEST_SERVER_VERSION"
  if [[ ! -f "$dir/lib/temporal-test-server-$TEST_SERVER_VERSION.jar" ]]; then
    echo "  mvn: io.temporal:temporal-test-server:$TEST_SERVER_VERSION and its runtime jars"
    mkdir -p "$dir/lib"
    mvn -B -q -f "$PROJECT_ROOT/tools/temporal-test-server/pom.xml" package -DlibDir="$dir/lib" \
      -Dproject.build.directory="$dir/target"
  fi
  cat > "$dir/test-server" <<WRAPPER
#!/usr/bin/env bash
# Started by @temporalio/testing as an existing-path executable: <port> [--enable-time-skipping].
# Fast-start JVM flags: the SDK expects the port to answer within seconds.
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -cp "$dir/lib/*" io.temporal.testserver.TestServer "\$@"
WRAPPER
  chmod +x "$dir/test-server"
  export TEMPORAL_TEST_SERVER="$dir/test-server"
  echo "  using $TEMPORAL_TEST_SERVER"
}

# Runs a PostgreSQL server binary as the cluster's owner: initdb and postgres refuse to run as root,
# so as root the Debian package's postgres user owns the private cluster.
as_pg_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Debian's Chromium for the end-to-end tests (driven by playwright-core; CHROMIUM overrides the path).
ensure_chromium() {
  local path="${CHROMIUM:-/usr/bin/chromium}"
  if [[ -x "$path" ]]; then echo "  $path"; return; fi
  echo "  installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# Starts a private PostgreSQL cluster on a free port under a temp dir (when DATABASE_URL is unset)
# and exports DATABASE_URL; stop_postgres tears it down.
start_postgres() {
  if [[ -n "${DATABASE_URL:-}" ]]; then echo "  using DATABASE_URL from the environment"; return; fi
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -z "$bin" || ! -x "$bin/postgres" ]]; then
    echo "  installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  PG_TMP="$(mktemp -d /tmp/custodian-pg.XXXXXX)"
  local port
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  if [[ "$(id -u)" == 0 ]]; then chown postgres "$PG_TMP"; fi
  as_pg_owner "$bin/initdb" -D "$PG_TMP/data" -U custodian --auth=trust -E UTF8 >/dev/null
  as_pg_owner "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null
  export DATABASE_URL="postgres://custodian@127.0.0.1:$port/postgres"
  PG_BIN="$bin"
  echo "  private cluster on 127.0.0.1:$port ($PG_TMP)"
}

stop_postgres() {
  if [[ -n "${PG_TMP:-}" && -d "$PG_TMP/data" ]]; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
