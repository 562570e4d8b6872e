#!/usr/bin/env bash
# PostgreSQL 15 from Debian packages for local development and tests.
#
# Usage: deploy/postgres/pg.sh {ensure|create-dbs [suffix]|drop-dbs suffix|stop|restart|status|url service [suffix]}
#
#   ensure               install postgresql-15 if missing (apt-get), make sure the
#                        cluster 15/main exists, start it on $PGPORT if it is down
#                        and wait until it accepts connections; on a cluster it
#                        started, apply SERVER_SETTINGS (below)
#   create-dbs [suffix]  for each service (attendance activity scoring gateway):
#                        role ek_<service> (LOGIN, password ek_<service>) and
#                        database ek_<service><suffix> owned by it (migrations run
#                        as this owner), plus the application role ek_<service>_app
#                        (LOGIN, password ek_<service>_app; owns nothing, is no
#                        superuser, so row-level security applies to it) with
#                        read/write rights on what the owner creates; existing ones
#                        are kept; then checks password login over 127.0.0.1
#   drop-dbs suffix      drop the databases ek_<service><suffix> (WITH FORCE);
#                        the suffix is required (pass "" to drop the plain ones)
#   stop                 stop the cluster, but only if `ensure` started it
#   restart              restart the cluster (fast: open sessions are ended), only
#                        if `ensure` started it (fault tests)
#   status               print running/stopped; exit 0 when running, 1 when not
#   url service [suffix] print the SQLAlchemy URL of that service's database, e.g.
#                        postgresql+asyncpg://ek_attendance:ek_attendance@127.0.0.1:5432/ek_attendance_test?ssl=disable
#                        (the owner: migrations and test resets). TLS is off: the
#                        cluster is on this machine's loopback, where asyncpg's default
#                        (`prefer`) would encrypt every statement with Debian's
#                        self-signed certificate for no protection (docs/perf/live.md)
#   app-url service [suffix]  the same as the application role ek_<service>_app
#
# Environment:
#   EK_RUN_DIR   state dir (default <repo>/.run); the marker is $EK_RUN_DIR/postgres/started-by-us
#   PGPORT       server port (default 5432)
#   PG_MAJOR     PostgreSQL major version (default 15)
#   PG_CLUSTER   Debian cluster name (default main)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
EK_RUN_DIR="${EK_RUN_DIR:-$REPO_ROOT/.run}"

PGPORT="${PGPORT:-5432}"
PG_MAJOR="${PG_MAJOR:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PACKAGE="postgresql-$PG_MAJOR"
PG_SOCKET_DIR="/var/run/postgresql"
PG_LOG="/var/log/postgresql/postgresql-$PG_MAJOR-$PG_CLUSTER.log"
STATE_DIR="$EK_RUN_DIR/postgres"
MARKER="$STATE_DIR/started-by-us"
SERVICES=(attendance activity scoring gateway)
READY_TIMEOUT="${PG_READY_TIMEOUT:-60}"

log() { echo "[postgres] $*" >&2; }
die() { echo "[postgres] ERROR: $*" >&2; exit 1; }

# Runs a command as root (directly, or through sudo when not root).
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Runs a command as the postgres OS user.
as_postgres() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  elif [[ "$(id -un)" == postgres ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n -u postgres -- "$@"
  else
    die "need root (or sudo) to run as the postgres user: $*"
  fi
}

# psql as the superuser over the Unix socket (peer auth). Connection settings
# the caller may have exported (PGHOST, PGUSER, ...) are overridden.
psql_su() {
  as_postgres env -u PGHOST -u PGHOSTADDR -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGSERVICE \
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PGPORT" -U postgres -d postgres "$@"
}

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$PG_PACKAGE" 2>/dev/null || true)" == "install ok installed" ]]
}

# Prints "<port> <status>" of the cluster (status: online/down/...), or nothing.
cluster_info() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $3, $4 }'
}

cluster_online() {
  local info
  info="$(cluster_info)"
  [[ "${info#* }" == online* ]]
}

ready() {
  pg_isready -q -h 127.0.0.1 -p "$PGPORT" -t 2 >/dev/null 2>&1
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until ready; do
    if ((SECONDS >= deadline)); then
      [[ -r "$PG_LOG" ]] && tail -n 30 "$PG_LOG" >&2
      die "server not accepting connections on 127.0.0.1:$PGPORT after ${READY_TIMEOUT} s"
    fi
    sleep 0.5
  done
}

install_postgres() {
  log "$PG_PACKAGE is not installed; installing it with apt-get"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $PG_PACKAGE by hand"
  local t0=$SECONDS
  as_root apt-get update -qq || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$PG_PACKAGE" >&2 ||
    die "apt-get install $PG_PACKAGE failed"
  log "installed $PG_PACKAGE in $((SECONDS - t0)) s"
}

cmd_ensure() {
  local installed_now=0 info port status
  mkdir -p "$STATE_DIR"

  if ! is_installed; then
    install_postgres
    installed_now=1
  fi
  command -v pg_ctlcluster >/dev/null 2>&1 || die "pg_ctlcluster not found (postgresql-common missing?)"

  info="$(cluster_info)"
  if [[ -z "$info" ]]; then
    log "creating cluster $PG_MAJOR/$PG_CLUSTER on port $PGPORT"
    as_root pg_createcluster --port "$PGPORT" --locale C.UTF-8 --encoding UTF8 \
      "$PG_MAJOR" "$PG_CLUSTER" >&2 || die "pg_createcluster failed"
    info="$(cluster_info)"
  fi
  port="${info%% *}"
  status="${info#* }"

  if [[ "$status" == online* && "$port" != "$PGPORT" && $installed_now -eq 1 ]]; then
    # The fresh package started its cluster on another port: move it.
    log "stopping the just-installed cluster (port $port) to move it to port $PGPORT"
    as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" stop -m fast >&2
    status=down
  fi
  if [[ "$status" == online* ]]; then
    if [[ "$port" != "$PGPORT" ]]; then
      die "cluster $PG_MAJOR/$PG_CLUSTER is already running on port $port, not $PGPORT; use PGPORT=$port"
    fi
    # A fresh package install may start the cluster itself: that one is ours.
    if [[ $installed_now -eq 1 && ! -f "$MARKER" ]]; then
      echo "$PG_MAJOR/$PG_CLUSTER" >"$MARKER"
    fi
    wait_ready
    tune_server
    if [[ -f "$MARKER" ]]; then
      log "cluster $PG_MAJOR/$PG_CLUSTER running on 127.0.0.1:$PGPORT (started by this script)"
    else
      log "cluster $PG_MAJOR/$PG_CLUSTER already running on 127.0.0.1:$PGPORT (not started by this script)"
    fi
    return 0
  fi

  if [[ "$port" != "$PGPORT" ]]; then
    log "setting port of cluster $PG_MAJOR/$PG_CLUSTER from $port to $PGPORT"
    as_root pg_conftool "$PG_MAJOR" "$PG_CLUSTER" set port "$PGPORT"
  fi
  log "starting cluster $PG_MAJOR/$PG_CLUSTER on port $PGPORT"
  if ! as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" start >&2; then
    [[ -r "$PG_LOG" ]] && tail -n 30 "$PG_LOG" >&2
    die "pg_ctlcluster $PG_MAJOR $PG_CLUSTER start failed"
  fi
  echo "$PG_MAJOR/$PG_CLUSTER" >"$MARKER"
  wait_ready
  tune_server
  log "cluster $PG_MAJOR/$PG_CLUSTER running on 127.0.0.1:$PGPORT (started by this script)"
}

# Server settings of a cluster this script runs (the marker): applied with ALTER SYSTEM and
# a reload, so an existing cluster gets them too. docker-compose.yml passes the same to its
# server (`command`).
#   autovacuum_naptime 10s: a regency's first rows (a roster of thousands, a day's first
#   punches) get statistics within seconds, not a minute. Until then the planner guesses,
#   and a prepared statement's generic plan made on those guesses can compare every row of
#   the regency with every key of a batch (docs/perf/outbox.md, round 3); ANALYZE
#   invalidates such plans.
SERVER_SETTINGS=("autovacuum_naptime=10s")

tune_server() {
  [[ -f "$MARKER" ]] || return 0
  local setting name value now changed=0
  for setting in "${SERVER_SETTINGS[@]}"; do
    name="${setting%%=*}" value="${setting#*=}"
    now="$(psql_su -tA -c "SELECT setting || coalesce(unit, '') FROM pg_settings
                           WHERE name = '$name'")"
    if [[ "$now" != "$value" ]]; then
      psql_su -c "ALTER SYSTEM SET $name = '$value'"
      changed=1
    fi
  done
  if ((changed)); then
    psql_su -tA -c "SELECT pg_reload_conf()" >/dev/null
    log "server settings applied: ${SERVER_SETTINGS[*]}"
  fi
}

check_suffix() {
  [[ "$1" =~ ^[a-z0-9_]*$ ]] || die "invalid suffix '$1' (allowed: a-z 0-9 _)"
}

check_service() {
  local s
  for s in "${SERVICES[@]}"; do
    [[ "$s" == "$1" ]] && return 0
  done
  die "unknown service '$1' (known: ${SERVICES[*]})"
}

# Makes sure the server answers; starts/installs it through ensure if not.
need_server() {
  if ! ready; then
    log "server not reachable on 127.0.0.1:$PGPORT; running ensure"
    cmd_ensure
  fi
}

cmd_create_dbs() {
  local suffix="${1:-}" svc role db
  check_suffix "$suffix"
  need_server
  for svc in "${SERVICES[@]}"; do
    role="ek_$svc"
    db="ek_$svc$suffix"
    if [[ -n "$(psql_su -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]]; then
      log "role $role exists"
    else
      log "creating role $role"
      psql_su -c "CREATE ROLE \"$role\" LOGIN PASSWORD '$role'"
    fi
    if [[ -n "$(psql_su -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
      log "database $db exists"
    else
      log "creating database $db owned by $role"
      psql_su -c "CREATE DATABASE \"$db\" OWNER \"$role\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
    fi
    grant_app_role "$svc" "$db"
  done
  # The services log in with a password over TCP (scram-sha-256 in Debian's
  # default pg_hba.conf): check exactly that.
  for svc in "${SERVICES[@]}"; do
    role="ek_$svc"
    db="ek_$svc$suffix"
    if ! env -u PGSERVICE PGPASSWORD="$role" PGCONNECT_TIMEOUT=5 \
      psql -X -q -w -h 127.0.0.1 -p "$PGPORT" -U "$role" -d "$db" -tA -c 'SELECT 1' >/dev/null; then
      die "password login as $role to $db over 127.0.0.1:$PGPORT failed; check pg_hba.conf and the role's password"
    fi
  done
  local dbs=("${SERVICES[@]/#/ek_}")
  log "databases ready: ${dbs[*]/%/$suffix}"
}

# The application role of a service: it logs in, reads and writes the rows of the
# tables its owner creates (now and later, also after a test drops and recreates the
# schema), owns nothing and does not bypass row-level security.
grant_app_role() {
  local svc="$1" db="$2" owner="ek_$1" app="ek_$1_app"
  if [[ -z "$(psql_su -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$app'")" ]]; then
    log "creating role $app"
    psql_su -c "CREATE ROLE \"$app\" LOGIN PASSWORD '$app' NOSUPERUSER NOBYPASSRLS"
  fi
  psql_su -d "$db" <<SQL
GRANT CONNECT ON DATABASE "$db" TO "$app";
GRANT USAGE ON SCHEMA public TO "$app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "$app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "$app";
ALTER DEFAULT PRIVILEGES FOR ROLE "$owner" GRANT USAGE ON SCHEMAS TO "$app";
ALTER DEFAULT PRIVILEGES FOR ROLE "$owner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "$app";
ALTER DEFAULT PRIVILEGES FOR ROLE "$owner" GRANT USAGE, SELECT ON SEQUENCES TO "$app";
SQL
}

cmd_drop_dbs() {
  [[ $# -ge 1 ]] || die "drop-dbs needs a suffix (e.g. _test; pass \"\" for the plain databases)"
  local suffix="$1" svc db
  check_suffix "$suffix"
  need_server
  for svc in "${SERVICES[@]}"; do
    db="ek_$svc$suffix"
    if [[ -n "$(psql_su -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
      log "dropping database $db"
      psql_su -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    else
      log "database $db does not exist"
    fi
  done
}

cmd_stop() {
  if [[ ! -f "$MARKER" ]]; then
    if cluster_online; then
      log "cluster $PG_MAJOR/$PG_CLUSTER was not started by this script; leaving it running"
    else
      log "not running"
    fi
    return 0
  fi
  if cluster_online; then
    log "stopping cluster $PG_MAJOR/$PG_CLUSTER"
    as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" stop -m fast >&2 || die "pg_ctlcluster stop failed"
  else
    log "cluster $PG_MAJOR/$PG_CLUSTER already stopped"
  fi
  rm -f "$MARKER"
  log "stopped"
}

cmd_restart() {
  [[ -f "$MARKER" ]] || die "cluster $PG_MAJOR/$PG_CLUSTER was not started by this script; not restarting it"
  log "restarting cluster $PG_MAJOR/$PG_CLUSTER"
  as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" restart -m fast >&2 || die "pg_ctlcluster restart failed"
  wait_ready
}

cmd_status() {
  local info
  info="$(cluster_info)"
  if [[ "${info#* }" == online* ]]; then
    local owner=""
    [[ -f "$MARKER" ]] && owner=", started by pg.sh"
    echo "running (cluster $PG_MAJOR/$PG_CLUSTER, port ${info%% *}$owner)"
    return 0
  fi
  if [[ -z "$info" ]]; then
    echo "stopped (cluster $PG_MAJOR/$PG_CLUSTER does not exist)"
  else
    echo "stopped"
  fi
  return 1
}

cmd_url() {
  [[ $# -ge 1 ]] || die "url needs a service (${SERVICES[*]})"
  local svc="$1" suffix="${2:-}"
  check_service "$svc"
  check_suffix "$suffix"
  echo "postgresql+asyncpg://ek_$svc:ek_$svc@127.0.0.1:$PGPORT/ek_$svc$suffix?ssl=disable"
}

cmd_app_url() {
  [[ $# -ge 1 ]] || die "app-url needs a service (${SERVICES[*]})"
  local svc="$1" suffix="${2:-}"
  check_service "$svc"
  check_suffix "$suffix"
  echo "postgresql+asyncpg://ek_${svc}_app:ek_${svc}_app@127.0.0.1:$PGPORT/ek_$svc$suffix?ssl=disable"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    ensure) cmd_ensure ;;
    create-dbs) cmd_create_dbs "$@" ;;
    drop-dbs) cmd_drop_dbs "$@" ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status) cmd_status ;;
    url) cmd_url "$@" ;;
    app-url) cmd_app_url "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
