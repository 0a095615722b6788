#!/bin/bash
# Runs once, when the data directory is empty (the postgres image's docker-entrypoint-initdb.d):
# one login role and one database per service. The role owns its database and can reach no
# other, so a service cannot read another service's data even though they share a server.
set -euo pipefail

for service in identity directory feedback content subscriptions; do
  password_var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="${!password_var:?$password_var is not set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" -v database="convene_$service" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
  echo "init-databases: created role $service and database convene_$service"
done
