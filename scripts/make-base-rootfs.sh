#!/usr/bin/env bash
# Make a slim Debian root filesystem (the equivalent of debian:<suite>-slim) with debootstrap,
# from the Debian mirror this machine's own apt sources use — no registry needed.
#
#   scripts/make-base-rootfs.sh ROOTFS_DIR [SUITE]      (SUITE defaults to trixie)
#
# The mirror is read at run time from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list
# (override: SAFEHOLD_DEBIAN_MIRROR, SAFEHOLD_DEBIAN_SECURITY_MIRROR). No host name is written
# into the repository. Needs root. scripts/build-image.sh imports the result with buildah.
set -euo pipefail

rootfs=${1:?usage: make-base-rootfs.sh ROOTFS_DIR [SUITE]}
suite=${2:-trixie}

log() { printf '[base-rootfs] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap creates device nodes and chowns files)"

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# Print "URI<TAB>SUITE" for every http(s) 'deb' source this machine has configured.
apt_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: stanzas separated by blank lines; fields may be folded onto continuation lines.
    awk '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/) {
          n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (u[i] != "" && s[j] != "") print u[i] "\t" s[j]
        }
        types = ""; uris = ""; suites = ""; enabled = ""; field = ""
      }
      /^#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (field == "uris") uris = uris " " $0; else if (field == "suites") suites = suites " " $0; next }
      {
        key = tolower($0); sub(/:.*/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        field = key
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i "\t" $(i + 1) }' "$f"
  done
}

sources=$(apt_sources | awk -F'\t' '$1 ~ /^https?:\/\//')
mirror=${SAFEHOLD_DEBIAN_MIRROR:-$(printf '%s\n' "$sources" | awk -F'\t' '$2 !~ /-security$/ && $1 !~ /security/ { print $1; exit }')}
security=${SAFEHOLD_DEBIAN_SECURITY_MIRROR:-$(printf '%s\n' "$sources" | awk -F'\t' '$2 ~ /-security$/ { print $1; exit }')}
mirror=${mirror%/}
security=${security%/}
[ -n "$mirror" ] || die "no http(s) Debian mirror found in /etc/apt/sources.list{,.d/*}; set SAFEHOLD_DEBIAN_MIRROR"
log "mirror: $mirror${security:+ (security: $security)}"

rm -rf "$rootfs"
mkdir -p "$(dirname "$rootfs")"
log "debootstrap --variant=minbase $suite"
started=$(date +%s)
if ! debootstrap --variant=minbase --components=main "$suite" "$rootfs" "$mirror" >"$rootfs.debootstrap.log" 2>&1; then
  tail -n 30 "$rootfs.debootstrap.log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
  die "debootstrap failed (full log: $rootfs.debootstrap.log)"
fi
log "debootstrap done in $(($(date +%s) - started)) s"

# --- apt sources: the release, its updates and its security fixes ---
rm -f "$rootfs/etc/apt/sources.list"
mkdir -p "$rootfs/etc/apt/sources.list.d"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" "$suite"
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$security" "$suite"
  else
    log "warning: no security mirror found in the apt sources; the image's apt sources lack $suite-security"
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"

# --- the settings the official Debian images carry (debuerreotype-minimizing-config + slimify) ---
cat >"$rootfs/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Never start services from maintainer scripts inside an image build.
exit 101
EOF
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
# Keep no downloaded packages and no binary caches in image layers.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
printf 'force-unsafe-io\n' >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# Slim image: no documentation, manual pages or translations (copyright files stay).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF

# Apply the same exclusions to what debootstrap already installed (keep directories:
# some maintainer scripts expect e.g. /usr/share/man/man1 to exist).
find "$rootfs/usr/share/doc" -xdev -not -type d -not -name copyright -delete
find "$rootfs/usr/share/doc" -xdev -mindepth 1 -type d -empty -delete
for d in groff info linda lintian/overrides locale man; do
  [ -d "$rootfs/usr/share/$d" ] && find "$rootfs/usr/share/$d" -xdev -not -type d -delete
done

# --- strip what must not be baked into an image ---
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/archives/partial/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/ldconfig/aux-cache \
  "$rootfs"/var/log/apt/* "$rootfs"/var/log/dpkg.log "$rootfs"/var/log/bootstrap.log "$rootfs"/var/log/alternatives.log \
  "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.bash_history "$rootfs"/debootstrap
mkdir -p "$rootfs/var/lib/apt/lists/partial"
rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"  # the runtime (kubelet, buildah) mounts its own
printf 'localhost\n' >"$rootfs/etc/hostname"
[ -e "$rootfs/etc/machine-id" ] && : >"$rootfs/etc/machine-id"
# Device nodes come from the runtime, not the image.
find "$rootfs/dev" -mindepth 1 -delete
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"

log "rootfs ready: $rootfs ($(du -sh --apparent-size "$rootfs" | cut -f1))"
