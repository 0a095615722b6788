#!/usr/bin/env bash
# Create .venv and install Convene with its development tools. Safe to run again: it only
# reinstalls when pyproject.toml changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Convene needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.convene-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Convene and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "$want" > "$stamp"
fi

# The web's front-end assets from npm (never committed; static/app.css is ours and committed): GOV.UK Frontend, pinned to the version
# govuk-frontend-jinja's macros target, and axe-core for the accessibility tests. Installed into
# .venv/web; GOV.UK Frontend's dist/govuk files are copied to services/gateway/static (gitignored),
# which the gateway serves at /assets.
web_packages="govuk-frontend@6.3.0 axe-core@4.14.1"
web=.venv/web
static=services/gateway/static
web_stamp=$web/.convene-installed
if [ ! -f "$web_stamp" ] || [ "$(cat "$web_stamp")" != "$web_packages" ] \
    || [ ! -f "$static/govuk-frontend.min.css" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing npm (Debian package) for the web's front-end assets"
      apt-get update -qq >/dev/null && apt-get install -y -qq npm >/dev/null
    else
      echo "Convene's web pages need npm to fetch GOV.UK Frontend; install Node.js and npm." >&2
      exit 1
    fi
  fi
  echo "==> installing $web_packages into $web"
  mkdir -p "$web"
  # shellcheck disable=SC2086 # one word per package
  npm install --silent --no-audit --no-fund --prefix "$web" $web_packages
  dist=$web/node_modules/govuk-frontend/dist/govuk
  find "$static" -mindepth 1 ! -name .gitignore ! -name app.css -delete 2>/dev/null || true
  mkdir -p "$static"
  cp -R "$dist/assets/." "$static/"
  cp "$dist"/govuk-frontend.min.css "$dist"/govuk-frontend.min.css.map \
    "$dist"/govuk-frontend.min.js "$dist"/govuk-frontend.min.js.map "$static/"
  echo "$web_packages" > "$web_stamp"
fi
