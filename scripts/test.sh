#!/usr/bin/env bash
# Runs every test of boardtrail. Installs what the tests need when it is missing
# (as root, with apt-get), so that it works on a fresh machine; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
# Browser tests drive Debian's Chromium; the PostgreSQL tests start throwaway clusters
# (and the second pass below runs the black-box suite on one).
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_pkgs+=(chromium-driver)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_pkgs+=(postgresql); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: missing ${need_pkgs[*]} and not root; install them and retry" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# First pass: everything, on the embedded store (tests/nodes.rs and the benchmark
# equivalence test start throwaway PostgreSQL clusters of their own).
cargo test --locked "$@"

# Second pass: the black-box suite again, every test server on a database of its own in
# one throwaway PostgreSQL cluster (initdb in a temporary directory, a free loopback port).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_tmp=$(mktemp -d -t boardtrail-pg-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_tmp"; fi
stop_pg() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_tmp"
}
trap stop_pg EXIT
as_pg "$pg_bin/initdb" -D "$pg_tmp/data" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
pg_port=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 30000))
  if as_pg "$pg_bin/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/server.log" -w -t 30 \
      -o "-p $port -k $pg_tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
    pg_port=$port
    break
  fi
done
if [ -z "$pg_port" ]; then
  echo "scripts/test.sh: could not start PostgreSQL; its log:" >&2
  cat "$pg_tmp/server.log" >&2 || true
  exit 1
fi
echo "scripts/test.sh: the black-box suite again on PostgreSQL (port $pg_port)" >&2
BOARDTRAIL_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres" \
  cargo test --locked --test access --test bad_input --test compliance --test isolation \
  --test isolation_rules --test qualification --test resellers --test scan --test seed_story "$@"
