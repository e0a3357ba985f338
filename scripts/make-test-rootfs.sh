#!/usr/bin/env bash
# The newer server majors and the image's client tools for the integration tests: a Debian root
# filesystem of the image's release (made by scripts/make-base-rootfs.sh, as the image's base is)
# with PostgreSQL 17, MariaDB 11.8, Redis 8 and restic 0.18 installed in it.
#
#   scripts/make-test-rootfs.sh        # prints the cache dir on its last stdout line
#
# Cached in $SAFEHOLD_TEST_ROOTFS_CACHE (default .tmp/test-rootfs)/<key>, where <key> hashes the
# release, the package list and the scripts that make it: a re-run with the same inputs takes a
# moment; a changed input makes a new one (older ones are removed). The cache dir holds
#   root/      the root filesystem (servers run in it with chroot; test/support/image-tools.ts)
#   bin/       one launcher per client tool: `exec chroot root <tool> "$@"` — trixie's binaries need
#              trixie's libc; the argument vector is passed on untouched, secrets stay in the environment
#   restic     restic 0.18 copied out of the root (a static binary: it runs on the host)
#   versions   what was installed
# Needs root (debootstrap, chroot, mknod). Idempotent; concurrent callers wait for one build.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suite=trixie
packages=(postgresql-17 mariadb-server mariadb-client redis-server redis-tools restic)
# The launchers: name (as the runner calls it, src/runner/binaries.ts) and its path inside the root.
tools=(
  pg_dump=/usr/lib/postgresql/17/bin/pg_dump pg_restore=/usr/lib/postgresql/17/bin/pg_restore
  psql=/usr/lib/postgresql/17/bin/psql mariadb-dump=/usr/bin/mariadb-dump mariadb=/usr/bin/mariadb
  redis-cli=/usr/bin/redis-cli redis-server=/usr/bin/redis-server redis-check-rdb=/usr/bin/redis-check-rdb
)

log() { printf '[test-rootfs] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

key=$( { printf '%s\n' "$suite" "${packages[@]}" "${tools[@]}"; cat "$repo/scripts/make-base-rootfs.sh" "${BASH_SOURCE[0]}"; } \
  | sha256sum | cut -c1-16)
cache=${SAFEHOLD_TEST_ROOTFS_CACHE:-$repo/.tmp/test-rootfs}
dir=$cache/$key
if [ -f "$dir/ready" ]; then
  log "cached: $dir"
  printf '%s\n' "$dir"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mknod need it)"
[[ $dir != *"'"* ]] || die "the cache path must not contain a single quote: $dir"
mkdir -p "$cache"
exec 9>"$cache/lock"
if ! flock -n 9; then
  log "waiting for another build in $cache"
  flock 9
fi
if [ -f "$dir/ready" ]; then
  printf '%s\n' "$dir"
  exit 0
fi

started=$(now)
# Remove older caches (other keys) unless a test run still has something mounted in them.
for old in "$cache"/*/; do
  old=${old%/}
  [ "$old" = "$dir" ] && continue
  if grep -q " ${old}/" /proc/mounts; then log "keeping $old (in use)"; else rm -rf "$old"; fi
done
rm -rf "$dir"
mkdir -p "$dir"
root=$dir/root
bash "$repo/scripts/make-base-rootfs.sh" "$root" "$suite"

# Device nodes the servers and apt open (the image gets them from its runtime).
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/full" c 1 7
mknod -m 666 "$root/dev/random" c 1 8
mknod -m 666 "$root/dev/urandom" c 1 9
mknod -m 666 "$root/dev/tty" c 5 0
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No default cluster: the tests make their own.
mkdir -p "$root/etc/postgresql-common"
printf 'create_main_cluster = false\n' >"$root/etc/postgresql-common/createcluster.conf"

mount --bind /proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || umount -l "$root/proc" 2>/dev/null || true' EXIT
in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
t=$(now)
log "apt-get install ${packages[*]}"
in_root apt-get update -qq >"$dir/apt.log" 2>&1 || { tail -n 20 "$dir/apt.log" >&2; die "apt-get update failed in the root"; }
in_root apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold "${packages[@]}" >>"$dir/apt.log" 2>&1 \
  || { tail -n 30 "$dir/apt.log" >&2; die "apt-get install failed in the root (log: $dir/apt.log)"; }
log "installed in $(since "$t")"
in_root dpkg-query -W "${packages[@]}" >"$dir/versions"
umount "$root/proc"
trap - EXIT

mkdir -p "$dir/bin"
for entry in "${tools[@]}"; do
  name=${entry%%=*}
  path=${entry#*=}
  [ -x "$root$path" ] || die "$path is missing in the root"
  printf '#!/bin/sh\n# %s of the root filesystem the tests use as the image'"'"'s tools (scripts/make-test-rootfs.sh).\nexec /usr/sbin/chroot '"'%s'"' %s "$@"\n' \
    "$name" "$root" "$path" >"$dir/bin/$name"
  chmod 0755 "$dir/bin/$name"
done
cp "$root/usr/bin/restic" "$dir/restic"
"$dir/restic" version >/dev/null || die "the copied restic does not run on this machine"

touch "$dir/ready"
log "ready in $(since "$started"): $(tr '\t' ' ' <"$dir/versions" | paste -sd, | sed 's/,/, /g')"
printf '%s\n' "$dir"
