#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server on 127.0.0.1 for the storage tests, and
# print its URL. Installs Debian's postgresql package when it is missing (needs root).
# The server's files live under /tmp/pathways-pg; nothing listens beyond loopback.
set -euo pipefail
port=${PATHWAYS_PG_PORT:-54329}
dir=/tmp/pathways-pg

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: PostgreSQL is not installed; install Debian's 'postgresql' or set PATHWAYS_TEST_POSTGRES_URL" >&2
    exit 2
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir/data" -o "-h 127.0.0.1 -p $port -k $dir" -l "$dir/server.log" -w start >/dev/null
fi
if ! as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc \
    "select 1 from pg_database where datname = 'pathways_test'" | grep -q 1; then
  as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres pathways_test
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$port/pathways_test"
