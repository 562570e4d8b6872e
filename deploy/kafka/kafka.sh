#!/usr/bin/env bash
# Apache Kafka 4.x in KRaft mode (combined broker+controller) for local development
# and tests, run from the jars on Maven Central (no tarball, no Docker). One node by
# default; KAFKA_NODES=3 runs the production profile on this machine: three node
# processes, a 3-voter controller quorum, replication factor 3, min.insync.replicas 2.
#
# Usage: deploy/kafka/kafka.sh {fetch|start|stop|restart|status|reset|bootstrap|logs [N]|topics ...|kill N|start-node N}
#
#   fetch      copy the jars listed in deploy/kafka/pom.xml to $EK_RUN_DIR/kafka/libs
#              (skipped when they are there and pom.xml is unchanged)
#   start      fetch if needed, write server.properties, format the storage the
#              first time, start the broker(s) in the background and wait until
#              each serves metadata; a node that already runs is left alone
#   stop       SIGTERM the broker(s), SIGKILL after $KAFKA_STOP_TIMEOUT s
#   restart    stop, then start (data kept)
#   status     print running/stopped (a line per node in a cluster); exit 0 when
#              every node runs, 1 when not
#   reset      stop and delete the data (topics, offsets); start gives a fresh broker
#   bootstrap  print the bootstrap servers, e.g. 127.0.0.1:9092 (a cluster: all nodes,
#              comma-separated)
#   logs [N]   print the last 50 lines of the broker log (of node N, or of every node)
#   topics ... run kafka-topics (org.apache.kafka.tools.TopicCommand) against
#              the broker, e.g. `kafka.sh topics --list`
#   kill N     SIGKILL node N, keeping its data (fault tests; start-node N brings it back)
#   start-node N  start node N if it is not running and wait until it is ready
#
# Environment:
#   EK_RUN_DIR             state dir (default <repo>/.run); Kafka uses $EK_RUN_DIR/kafka,
#                          a cluster $EK_RUN_DIR/kafka/cluster/node<N>/
#   KAFKA_NODES            number of nodes (default 1); with 2 or more, topics and the
#                          internal topics get replication factor min(N, 3) and
#                          min.insync.replicas one less (3 nodes: 3 and 2)
#   KAFKA_PORT             client port (default 9092); node N of a cluster uses
#                          KAFKA_PORT + 100*(N-1): 9092, 9192, 9292
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093; cluster 9093, 9193, 9293)
#   KAFKA_PORTS, KAFKA_CONTROLLER_PORTS
#                          a cluster's ports as comma-separated lists (override the above)
#   KAFKA_HEAP_OPTS        JVM heap of each node (default "-Xms256m -Xmx768m";
#                          "-Xms256m -Xmx512m" per node in a cluster)
#   KAFKA_START_TIMEOUT    seconds to wait for a broker (default 90)
#   KAFKA_STOP_TIMEOUT     seconds to wait before SIGKILL (default 30)
#   JAVA_HOME / JAVA       java to use (default: $JAVA_HOME/bin/java, else java on PATH)
#   MVN                    maven command (default mvn)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
EK_RUN_DIR="${EK_RUN_DIR:-$REPO_ROOT/.run}"

KAFKA_NODES="${KAFKA_NODES:-1}"
[[ "$KAFKA_NODES" =~ ^[1-9]$ ]] || { echo "[kafka] ERROR: KAFKA_NODES must be 1-9" >&2; exit 2; }
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
if ((KAFKA_NODES == 1)); then
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
else
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
fi
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
TOOLS_LOG_DIR="$KAFKA_HOME/logs/tools"

# One node: everything directly under $KAFKA_HOME (as it has always been). A cluster:
# node N under $KAFKA_HOME/cluster/node<N>, one cluster id for all of them.
if ((KAFKA_NODES == 1)); then
  CLUSTER_HOME="$KAFKA_HOME"
  REPLICATION_FACTOR=1
else
  CLUSTER_HOME="$KAFKA_HOME/cluster"
  REPLICATION_FACTOR=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3))
fi
MIN_ISR=$((REPLICATION_FACTOR > 1 ? REPLICATION_FACTOR - 1 : 1))
CLUSTER_ID_FILE="$CLUSTER_HOME/cluster.id"

log() { echo "[kafka] $*" >&2; }
die() { echo "[kafka] ERROR: $*" >&2; exit 1; }

# Fills PORTS and CONTROLLER_PORTS (index N-1 for node N).
node_ports() {
  local -n out="$1"
  local list="$2" base="$3" n
  if [[ -n "$list" ]]; then
    IFS=, read -r -a out <<<"$list"
    ((${#out[@]} == KAFKA_NODES)) || die "$4 lists ${#out[@]} ports for $KAFKA_NODES nodes"
  else
    out=()
    for ((n = 0; n < KAFKA_NODES; n++)); do out+=($((base + 100 * n))); done
  fi
}
PORTS=()
CONTROLLER_PORTS=()
node_ports PORTS "${KAFKA_PORTS:-}" "$KAFKA_PORT" KAFKA_PORTS
node_ports CONTROLLER_PORTS "${KAFKA_CONTROLLER_PORTS:-}" "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORTS

BOOTSTRAP=""
QUORUM_VOTERS=""
for ((i = 0; i < KAFKA_NODES; i++)); do
  BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:${PORTS[i]}"
  QUORUM_VOTERS+="${QUORUM_VOTERS:+,}$((i + 1))@127.0.0.1:${CONTROLLER_PORTS[i]}"
done

# Points the per-node variables (paths, ports, log label) at node $1.
select_node() {
  NODE_ID="$1"
  if ((KAFKA_NODES == 1)); then
    NODE_HOME="$KAFKA_HOME"
    LABEL=""
  else
    NODE_HOME="$CLUSTER_HOME/node$NODE_ID"
    LABEL="node $NODE_ID: "
  fi
  NODE_PORT="${PORTS[NODE_ID - 1]}"
  NODE_CONTROLLER_PORT="${CONTROLLER_PORTS[NODE_ID - 1]}"
  NODE_ADDR="127.0.0.1:$NODE_PORT"
  DATA_DIR="$NODE_HOME/data"
  LOG_DIR="$NODE_HOME/logs"
  LOG_FILE="$LOG_DIR/server.log"
  OUT_FILE="$LOG_DIR/kafka.out"
  PROPS_FILE="$NODE_HOME/server.properties"
  PID_FILE="$NODE_HOME/kafka.pid"
}

# Validates a node number argument.
node_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= KAFKA_NODES)) ||
    die "node number 1-$KAFKA_NODES expected, got '${1:-}' (KAFKA_NODES=$KAFKA_NODES)"
}


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
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$TOOLS_LOG_DIR" \
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
  # Guard against a recycled pid: it must be a java running kafka.Kafka on this
  # node's properties file (not another node's, nor another run dir's broker).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS_FILE" || return 1
  echo "$pid"
}

# True while process $1 exists and is not a zombie (a SIGKILLed broker whose parent
# has not reaped it yet must count as gone).
proc_alive() {
  local state
  state="$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
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

# True when the current node answers API-versions requests and lists itself as an
# unfenced broker, i.e. clients (and the admin API) can use it.
broker_ready() {
  local out
  out="$(timeout 30 "$(java_bin)" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$TOOLS_LOG_DIR" \
    -cp "$LIBS_DIR/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$NODE_ADDR" 2>/dev/null)" || return 1
  grep -q "(id: $NODE_ID " <<<"$out"
}

write_props() {
  local line out=""
  [[ -f "$PROPS_TEMPLATE" ]] || die "missing $PROPS_TEMPLATE"
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line//@KAFKA_NODE_ID@/$NODE_ID}"
    line="${line//@KAFKA_QUORUM_VOTERS@/$QUORUM_VOTERS}"
    line="${line//@KAFKA_PORT@/$NODE_PORT}"
    line="${line//@KAFKA_CONTROLLER_PORT@/$NODE_CONTROLLER_PORT}"
    line="${line//@KAFKA_DATA_DIR@/$DATA_DIR}"
    line="${line//@KAFKA_REPLICATION_FACTOR@/$REPLICATION_FACTOR}"
    line="${line//@KAFKA_MIN_ISR@/$MIN_ISR}"
    out+="$line"$'\n'
  done <"$PROPS_TEMPLATE"
  printf '%s' "$out" >"$PROPS_FILE"
}

# Formats the current node's storage the first time, with the cluster id shared by
# every node (generated once, kept in $CLUSTER_ID_FILE).
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
    mkdir -p "$CLUSTER_HOME"
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  mkdir -p "$DATA_DIR"
  log "${LABEL}formatting storage in $DATA_DIR (cluster id $cid)"
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
    kill -0 "$pid" 2>/dev/null || fail_start "${LABEL}broker process $pid exited during start-up"
    if port_open "$NODE_PORT"; then
      break
    fi
    sleep 0.5
  done
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || fail_start "${LABEL}broker process $pid exited during start-up"
    if broker_ready; then
      log "${LABEL}broker ready on $NODE_ADDR (pid $pid, waited $((SECONDS - t0)) s)"
      return 0
    fi
    sleep 1
  done
  fail_start "${LABEL}broker not ready on $NODE_ADDR after ${KAFKA_START_TIMEOUT} s (pid $pid is left running; '$0 stop' ends it)"
}

# Starts the current node's JVM in the background and sets LAUNCHED_PID.
launch_node() {
  log "${LABEL}starting broker on $NODE_ADDR (controller 127.0.0.1:$NODE_CONTROLLER_PORT, data $DATA_DIR)"
  local java heap
  java="$(java_bin)"
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  # Own session (setsid) so the broker outlives the calling shell and its
  # Ctrl-C. The inner bash writes its pid and then execs java, so the pid file
  # holds the JVM's pid whether or not setsid had to fork. stdout/stderr only
  # carry JVM-level messages; the broker log goes to server.log.
  rm -f "$PID_FILE"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
  KAFKA_HOME="$NODE_HOME" PID_FILE="$PID_FILE" OUT_FILE="$OUT_FILE" \
    setsid bash -c 'cd "$KAFKA_HOME" && echo $$ >"$PID_FILE" && exec "$@" </dev/null >"$OUT_FILE" 2>&1' \
    kafka "$java" "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS_FILE" </dev/null >/dev/null 2>&1 9>&- &
  local i pid
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || fail_start "${LABEL}broker process did not start"
  LAUNCHED_PID="$pid"
}

# Starts the given nodes that do not run yet (all of them before waiting for any: a
# cluster's controllers need a quorum), then waits until each is ready.
start_nodes() {
  local n pid entry waiting=() launching=()
  for n in "$@"; do
    select_node "$n"
    if pid="$(live_pid)"; then
      if port_open "$NODE_PORT"; then
        log "${LABEL}already running (pid $pid) on $NODE_ADDR"
        continue
      fi
      log "${LABEL}pid $pid is running but port $NODE_PORT is not open yet; waiting"
      waiting+=("$n:$pid")
      continue
    fi
    rm -f "$PID_FILE"
    if port_open "$NODE_PORT"; then
      die "port $NODE_PORT is already in use by another process (not started by this script); set KAFKA_PORT"
    fi
    if port_open "$NODE_CONTROLLER_PORT"; then
      die "controller port $NODE_CONTROLLER_PORT is already in use; set KAFKA_CONTROLLER_PORT"
    fi
    launching+=("$n")
  done

  if ((${#launching[@]} > 0)); then
    cmd_fetch
    for n in "${launching[@]}"; do
      select_node "$n"
      mkdir -p "$DATA_DIR" "$LOG_DIR"
      write_props
      format_storage
      launch_node
      waiting+=("$n:$LAUNCHED_PID")
    done
  fi
  for entry in "${waiting[@]}"; do
    select_node "${entry%%:*}"
    wait_ready "${entry#*:}"
  done
}

all_nodes() { seq 1 "$KAFKA_NODES"; }

cmd_start() {
  # shellcheck disable=SC2046  # one word per node number
  start_nodes $(all_nodes)
}

# SIGTERM to every running node at once (a cluster shutting down node by node would
# lose its controller quorum half way), SIGKILL to those still alive after the timeout.
cmd_stop() {
  local n pid i pids=() nodes=()
  for n in $(all_nodes); do
    select_node "$n"
    if ! pid="$(live_pid)"; then
      rm -f "$PID_FILE"
      log "${LABEL}not running"
      continue
    fi
    log "${LABEL}stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    nodes+=("$n")
  done
  ((${#pids[@]} > 0)) || return 0
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT)) alive
  while ((SECONDS < deadline)); do
    alive=0
    for pid in "${pids[@]}"; do proc_alive "$pid" && alive=1; done
    ((alive)) || break
    sleep 0.5
  done
  for i in "${!pids[@]}"; do
    select_node "${nodes[i]}"
    if proc_alive "${pids[i]}"; then
      log "${LABEL}still alive after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
      while proc_alive "${pids[i]}"; do sleep 0.2; done
    fi
    rm -f "$PID_FILE"
  done
  log "stopped"
}

# SIGKILL one node (no controlled shutdown: a crash as far as the cluster can tell).
cmd_kill() {
  node_arg "${1:-}"
  select_node "$1"
  local pid i
  if ! pid="$(live_pid)"; then
    log "${LABEL}not running"
    return 1
  fi
  log "${LABEL}SIGKILL broker (pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    proc_alive "$pid" || break
    sleep 0.1
  done
  proc_alive "$pid" && die "${LABEL}pid $pid still alive 10 s after SIGKILL"
  rm -f "$PID_FILE"
}

cmd_status() {
  local n pid rc=0
  for n in $(all_nodes); do
    select_node "$n"
    if pid="$(live_pid)"; then
      if port_open "$NODE_PORT"; then
        echo "${LABEL}running (pid $pid, $NODE_ADDR)"
      else
        echo "${LABEL}running (pid $pid, port $NODE_PORT not open yet)"
      fi
    else
      echo "${LABEL}stopped"
      rc=1
    fi
  done
  return $rc
}

cmd_reset() {
  cmd_stop
  local n
  for n in $(all_nodes); do
    select_node "$n"
    log "${LABEL}deleting $DATA_DIR"
    rm -rf "$DATA_DIR"
  done
  rm -f "$CLUSTER_ID_FILE"
}

cmd_logs() {
  local n
  if ((KAFKA_NODES == 1)); then
    select_node 1
    tail -n 50 "$LOG_FILE"
    return
  fi
  if [[ -n "${1:-}" ]]; then
    node_arg "$1"
    select_node "$1"
    tail -n 50 "$LOG_FILE"
    return
  fi
  for n in $(all_nodes); do
    select_node "$n"
    echo "==> node $n: $LOG_FILE <=="
    tail -n 50 "$LOG_FILE" || true
  done
}

cmd_topics() {
  libs_ok || { take_lock && cmd_fetch; }
  mkdir -p "$TOOLS_LOG_DIR"
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
    logs) cmd_logs "$@" ;;
    topics) cmd_topics "$@" ;;
    kill) cmd_kill "$@" ;;
    start-node) node_arg "${1:-}" && take_lock && start_nodes "$1" ;;
    -h | --help | help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
