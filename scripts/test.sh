#!/usr/bin/env bash
# The whole test suite against real infrastructure (embedded PostgreSQL and broker by default).
# Extra arguments go to pytest, e.g. `./scripts/test.sh tests/system -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/python -m contracts.generate --check
exec .venv/bin/python -m pytest "$@"
