#!/usr/bin/env bash
# Runs every test of boardtrail. Installs what the tests need when it is missing
# (as root, with apt-get), so that it works on a fresh machine; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
# Browser tests drive Debian's Chromium; the benchmark-equivalence test starts a
# throwaway PostgreSQL cluster.
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

cargo test --locked "$@"
