#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). One login role and one database per service, each role with
# its own password (<SERVICE>_DB_PASSWORD) and owner of its database only: nobody else may
# connect to it (CONNECT revoked from PUBLIC), so a service can never read another's data,
# nor open the maintenance databases.
#
# `python -m <service> migrate` creates a missing database too, but only a superuser could:
# here the roles are created without CREATEDB.
#
# Also usable against any server (tests, a drill): PGHOST/PGPORT/PGUSER as for psql, and
# PARKING_SERVICES to name other services.
set -eu

for service in ${PARKING_SERVICES:-identity certification vehicles subscriptions billing notifications}; do
    variable="$(echo "$service" | tr '[:lower:]-' '[:upper:]_')_DB_PASSWORD"
    password="$(printenv "$variable" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: $variable must be set" >&2
        exit 1
    fi
    psql --set ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-${PGUSER:-postgres}}" --dbname postgres \
        --set role="$service" --set database="parking_$service" --set password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SQL
done

psql --set ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-${PGUSER:-postgres}}" --dbname postgres <<'SQL'
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
SQL
