#!/usr/bin/env bash
# `make test-faults`: the fault suite (tests/faults) on throw-away instances of its own,
# because it restarts them: a PostgreSQL cluster of its own (Debian cluster
# $EK_FAULTS_PG_CLUSTER on $EK_FAULTS_PGPORT) and Kafka on $EK_FAULTS_KAFKA_PORT (one broker,
# then three on that port +100 and +200; the suite starts and deletes them itself), all
# state under $EK_FAULTS_RUN_DIR. Never the instances of `make up` or `make test`.
# Arguments go to pytest.
#
#   EK_FAULTS_RUN_DIR      state dir (default <repo>/.run/faults)
#   EK_FAULTS_PG_CLUSTER   PostgreSQL cluster name (default faults; never main)
#   EK_FAULTS_PGPORT       its port (default 5433)
#   EK_FAULTS_KAFKA_PORT   first Kafka client port (default 24092; controllers +1)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export EK_FAULTS_RUN_DIR="${EK_FAULTS_RUN_DIR:-$ROOT/.run/faults}"
export EK_FAULTS_KAFKA_PORT="${EK_FAULTS_KAFKA_PORT:-24092}"
export EK_RUN_DIR="$EK_FAULTS_RUN_DIR"
export PG_CLUSTER="${EK_FAULTS_PG_CLUSTER:-faults}"
export PGPORT="${EK_FAULTS_PGPORT:-5433}"
SUFFIX=_faults
[[ "$PG_CLUSTER" != main ]] || { echo "[faults] ERROR: the fault suite needs its own cluster, not main" >&2; exit 2; }

cleanup() {
  local rc=$?
  echo "[faults] cleaning up"
  local nodes  # what an interrupted run left (the suite deletes its brokers itself)
  for nodes in 1 3; do
    KAFKA_NODES=$nodes KAFKA_PORT="$EK_FAULTS_KAFKA_PORT" \
      KAFKA_CONTROLLER_PORT=$((EK_FAULTS_KAFKA_PORT + 1)) bash deploy/kafka/kafka.sh stop || true
  done
  bash deploy/postgres/pg.sh stop || true  # only the cluster this script started
  exit $rc
}
trap cleanup EXIT INT TERM

bash deploy/bootstrap.sh
bash deploy/postgres/pg.sh ensure
bash deploy/postgres/pg.sh drop-dbs "$SUFFIX"
bash deploy/postgres/pg.sh create-dbs "$SUFFIX"
for svc in attendance activity scoring gateway; do
  export "EK_TEST_PG_${svc^^}_URL"="$(bash deploy/postgres/pg.sh url "$svc" "$SUFFIX")"
  export "EK_TEST_PG_${svc^^}_APP_URL"="$(bash deploy/postgres/pg.sh app-url "$svc" "$SUFFIX")"
done

echo "[faults] running pytest"
EK_TEST_FAULTS=1 .venv/bin/python -m pytest tests/faults -p no:cacheprovider "$@"
