#!/usr/bin/env bash
# Create the Secrets the dev overlay needs, with random passwords, in namespace convene
# (or $NAMESPACE). Safe to run again: a Secret that already exists is kept as it is, because
# PostgreSQL set its role passwords from the first ones when its volume was initialised.
#
#   deploy/create-dev-secrets.sh             # then: kubectl apply -k deploy/k8s/overlays/dev
#   NOTIFY_API_KEY=... deploy/create-dev-secrets.sh   # also store a GOV.UK Notify key
#
# Rotate: delete the Secrets and the postgres PersistentVolumeClaim (data-postgres-0), then
# run this again.
set -euo pipefail

NAMESPACE="${NAMESPACE:-convene}"
KUBECTL="${KUBECTL:-kubectl}"
SERVICES=(identity directory feedback content subscriptions)

random_password() {
  # 32 hex characters: no character needs escaping in a URL.
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

exists() {
  "$KUBECTL" get secret "$1" --namespace "$NAMESPACE" >/dev/null 2>&1
}

read_key() {
  "$KUBECTL" get secret "$1" --namespace "$NAMESPACE" -o "jsonpath={.data.$2}" | base64 -d
}

create() {
  local name="$1"
  shift
  if exists "$name"; then
    echo "kept     secret/$name"
    return
  fi
  "$KUBECTL" create secret generic "$name" --namespace "$NAMESPACE" "$@" \
    --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
  echo "created  secret/$name"
}

if ! "$KUBECTL" get namespace "$NAMESPACE" >/dev/null 2>&1; then
  # The overlay manages the namespace too; creating it here first is harmless.
  "$KUBECTL" create namespace "$NAMESPACE"
fi

create postgres-admin --from-literal=password="$(random_password)"

args=()
for service in "${SERVICES[@]}"; do
  args+=("--from-literal=${service}-password=$(random_password)")
done
create postgres-app-users "${args[@]}"

for service in "${SERVICES[@]}"; do
  password="$(read_key postgres-app-users "${service}-password")"
  url="postgresql+asyncpg://${service}:${password}@postgres:5432/convene_${service}"
  extra=()
  if [ "$service" = identity ] && [ -n "${NOTIFY_API_KEY:-}" ]; then
    extra+=("--from-literal=notify-api-key=${NOTIFY_API_KEY}")
  fi
  if [ "$service" = feedback ]; then
    # 64 hex characters of random data (FEEDBACK_PSEUDONYM_KEY wants at least 32).
    extra+=("--from-literal=pseudonym-key=$(random_password)$(random_password)")
  fi
  if [ "$service" = subscriptions ]; then
    # 64 hex characters of random data (SUBSCRIPTIONS_CURSOR_KEY wants at least 32).
    extra+=("--from-literal=cursor-key=$(random_password)$(random_password)")
  fi
  create "${service}-secrets" --from-literal=database-url="$url" "${extra[@]}"
done

create grafana-admin --from-literal=admin-user=admin \
  --from-literal=admin-password="$(random_password)"

echo
echo "Next: kubectl apply -k deploy/k8s/overlays/dev"
echo "Grafana user admin; password:"
echo "  $KUBECTL -n $NAMESPACE get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d"
