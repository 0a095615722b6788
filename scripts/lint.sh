#!/usr/bin/env bash
# ruff (lint + format check) and mypy (strict on the chassis and contracts).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/ruff check services contracts devstack tests bench
.venv/bin/ruff format --check services contracts devstack tests bench
.venv/bin/mypy services contracts devstack
