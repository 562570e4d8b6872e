#!/usr/bin/env bash
# Mutation testing of the domain modules (cosmic-ray); prints the scores as JSON.
# Slow (each mutant runs the service's unit tests): not part of `make test`.
#   bash deploy/mutation.sh [--module scoring/score ...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python tests/mutation/run_mutation.py "$@"
