#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server (Debian's `postgresql` package, which
# setup.sh installs) for the tests and exports TOLEM_TEST_POSTGRES, the URL
# of its `postgres` database; tests create a fresh database each on it.
# Source this file; `postgres_stop` stops the server and removes its files.
# Run as root, the server runs as the `postgres` user (initdb refuses root).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z "$pg_bin" ]]; then
  echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
  return 1 2>/dev/null || exit 1
fi
pg_dir=$(mktemp -d /tmp/tolem-pg.XXXXXX)
source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"
pg_port=$(free_port)
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[[ $(id -u) -eq 0 ]] && chown postgres "$pg_dir"
as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400" start >/dev/null \
  || { cat "$pg_dir/server.log" >&2; return 1 2>/dev/null || exit 1; }
export TOLEM_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"
postgres_stop() {
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') for tests on port $pg_port"
