#!/usr/bin/env bash
# Build the runner image from ./Dockerfile with buildah — no Docker engine, no registry.
#
#   npm run image                          # = scripts/build-image.sh
#   scripts/build-image.sh --rebuild-base  # remake the debootstrap base even if it exists
#   scripts/build-image.sh --print-size    # only print the size of the built image
#   scripts/build-image.sh --clean         # delete all image storage of this script
#
# 1. installs buildah and debootstrap when missing (Debian/Ubuntu, as root);
# 2. makes the base localhost/safehold-base:trixie once (scripts/make-base-rootfs.sh: debootstrap
#    from this machine's configured Debian mirror, slimmed like debian:trixie-slim) and imports it;
# 3. buildah bud --isolation chroot --layers --build-arg BASE=localhost/safehold-base:trixie
#    -t localhost/safehold-runner:<package.json version> .
#
# Image storage stays in $SAFEHOLD_BUILDAH_DIR (default .tmp/buildah): root/, runroot/ and the
# storage driver chosen on first use (overlay when the kernel offers it, else vfs; override with
# SAFEHOLD_BUILDAH_DRIVER) in storage-driver. test/image/buildah.ts uses the same three.
# Run an image by hand:
#   B="buildah --root .tmp/buildah/root --runroot .tmp/buildah/runroot --storage-driver $(cat .tmp/buildah/storage-driver)"
#   ctr=$($B from localhost/safehold-runner:0.1.0); $B run --isolation chroot "$ctr" -- safehold --version; $B rm "$ctr"
# Export: $B push localhost/safehold-runner:0.1.0 oci-archive:safehold-runner.tar
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

suite=trixie
base_image=localhost/safehold-base:$suite
rebuild_base=0
mode=build
for arg in "$@"; do
  case "$arg" in
    --rebuild-base) rebuild_base=1 ;;
    --print-size) mode=size ;;
    --clean) mode=clean ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (buildah with --isolation chroot and debootstrap need it)"

version=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' package.json | head -n 1)
[ -n "$version" ] || die "no version in package.json"
image=localhost/safehold-runner:$version
build_cache=localhost/safehold-runner-build:cache

dir=${SAFEHOLD_BUILDAH_DIR:-$repo/.tmp/buildah}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ "$mode" = clean ]; then
  if command -v buildah >/dev/null 2>&1 && [ -f "$dir/storage-driver" ]; then
    B=(buildah --root "$dir/root" --runroot "$dir/runroot" --storage-driver "$(cat "$dir/storage-driver")")
    "${B[@]}" rm --all >/dev/null 2>&1 || true
    "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
    # the overlay driver leaves its mounts; unmount them before deleting
    { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  fi
  rm -rf "$dir"
  log "removed $dir"
  exit 0
fi

started=$(now)
# One build at a time per storage dir (parallel test workers, a developer's terminal).
exec 9>"$dir/build.lock"
if ! flock -n 9; then
  log "waiting for another build in $dir"
  flock 9
fi

# ---- 1. tools ----
missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "need ${missing[*]} (no apt-get here to install them)"
  log "installing ${missing[*]}"
  t=$(now)
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $(since "$t")"
fi

# ---- storage: one root, runroot and driver for every buildah call ----
if [ -s "$dir/storage-driver" ]; then
  driver=$(cat "$dir/storage-driver")
  [ -z "${SAFEHOLD_BUILDAH_DRIVER:-}" ] || [ "$SAFEHOLD_BUILDAH_DRIVER" = "$driver" ] \
    || die "$dir holds $driver storage; run --clean first to switch to $SAFEHOLD_BUILDAH_DRIVER"
else
  driver=${SAFEHOLD_BUILDAH_DRIVER:-}
  if [ -z "$driver" ]; then
    # overlay is faster and smaller than vfs (which copies every layer), but needs the kernel's
    # overlayfs and a work dir that is not itself on overlayfs (as inside most containers).
    if grep -qw overlay /proc/filesystems && [ "$(stat -f -c %T "$dir")" != overlayfs ]; then
      driver=overlay
    else
      driver=vfs
    fi
  fi
  printf '%s\n' "$driver" >"$dir/storage-driver"
fi
B=(buildah --root "$dir/root" --runroot "$dir/runroot" --storage-driver "$driver")
# buildah's temporary files and RUN --mount=type=cache directories live under $TMPDIR
mkdir -p "$dir/tmp"
export TMPDIR=$dir/tmp

image_size() {
  "${B[@]}" images --format '{{.Size}}' "$1" 2>/dev/null | head -n 1
}

if [ "$mode" = size ]; then
  size=$(image_size "$image") || true
  [ -n "$size" ] || die "no image $image (build it first)"
  printf '%s %s\n' "$image" "$size"
  exit 0
fi
log "storage: $dir ($driver)"

# ---- 2. base image (cached) ----
if [ "$rebuild_base" = 1 ] || ! "${B[@]}" inspect --type image "$base_image" >/dev/null 2>&1; then
  t=$(now)
  rootfs=$dir/base-rootfs
  bash "$repo/scripts/make-base-rootfs.sh" "$rootfs" "$suite"
  log "importing the base as $base_image"
  ctr=$("${B[@]}" from --name safehold-base-import-$$ scratch)
  trap '"${B[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
  mnt=$("${B[@]}" mount "$ctr")
  tar -C "$rootfs" --numeric-owner --xattrs -cf - . | tar -C "$mnt" --numeric-owner --xattrs -xpf -
  "${B[@]}" umount "$ctr" >/dev/null
  "${B[@]}" config \
    --os linux --arch "$(dpkg --print-architecture 2>/dev/null || echo amd64)" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["bash"]' \
    --label "org.opencontainers.image.title=debian $suite minbase (debootstrap, slim)" \
    "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$base_image" >/dev/null
  trap - EXIT
  rm -rf "$rootfs" "$rootfs.debootstrap.log"
  log "base $base_image made in $(since "$t") ($(image_size "$base_image"))"
else
  log "base $base_image exists (cached; --rebuild-base to remake it)"
fi

# ---- 3. the runner image ----
build_args=(--build-arg "BASE=$base_image" --build-arg "VERSION=$version")
source_url=$(git -C "$repo" remote get-url origin 2>/dev/null || true)
case "$source_url" in https://*) build_args+=(--build-arg "SOURCE=${source_url%.git}") ;; esac
secrets=()
# Let npm inside the build trust what this machine trusts (e.g. a TLS-intercepting proxy's CA).
ca=${SAFEHOLD_NPM_CA:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$ca" ] && secrets+=(--secret "id=npm-ca,src=$ca")

t=$(now)
log "buildah bud -t $image"
"${B[@]}" bud \
  --jobs 2 \
  --isolation chroot \
  --layers \
  --pull=never \
  "${build_args[@]}" \
  "${secrets[@]}" \
  -f "$repo/Dockerfile" \
  -t "$image" \
  "$repo"
log "image $image built in $(since "$t")"

# Drop what earlier builds left behind (their untagged images), but keep the layer cache: a tag on
# the build stage (all cached by now) keeps its layers from counting as dangling.
"${B[@]}" bud --quiet --isolation chroot --layers --pull=never "${build_args[@]}" "${secrets[@]}" \
  --target build -f "$repo/Dockerfile" -t "$build_cache" "$repo" >/dev/null
"${B[@]}" rmi --prune >/dev/null 2>&1 || true

size=$(image_size "$image")
log "total $(since "$started")"
printf 'image %s size %s\n' "$image" "$size"
