#!/usr/bin/env bash
# Build (and optionally push) one image per Convene service from deploy/docker/Dockerfile.
#
#   deploy/build-images.sh                      # all five, tagged with `git describe`
#   VERSION=1.4.0 REGISTRY=ghcr.io/acme deploy/build-images.sh --push
#   deploy/build-images.sh --dry-run identity   # print the commands, build nothing
#
# Images are named [REGISTRY/]convene-<service>:<VERSION>. VERSION defaults to
# `git describe --tags --always --dirty`, or "dev" outside a git checkout.
# DOCKER picks the client (docker by default; podman and nerdctl take the same flags).
# PLATFORM (e.g. linux/amd64) is passed to --platform when set.
set -euo pipefail

ALL_SERVICES=(identity directory feedback content subscriptions gateway)

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  echo
  echo "usage: $0 [--push] [--dry-run] [SERVICE...]   (services: ${ALL_SERVICES[*]})"
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
push=false
dry_run=false
services=()
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    --dry-run) dry_run=true ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
    *)
      if [[ " ${ALL_SERVICES[*]} " != *" $arg "* ]]; then
        echo "unknown service: $arg (expected one of: ${ALL_SERVICES[*]})" >&2
        exit 2
      fi
      services+=("$arg")
      ;;
  esac
done
if [ ${#services[@]} -eq 0 ]; then
  services=("${ALL_SERVICES[@]}")
fi

if [ -z "${VERSION:-}" ]; then
  VERSION="$(git -C "$repo_root" describe --tags --always --dirty 2>/dev/null || true)"
  VERSION="${VERSION:-dev}"
fi
# Docker tags allow [A-Za-z0-9_.-] only (e.g. a branch name in VERSION would not).
if [[ ! "$VERSION" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "VERSION '$VERSION' is not a valid image tag" >&2
  exit 2
fi
revision="$(git -C "$repo_root" rev-parse --verify --quiet HEAD 2>/dev/null || echo unknown)"
prefix="${REGISTRY:+${REGISTRY%/}/}"
docker_cmd="${DOCKER:-docker}"

run() {
  if $dry_run; then
    printf '%q ' "$@"
    echo
  else
    "$@"
  fi
}

for service in "${services[@]}"; do
  image="${prefix}convene-${service}:${VERSION}"
  echo "==> ${image}" >&2
  build=("$docker_cmd" build
    --file "$repo_root/deploy/docker/Dockerfile"
    --build-arg "SERVICE=${service}"
    --build-arg "VERSION=${VERSION}"
    --label "org.opencontainers.image.revision=${revision}"
    --tag "$image")
  if [ -n "${PLATFORM:-}" ]; then
    build+=(--platform "$PLATFORM")
  fi
  run env DOCKER_BUILDKIT=1 "${build[@]}" "$repo_root"
  if $push; then
    run "$docker_cmd" push "$image"
  fi
done
