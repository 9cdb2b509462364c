#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). One login role and one database per service, the role owning
# its database: a service can never read another service's data.
#
# `python -m <service> migrate` creates a missing database too, but only a superuser could:
# here the roles are created without CREATEDB.
set -eu

: "${PARKING_DB_PASSWORD:?PARKING_DB_PASSWORD must be set}"

for service in ${PARKING_SERVICES:-identity certification vehicles subscriptions billing notifications}; do
    psql --set ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set role="$service" --set database="parking_$service" --set password="$PARKING_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SQL
done
