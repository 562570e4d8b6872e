#!/usr/bin/env bash
# The local run: Kafka (from Maven Central jars) + the four services (honcho, SQLite).
#   deploy/local.sh up      start everything, load the demo tenants and roster, print URLs
#   deploy/local.sh down    stop the services and Kafka
#   deploy/local.sh status  health of every service
#   deploy/local.sh logs    follow the services' log
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${EK_RUN_DIR:-$ROOT/.run}"
PIDFILE="$RUN/honcho.pid"
LOG="$RUN/services.log"
cd "$ROOT"

PORTS=(8000 8001 8002 8003)
NAMES=(gateway attendance activity scoring)

healthy() { curl -fsS -m 3 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

up() {
  bash deploy/bootstrap.sh
  bash deploy/kafka/kafka.sh start
  .venv/bin/python -m ekinerja_shared.topics --bootstrap 127.0.0.1:9092
  mkdir -p "$RUN/data"
  if running; then
    echo "[up] services already running (pid $(cat "$PIDFILE"))"
  else
    echo "[up] starting the services (log: $LOG)"
    # setsid: honcho and its children get their own process group, stopped together
    setsid .venv/bin/honcho -f Procfile -e deploy/local.env start >"$LOG" 2>&1 < /dev/null &
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
  Gateway (dashboard, API):  http://127.0.0.1:8000/
  API docs (OpenAPI):        http://127.0.0.1:8000/docs
  Event docs (AsyncAPI):     http://127.0.0.1:800{0,1,2,3}/asyncapi
  Metrics:                   http://127.0.0.1:800{0,1,2,3}/metrics
  Logs:                      $LOG
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
  bash deploy/kafka/kafka.sh stop
}

status() {
  local i rc=0
  for i in "${!PORTS[@]}"; do
    if healthy "${PORTS[$i]}"; then echo "${NAMES[$i]}: healthy"; else echo "${NAMES[$i]}: down"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  logs) tail -f "$LOG" ;;
  *) echo "usage: $0 up|down|status|logs" >&2; exit 2 ;;
esac
