#!/usr/bin/env bash
# Install the servers and clients the integration tests start (Debian 12, as root).
# Idempotent: does nothing when every binary is already present.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

packages=(restic redis-server mariadb-server mariadb-client prometheus prometheus-pushgateway
  postgresql postgresql-client openssl)
binaries=(restic redis-server redis-cli mariadbd mariadb mariadb-admin mariadb-install-db
  promtool prometheus-pushgateway openssl)
# Headless Chromium for the HTML report test (test/runner/report.test.ts, driven by playwright-core): ~30 s, ~350 MB.
packages+=(chromium) binaries+=(chromium)

missing=()
for b in "${binaries[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
pg_ok=no
for d in /usr/lib/postgresql/*/bin; do
  [[ -x $d/initdb && -x $d/postgres && -x $d/pg_isready && -x $d/psql ]] && pg_ok=yes
done
[[ $pg_ok == yes ]] || missing+=(postgresql)

if ((${#missing[@]} == 0)); then
  echo "install-test-deps: all present"
  exit 0
fi
if ((EUID != 0)); then
  echo "install-test-deps: missing ${missing[*]}; run as root" >&2
  exit 1
fi
echo "install-test-deps: missing ${missing[*]}; installing"
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-test-deps: done"
