#!/usr/bin/env bash
# The whole test suite against real infrastructure (embedded PostgreSQL and broker by default).
# Extra arguments go to pytest, e.g. `./scripts/test.sh tests/system -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
# tests/web drives Debian's headless Chromium (no browser downloads); they skip without it.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium and chromium-driver (Debian packages) for tests/web"
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "tests/web need /usr/bin/chromium and /usr/bin/chromedriver; they will be skipped." >&2
  fi
fi
.venv/bin/python -m contracts.generate --check
exec .venv/bin/python -m pytest "$@"
