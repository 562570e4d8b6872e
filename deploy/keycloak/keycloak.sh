#!/usr/bin/env bash
# Keycloak (the OpenID Connect provider of the sign-in tests), run from the distribution
# on Maven Central (org.keycloak:keycloak-quarkus-dist:<version>:zip; no Docker) in dev
# mode: http on 127.0.0.1, dev-file database under $EK_RUN_DIR/keycloak, the realm of
# deploy/keycloak/realm-ekinerja.json imported.
#
# Usage: deploy/keycloak/keycloak.sh {fetch|start|stop|restart|status|reset|url|logs}
#
#   fetch    download the distribution zip with maven (kept in ~/.m2) and unpack it to
#            $EK_RUN_DIR/keycloak/keycloak-<version> (skipped when already there)
#   start    fetch if needed, (re)import the realm when its file changed, start Keycloak
#            in the background and wait until the realm answers; prints the start time
#            and the JVM's resident memory; does nothing if it already runs
#   stop     SIGTERM, SIGKILL after $KEYCLOAK_STOP_TIMEOUT s
#   restart  stop, then start (data kept)
#   status   running/stopped; exit 0 when running
#   reset    stop and delete the data (realm, users, sessions)
#   url      print the base URL, e.g. http://127.0.0.1:18080
#   logs     the last 50 lines of the log
#
# Environment:
#   EK_RUN_DIR              state dir (default <repo>/.run)
#   KEYCLOAK_VERSION        default 26.7.3 (the newest that runs on Java 17; 26.x needs 17+)
#   KEYCLOAK_PORT           http port (default 18080); the management port (health) is +1
#   KEYCLOAK_HEAP           JVM heap (default "-Xms64m -Xmx320m")
#   KEYCLOAK_JAVA_OPTS      other JVM options (default: serial GC and the C1 compiler only,
#                           which start faster on a small shared machine than G1 and C2)
#   KEYCLOAK_START_TIMEOUT  seconds to wait (default 600: the first start also builds)
#   KEYCLOAK_STOP_TIMEOUT   seconds before SIGKILL (default 30)
#   JAVA_HOME               java to use (default: java on PATH)
#   MVN                     maven command (default mvn)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
EK_RUN_DIR="${EK_RUN_DIR:-$REPO_ROOT/.run}"

KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
KEYCLOAK_PORT="${KEYCLOAK_PORT:-18080}"
KEYCLOAK_MGMT_PORT="$((KEYCLOAK_PORT + 1))"
KEYCLOAK_HEAP="${KEYCLOAK_HEAP:--Xms64m -Xmx320m}"
KEYCLOAK_JAVA_OPTS="${KEYCLOAK_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MetaspaceSize=96M -XX:MaxMetaspaceSize=256m -XX:+ExitOnOutOfMemoryError -Dfile.encoding=UTF-8 -Djava.security.egd=file:/dev/urandom}"
KEYCLOAK_START_TIMEOUT="${KEYCLOAK_START_TIMEOUT:-600}"
KEYCLOAK_STOP_TIMEOUT="${KEYCLOAK_STOP_TIMEOUT:-30}"
MVN="${MVN:-mvn}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
REALM_FILE="$SCRIPT_DIR/realm-ekinerja.json"
REALM="ekinerja"

BASE="$EK_RUN_DIR/keycloak"
KC_HOME="$BASE/keycloak-$KEYCLOAK_VERSION"
DATA_DIR="$KC_HOME/data"
PID_FILE="$BASE/keycloak.pid"
LOG_FILE="$BASE/keycloak.log"
URL="http://127.0.0.1:$KEYCLOAK_PORT"

log() { echo "[keycloak] $*" >&2; }
die() { echo "[keycloak] ERROR: $*" >&2; exit 1; }

java_home() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME"
  elif command -v java >/dev/null 2>&1; then
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
  else
    die "java not found (Java 17+ is needed); set JAVA_HOME"
  fi
}

take_lock() {
  mkdir -p "$BASE"
  exec 9>"$BASE/.lock"
  flock -w 600 9 || die "could not lock $BASE/.lock"
}

cmd_fetch() {
  if [[ -x "$KC_HOME/bin/kc.sh" ]]; then
    log "Keycloak $KEYCLOAK_VERSION already in $KC_HOME"
    return 0
  fi
  command -v "$MVN" >/dev/null 2>&1 || die "maven ($MVN) not found"
  local tmp="$BASE/fetch.$$" start=$SECONDS
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip from Maven Central (~170 MB the first time)..."
  if ! "$MVN" -B -q "$DEP_PLUGIN:copy" \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
    -DoutputDirectory="$tmp" >"$BASE/fetch.log" 2>&1; then
    tail -n 30 "$BASE/fetch.log" >&2 || true
    rm -rf "$tmp"
    die "maven could not fetch the Keycloak distribution (output: $BASE/fetch.log)"
  fi
  local zip="$tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$zip" -d "$tmp"
  else  # a fresh Debian has python3 but not always unzip
    python3 -m zipfile -e "$zip" "$tmp"
    chmod +x "$tmp/keycloak-$KEYCLOAK_VERSION"/bin/*.sh
  fi
  [[ -x "$tmp/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ]] || die "kc.sh missing in the zip"
  rm -rf "$KC_HOME"
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME"
  rm -rf "$tmp"
  log "Keycloak $KEYCLOAK_VERSION in $KC_HOME ($(du -sh "$KC_HOME" | cut -f1), $((SECONDS - start)) s)"
}

# the pid of kc.sh (it forwards signals to its java child), if it is ours and alive
live_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "keycloak-$KEYCLOAK_VERSION\|kc.sh\|QuarkusEntryPoint" || return 1
  echo "$pid"
}

# the JVM: kc.sh itself after an exec, else its java child
jvm_pid() {
  local pid="$1" child
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "java" ]]; then
    echo "$pid"
    return
  fi
  child="$(pgrep -P "$pid" -x java | head -n 1 || true)"
  echo "${child:-$pid}"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ready() {
  curl -fsS -m 5 "http://127.0.0.1:$KEYCLOAK_MGMT_PORT/health/ready" >/dev/null 2>&1 &&
    curl -fsS -m 5 "$URL/realms/$REALM/.well-known/openid-configuration" >/dev/null 2>&1
}

realm_hash() { sha256sum "$REALM_FILE" | cut -d' ' -f1; }

cmd_start() {
  local pid
  if pid="$(live_pid)"; then
    log "already running (pid $pid) on $URL"
    return 0
  fi
  rm -f "$PID_FILE"
  port_open "$KEYCLOAK_PORT" && die "port $KEYCLOAK_PORT is in use by another process; set KEYCLOAK_PORT"
  port_open "$KEYCLOAK_MGMT_PORT" && die "port $KEYCLOAK_MGMT_PORT is in use; set KEYCLOAK_PORT"
  java_home >/dev/null
  cmd_fetch
  # a changed realm file is imported into fresh data (import skips an existing realm)
  if [[ -d "$DATA_DIR" && "$(cat "$BASE/realm.sha256" 2>/dev/null)" != "$(realm_hash)" ]]; then
    log "realm file changed: starting from fresh data"
    rm -rf "$DATA_DIR"
  fi
  mkdir -p "$DATA_DIR/import"
  cp "$REALM_FILE" "$DATA_DIR/import/"
  realm_hash >"$BASE/realm.sha256"

  log "starting Keycloak $KEYCLOAK_VERSION on $URL (heap $KEYCLOAK_HEAP, data $DATA_DIR)"
  local t0=$SECONDS
  # own session (setsid): it outlives the calling shell; the inner bash writes its pid and
  # execs kc.sh, which forwards SIGTERM to the JVM
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
  JAVA_HOME="$(java_home)" JAVA_OPTS="$KEYCLOAK_JAVA_OPTS $KEYCLOAK_HEAP" \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
    PID_FILE="$PID_FILE" LOG_FILE="$LOG_FILE" \
    setsid bash -c 'echo $$ >"$PID_FILE" && exec "$@" </dev/null >"$LOG_FILE" 2>&1' \
    keycloak "$KC_HOME/bin/kc.sh" start-dev --import-realm \
    --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" \
    --http-management-port="$KEYCLOAK_MGMT_PORT" --health-enabled=true \
    </dev/null >/dev/null 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || die "Keycloak did not start"
  local deadline=$((SECONDS + KEYCLOAK_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOG_FILE" >&2 || true
      die "Keycloak exited during start-up (log: $LOG_FILE)"
    fi
    if ready; then
      local rss
      rss="$(awk '/VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$(jvm_pid "$pid")/status" 2>/dev/null || echo "?")"
      log "ready on $URL (realm $REALM; pid $pid; started in $((SECONDS - t0)) s; JVM resident memory $rss)"
      return 0
    fi
    sleep 1
  done
  tail -n 40 "$LOG_FILE" >&2 || true
  die "Keycloak not ready on $URL after $KEYCLOAK_START_TIMEOUT s (pid $pid left running; '$0 stop' ends it)"
}

cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  local jvm
  jvm="$(jvm_pid "$pid")"
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KEYCLOAK_STOP_TIMEOUT))
  while { kill -0 "$pid" 2>/dev/null || kill -0 "$jvm" 2>/dev/null; } && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$jvm" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
    log "still alive after $KEYCLOAK_STOP_TIMEOUT s; sending SIGKILL"
    kill -KILL "$jvm" "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(live_pid)"; then
    echo "running (pid $pid, $URL)"
    return 0
  fi
  echo "stopped"
  return 1
}

cmd_reset() {
  cmd_stop
  log "deleting $DATA_DIR"
  rm -rf "$DATA_DIR" "$BASE/realm.sha256"
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; }

main() {
  local cmd="${1:-}"
  case "$cmd" in
    fetch) take_lock && cmd_fetch ;;
    start) take_lock && cmd_start ;;
    stop) take_lock && cmd_stop ;;
    restart) take_lock && cmd_stop && cmd_start ;;
    status) cmd_status ;;
    reset) take_lock && cmd_reset ;;
    url) echo "$URL" ;;
    logs) tail -n 50 "$LOG_FILE" ;;
    -h | --help | help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
