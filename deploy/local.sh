#!/usr/bin/env bash
# The local run: Kafka (from Maven Central jars) + the four services (honcho, SQLite).
#   deploy/local.sh up      start everything, load the demo tenants and roster, print URLs
#   deploy/local.sh down    stop the services and Kafka
#   deploy/local.sh status  health of every service
#   deploy/local.sh logs    follow the services' log
# Kafka profile (EK_KAFKA_PROFILE, or `make up KAFKA_PROFILE=...`):
#   single      one broker, replication factor 1 (default)
#   production  three brokers on this machine (kafka.sh with KAFKA_NODES=3), topics with
#               replication factor 3 and min.insync.replicas 2 (deploy/local.production.env)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${EK_RUN_DIR:-$ROOT/.run}"
PIDFILE="$RUN/honcho.pid"
LOG="$RUN/services.log"
PROFILE_FILE="$RUN/kafka.profile"  # the profile of the running system, for down/status
cd "$ROOT"

# Sets KAFKA_NODES (for kafka.sh) and ENV_FILES (for honcho) of Kafka profile $1.
use_profile() {
  case "$1" in
    single | "") PROFILE=single; export KAFKA_NODES=1; ENV_FILES="deploy/local.env" ;;
    production) PROFILE=production; export KAFKA_NODES=3
      ENV_FILES="deploy/local.env,deploy/local.production.env" ;;
    *) echo "unknown Kafka profile '$1' (single or production)" >&2; exit 2 ;;
  esac
}
use_profile "${EK_KAFKA_PROFILE:-single}"
RUNNING_PROFILE="$(cat "$PROFILE_FILE" 2>/dev/null || true)"

PORTS=(8000 8001 8002 8003)
NAMES=(gateway attendance activity scoring)

healthy() { curl -fsS -m 3 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

up() {
  if [ -n "$RUNNING_PROFILE" ] && [ "$RUNNING_PROFILE" != "$PROFILE" ]; then
    echo "[up] the system runs with the $RUNNING_PROFILE Kafka profile; run 'make down' first" >&2
    exit 1
  fi
  bash deploy/bootstrap.sh
  mkdir -p "$RUN/data"
  # the platform operator's break-glass credential of this installation (a random token,
  # kept in .run/, readable by this user only); load-demo uses it to create the regencies
  if [ ! -s "$RUN/admin-token" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$RUN/admin-token")
  fi
  EK_ADMIN_TOKEN="$(cat "$RUN/admin-token")"
  export EK_ADMIN_TOKEN
  echo "$PROFILE" >"$PROFILE_FILE"
  echo "[up] Kafka profile: $PROFILE"
  bash deploy/kafka/kafka.sh start
  # the topics tool reads EK_KAFKA_BOOTSTRAP and the replication settings from the env files
  .venv/bin/honcho -e "$ENV_FILES" run .venv/bin/python -m ekinerja_shared.topics
  if running; then
    echo "[up] services already running (pid $(cat "$PIDFILE"))"
  else
    echo "[up] starting the services (log: $LOG)"
    # setsid: honcho and its children get their own process group, stopped together
    setsid .venv/bin/honcho -f Procfile -e "$ENV_FILES" start >"$LOG" 2>&1 < /dev/null &
    echo $! >"$PIDFILE"
  fi
  local i
  for i in "${!PORTS[@]}"; do
    local n=0
    until healthy "${PORTS[$i]}"; do
      n=$((n + 1))
      if [ "$n" -gt 120 ] || ! running; then
        echo "[up] ${NAMES[$i]} did not become healthy; last log lines:" >&2
        tail -n 40 "$LOG" >&2
        exit 1
      fi
      sleep 1
    done
    echo "[up] ${NAMES[$i]} healthy on http://127.0.0.1:${PORTS[$i]}"
  done
  .venv/bin/python -m gateway load-demo --url http://127.0.0.1:8000
  cat <<MSG

e-Kinerja is up.
  Gateway (web app, API):   http://127.0.0.1:8000/
  API docs (OpenAPI):        http://127.0.0.1:8000/docs
  Event docs (AsyncAPI):     http://127.0.0.1:800{0,1,2,3}/asyncapi
  Metrics:                   http://127.0.0.1:800{0,1,2,3}/metrics
  Logs:                      $LOG
  Operator (break-glass):    Authorization: Bearer \$(cat $RUN/admin-token)
Sign in as one of the demo accounts above at http://127.0.0.1:8000/ (API: POST /api/auth/login).
Stop with: make down
MSG
}

down() {
  if running; then
    local pid; pid="$(cat "$PIDFILE")"
    echo "[down] stopping services (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  use_profile "${RUNNING_PROFILE:-$PROFILE}"  # the brokers that up started
  bash deploy/kafka/kafka.sh stop
  rm -f "$PROFILE_FILE"
}

status() {
  local i rc=0
  for i in "${!PORTS[@]}"; do
    if healthy "${PORTS[$i]}"; then echo "${NAMES[$i]}: healthy"; else echo "${NAMES[$i]}: down"; rc=1; fi
  done
  use_profile "${RUNNING_PROFILE:-$PROFILE}"
  echo "kafka ($PROFILE profile):"
  bash deploy/kafka/kafka.sh status | sed 's/^/  /' || rc=1
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  logs) tail -f "$LOG" ;;
  *) echo "usage: $0 up|down|status|logs" >&2; exit 2 ;;
esac
