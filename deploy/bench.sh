#!/usr/bin/env bash
# `make bench`: starts a throw-away Kafka and PostgreSQL (like `make test`), runs every
# tests/bench/bench_*.py (each prints one JSON object) and prints them as one JSON document.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export EK_RUN_DIR="$ROOT/.run/bench"
# its own ports (make test's broker is on 19092): a bench and a test run can share a machine
export KAFKA_PORT="${EK_BENCH_KAFKA_PORT:-19192}"
export KAFKA_CONTROLLER_PORT="${EK_BENCH_KAFKA_CONTROLLER_PORT:-19193}"

cleanup() {
  local rc=$?
  bash deploy/kafka/kafka.sh stop >&2 || true
  bash deploy/postgres/pg.sh stop >&2 || true
  exit $rc
}
trap cleanup EXIT INT TERM

{
  bash deploy/bootstrap.sh
  bash deploy/postgres/pg.sh ensure
  bash deploy/postgres/pg.sh drop-dbs _bench
  bash deploy/postgres/pg.sh create-dbs _bench
  bash deploy/kafka/kafka.sh reset
  bash deploy/kafka/kafka.sh start
} >&2
export EK_BENCH_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
for svc in attendance activity scoring gateway; do
  var="EK_BENCH_PG_${svc^^}_URL"
  export "$var"="$(bash deploy/postgres/pg.sh url "$svc" _bench)"
  # the services connect as the application role (row-level security applies, as in production)
  export "EK_BENCH_PG_${svc^^}_APP_URL"="$(bash deploy/postgres/pg.sh app-url "$svc" _bench)"
done
.venv/bin/python -m ekinerja_shared.topics --bootstrap "$EK_BENCH_KAFKA_BOOTSTRAP" >&2

results=()
for script in tests/bench/bench_*.py; do
  echo "[bench] $script" >&2
  results+=("$(.venv/bin/python "$script")")
done
# ingest again as the README scales it: two HTTP instances and the relay as its own process
echo "[bench] tests/bench/bench_ingest.py --instances 2 --relay-process" >&2
results+=("$(.venv/bin/python tests/bench/bench_ingest.py --instances 2 --relay-process)")
# and with the day evaluation in a process of its own, beside the HTTP instance
echo "[bench] tests/bench/bench_ingest.py --consumer-instance" >&2
results+=("$(.venv/bin/python tests/bench/bench_ingest.py --consumer-instance)")
# and so, with the devices at different dates of their backlogs (batches of mixed dates)
echo "[bench] tests/bench/bench_ingest.py --consumer-instance --mixed-days" >&2
results+=("$(.venv/bin/python tests/bench/bench_ingest.py --consumer-instance --mixed-days)")
printf '%s\n' "${results[@]}" | .venv/bin/python -c '
import json, sys
out = {}
for line in sys.stdin:
    line = line.strip()
    if line:
        out.update(json.loads(line))
print(json.dumps(out, indent=2))'
