#!/usr/bin/env bash
# `make test`: sets up what a fresh machine lacks (Python packages, Kafka jars, PostgreSQL
# 15), starts a throw-away Kafka (own port and data dir) and fresh test databases, runs
# pytest, and leaves nothing running. Arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export EK_RUN_DIR="$ROOT/.run/test"
export KAFKA_PORT="${EK_TEST_KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT="${EK_TEST_KAFKA_CONTROLLER_PORT:-19093}"
export KEYCLOAK_PORT="${EK_TEST_KEYCLOAK_PORT:-18080}"
SERVICES=(attendance activity scoring gateway)
SUFFIX="${EK_TEST_DB_SUFFIX:-_test}"

cleanup() {
  local rc=$?
  echo "[test] cleaning up"
  bash deploy/keycloak/keycloak.sh stop || true
  bash deploy/kafka/kafka.sh stop || true
  bash deploy/postgres/pg.sh stop || true
  exit $rc
}
trap cleanup EXIT INT TERM

bash deploy/bootstrap.sh
bash deploy/postgres/pg.sh ensure
bash deploy/postgres/pg.sh drop-dbs "$SUFFIX"
bash deploy/postgres/pg.sh create-dbs "$SUFFIX"
bash deploy/kafka/kafka.sh reset
bash deploy/kafka/kafka.sh start
bash deploy/keycloak/keycloak.sh start  # the OIDC provider of the sign-in tests
bash deploy/browser/chromium.sh ensure  # the real browser of the page tests
EK_TEST_CHROMIUM="$(bash deploy/browser/chromium.sh path)"
export EK_TEST_CHROMIUM

export EK_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
EK_TEST_KEYCLOAK_URL="$(bash deploy/keycloak/keycloak.sh url)"
export EK_TEST_KEYCLOAK_URL
for svc in "${SERVICES[@]}"; do
  var="EK_TEST_PG_${svc^^}_URL"
  export "$var"="$(bash deploy/postgres/pg.sh url "$svc" "$SUFFIX")"
  export "EK_TEST_PG_${svc^^}_APP_URL"="$(bash deploy/postgres/pg.sh app-url "$svc" "$SUFFIX")"
done
.venv/bin/python -m ekinerja_shared.topics --bootstrap "$EK_TEST_KAFKA_BOOTSTRAP"

echo "[test] running pytest"
.venv/bin/python -m pytest "$@"
