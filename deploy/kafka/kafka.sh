#!/usr/bin/env bash
# Single-node Apache Kafka 4.x (KRaft, broker+controller) for local development
# and tests, run from the jars on Maven Central (no tarball, no Docker).
#
# Usage: deploy/kafka/kafka.sh {fetch|start|stop|restart|status|reset|bootstrap|logs|topics ...}
#
#   fetch      copy the jars listed in deploy/kafka/pom.xml to $EK_RUN_DIR/kafka/libs
#              (skipped when they are there and pom.xml is unchanged)
#   start      fetch if needed, write server.properties, format the storage the
#              first time, start the broker in the background and wait until it
#              serves metadata; does nothing if it already runs
#   stop       SIGTERM the broker, SIGKILL after $KAFKA_STOP_TIMEOUT s
#   restart    stop, then start (data kept)
#   status     print running/stopped; exit 0 when running, 1 when not
#   reset      stop and delete the data (topics, offsets); start gives a fresh broker
#   bootstrap  print the bootstrap servers, e.g. 127.0.0.1:9092
#   logs       print the last 50 lines of the broker log
#   topics ... run kafka-topics (org.apache.kafka.tools.TopicCommand) against
#              the broker, e.g. `kafka.sh topics --list`
#
# Environment:
#   EK_RUN_DIR             state dir (default <repo>/.run); Kafka uses $EK_RUN_DIR/kafka
#   KAFKA_PORT             client port (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#   KAFKA_HEAP_OPTS        JVM heap (default "-Xms256m -Xmx768m")
#   KAFKA_START_TIMEOUT    seconds to wait for the broker (default 90)
#   KAFKA_STOP_TIMEOUT     seconds to wait before SIGKILL (default 30)
#   JAVA_HOME / JAVA       java to use (default: $JAVA_HOME/bin/java, else java on PATH)
#   MVN                    maven command (default mvn)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
EK_RUN_DIR="${EK_RUN_DIR:-$REPO_ROOT/.run}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
MVN="${MVN:-mvn}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

POM="$SCRIPT_DIR/pom.xml"
PROPS_TEMPLATE="$SCRIPT_DIR/server.properties"
LOG4J2_CONFIG="$SCRIPT_DIR/log4j2.yaml"

KAFKA_HOME="$EK_RUN_DIR/kafka"
LIBS_DIR="$KAFKA_HOME/libs"
LIBS_HASH_FILE="$LIBS_DIR/.pom.sha256"
DATA_DIR="$KAFKA_HOME/data"
LOG_DIR="$KAFKA_HOME/logs"
LOG_FILE="$LOG_DIR/server.log"
OUT_FILE="$LOG_DIR/kafka.out"
PROPS_FILE="$KAFKA_HOME/server.properties"
CLUSTER_ID_FILE="$KAFKA_HOME/cluster.id"
PID_FILE="$KAFKA_HOME/kafka.pid"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

log() { echo "[kafka] $*" >&2; }
die() { echo "[kafka] ERROR: $*" >&2; exit 1; }

java_bin() {
  if [[ -n "${JAVA:-}" ]]; then
    echo "$JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found (Java 17+ is needed); set JAVA_HOME"
  fi
}

# Runs a Kafka main class from the fetched jars (short-lived tools only).
kafka_java() {
  local main="$1"
  shift
  "$(java_bin)" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$LOG_DIR/tools" \
    -cp "$LIBS_DIR/*" "$main" "$@"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_ok() {
  [[ -f "$LIBS_HASH_FILE" ]] && [[ "$(cat "$LIBS_HASH_FILE")" == "$(pom_hash)" ]] &&
    compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

cmd_fetch() {
  if libs_ok; then
    log "jars up to date in $LIBS_DIR"
    return 0
  fi
  command -v "$MVN" >/dev/null 2>&1 || die "maven ($MVN) not found"
  local tmp="$KAFKA_HOME/libs.tmp.$$" start=$SECONDS
  mkdir -p "$KAFKA_HOME"
  rm -rf "$tmp"
  log "fetching jars listed in ${POM#"$REPO_ROOT"/} from Maven Central (~45 MB of jars, ~65 MB into ~/.m2 the first time)..."
  if ! "$MVN" -B -q -f "$POM" "$DEP_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/fetch.log" 2>&1; then
    tail -n 40 "$KAFKA_HOME/fetch.log" >&2 || true
    rm -rf "$tmp"
    die "maven could not fetch the Kafka jars (full output: $KAFKA_HOME/fetch.log)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "kafka_2.13 jar missing after fetch"
  pom_hash >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - start)) s: $(basename "$(compgen -G "$LIBS_DIR/kafka_2.13-*.jar")" .jar)"
}

# Prints the pid from the pid file if that process is alive and is our broker.
live_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be a java running kafka.Kafka.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

# Serialises fetch/start/stop/reset of concurrent callers (e.g. parallel test
# sessions). fd 9 is closed for the broker itself so it never holds the lock.
take_lock() {
  mkdir -p "$KAFKA_HOME"
  exec 9>"$KAFKA_HOME/.lock"
  flock -w 300 9 || die "could not lock $KAFKA_HOME/.lock"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when the broker answers API-versions requests and lists itself as an
# unfenced broker, i.e. clients (and the admin API) can use it.
broker_ready() {
  local out
  out="$(timeout 30 "$(java_bin)" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$LOG_DIR/tools" \
    -cp "$LIBS_DIR/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$BOOTSTRAP" 2>/dev/null)" || return 1
  grep -q "(id: 1 " <<<"$out"
}

write_props() {
  local line out=""
  [[ -f "$PROPS_TEMPLATE" ]] || die "missing $PROPS_TEMPLATE"
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line//@KAFKA_PORT@/$KAFKA_PORT}"
    line="${line//@KAFKA_CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT}"
    line="${line//@KAFKA_DATA_DIR@/$DATA_DIR}"
    out+="$line"$'\n'
  done <"$PROPS_TEMPLATE"
  printf '%s' "$out" >"$PROPS_FILE"
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cid
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(cat "$CLUSTER_ID_FILE")"
  else
    cid="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
    [[ -n "$cid" ]] || die "could not generate a cluster id"
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  mkdir -p "$DATA_DIR"
  log "formatting storage in $DATA_DIR (cluster id $cid)"
  kafka_java kafka.tools.StorageTool format -t "$cid" -c "$PROPS_FILE" --ignore-formatted \
    >"$LOG_DIR/format.log" 2>&1 || { cat "$LOG_DIR/format.log" >&2; die "storage format failed"; }
}

fail_start() {
  log "$1"
  if [[ -f "$LOG_FILE" ]]; then
    log "last 50 lines of $LOG_FILE:"
    tail -n 50 "$LOG_FILE" >&2
  fi
  if [[ -s "$OUT_FILE" ]]; then
    log "last 20 lines of $OUT_FILE:"
    tail -n 20 "$OUT_FILE" >&2
  fi
  exit 1
}

wait_ready() {
  local pid="$1" t0=$SECONDS deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || fail_start "broker process $pid exited during start-up"
    if port_open "$KAFKA_PORT"; then
      break
    fi
    sleep 0.5
  done
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || fail_start "broker process $pid exited during start-up"
    if broker_ready; then
      log "broker ready on $BOOTSTRAP (pid $pid, waited $((SECONDS - t0)) s)"
      return 0
    fi
    sleep 1
  done
  fail_start "broker not ready on $BOOTSTRAP after ${KAFKA_START_TIMEOUT} s (pid $pid is left running; '$0 stop' ends it)"
}

cmd_start() {
  local pid
  if pid="$(live_pid)"; then
    if port_open "$KAFKA_PORT"; then
      log "already running (pid $pid) on $BOOTSTRAP"
      return 0
    fi
    log "pid $pid is running but port $KAFKA_PORT is not open yet; waiting"
    wait_ready "$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$KAFKA_PORT"; then
    die "port $KAFKA_PORT is already in use by another process (not started by this script); set KAFKA_PORT"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is already in use; set KAFKA_CONTROLLER_PORT"
  fi

  cmd_fetch
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  write_props
  format_storage

  log "starting broker on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, data $DATA_DIR)"
  local java heap
  java="$(java_bin)"
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  # Own session (setsid) so the broker outlives the calling shell and its
  # Ctrl-C. The inner bash writes its pid and then execs java, so the pid file
  # holds the JVM's pid whether or not setsid had to fork. stdout/stderr only
  # carry JVM-level messages; the broker log goes to server.log.
  rm -f "$PID_FILE"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
  KAFKA_HOME="$KAFKA_HOME" PID_FILE="$PID_FILE" OUT_FILE="$OUT_FILE" \
    setsid bash -c 'cd "$KAFKA_HOME" && echo $$ >"$PID_FILE" && exec "$@" </dev/null >"$OUT_FILE" 2>&1' \
    kafka "$java" "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS_FILE" </dev/null >/dev/null 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || fail_start "broker process did not start"
  wait_ready "$pid"
}

cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(live_pid)"; then
    if port_open "$KAFKA_PORT"; then
      echo "running (pid $pid, $BOOTSTRAP)"
    else
      echo "running (pid $pid, port $KAFKA_PORT not open yet)"
    fi
    return 0
  fi
  echo "stopped"
  return 1
}

cmd_reset() {
  cmd_stop
  log "deleting $DATA_DIR"
  rm -rf "$DATA_DIR" "$CLUSTER_ID_FILE"
}

cmd_topics() {
  libs_ok || { take_lock && cmd_fetch; }
  mkdir -p "$LOG_DIR"
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch) take_lock && cmd_fetch ;;
    start) take_lock && cmd_start ;;
    stop) take_lock && cmd_stop ;;
    restart) take_lock && cmd_stop && cmd_start ;;
    status) cmd_status ;;
    reset) take_lock && cmd_reset ;;
    bootstrap) echo "$BOOTSTRAP" ;;
    logs) tail -n 50 "$LOG_FILE" ;;
    topics) cmd_topics "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
