#!/usr/bin/env bash
# Usage: tests/lxc/rootfs.sh [--dry-run] [--force] [--print-path]
#
# Builds the cached Debian 12 root filesystem of the LXC test appliance, the stand-in for
# proxmox/build-template.sh's template: debootstrap --variant=minbase from the Debian mirror with
# every role's packages included (PostgreSQL 15, Redis, HAProxy, systemd, curl, ...), because the
# containers have no route out and cannot apt-get. Like the template, the roles' services are
# disabled (each provisioning script enables its own), apt's lists and caches are removed and
# /etc/machine-id is emptied. The result is LXC_CACHE/debian12-<hash>.tar.zst, where <hash> covers
# the package list and the build steps' format number: a cached file is reused as it is, a changed list builds a new
# one. The mirror (APPLIANCE_LXC_MIRROR, default http://deb.debian.org/debian) is the only network
# traffic, and only while building. --print-path prints the file's path and exits (nothing built);
# on success the path is the last line on stdout.
#
# Exit codes:
#   0   the rootfs is in the cache (built now or reused)
#   1   debootstrap or packing failed (nothing is left in the cache)
#   64  usage error
#   69  debootstrap, zstd or tar missing
#   77  not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/../.." && pwd -P)
SCRIPT_NAME=lxc-rootfs
# shellcheck source=../../lib/common.sh
source "$REPO/lib/common.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'on_err "$?" "$LINENO"' ERR

MIRROR=${APPLIANCE_LXC_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# Every role's packages (provisioning/*.sh `packages` finds them installed and skips apt-get) and
# what the scripts call inside a container: systemd as init, curl for the deploy's health checks,
# runuser/useradd (util-linux/passwd, in minbase), iproute2 for debugging. The .NET binaries (the API Native
# AOT, the worker self-contained single-file) use invariant globalization: they need only libc, libstdc++ and libssl.
PACKAGES=(systemd systemd-sysv dbus iproute2 iputils-ping procps ca-certificates curl openssl libssl3
  libstdc++6 tzdata postgresql-15 postgresql-client-15 redis-server haproxy)
ROLE_SERVICES=(postgresql.service redis-server.service haproxy.service)
# Raise when the steps after debootstrap change: the cache key is the suite, the lists and this.
ROOTFS_FORMAT=1
FORCE=0
PRINT_PATH=0

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --force) FORCE=1 ;;
    --print-path) PRINT_PATH=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN

hash=$(printf '%s\n' "$SUITE" "$ROOTFS_FORMAT" "${PACKAGES[@]}" "${ROLE_SERVICES[@]}" | sha256sum | cut -c1-12)
target="$LXC_CACHE/debian12-$hash.tar.zst"
if ((PRINT_PATH)); then
  printf '%s\n' "$target"
  exit 0
fi
if [[ -s "$target" && $FORCE == 0 ]]; then
  log "cached rootfs $target exists; reusing it (--force rebuilds)"
  printf '%s\n' "$target"
  exit 0
fi
is_dry_run || require_root
require_cmd debootstrap zstd tar

build=''
cleanup() {
  if [[ -n "$build" ]] && ! is_dry_run; then
    rm -rf -- "$build" "$build.log"
  fi
}
trap cleanup EXIT

run install -d -m 0755 "$LXC_CACHE"
if is_dry_run; then
  build="$LXC_CACHE/build.XXXXXX"
else
  build=$(mktemp -d "$LXC_CACHE/build.XXXXXX")
fi
started=$SECONDS
log "debootstrap $SUITE (minbase + ${#PACKAGES[@]} packages) from $MIRROR into $build/rootfs"
include=$(IFS=,; printf '%s' "${PACKAGES[*]}")
# C.UTF-8 is built into Debian's libc: pg_createcluster (postgresql-15's postinst) takes its locale.
run_to "$build.log" env LC_ALL=C.UTF-8 LANG=C.UTF-8 debootstrap --variant=minbase --include="$include" \
  "$SUITE" "$build/rootfs" "$MIRROR" || {
  tail -n 20 -- "${build}.log" >&2 || true
  die "debootstrap failed (the last lines are above)"
}
log "disabling ${ROLE_SERVICES[*]} (each role enables its own) and cleaning up"
run chroot "$build/rootfs" systemctl disable --quiet "${ROLE_SERVICES[@]}"
run chroot "$build/rootfs" apt-get clean
run find "$build/rootfs/var/lib/apt/lists" -type f -delete
# Each container gets its own machine id on first boot.
run truncate -s 0 "$build/rootfs/etc/machine-id"
run rm -f "$build/rootfs/var/lib/dbus/machine-id"
log "packing $target"
run tar --numeric-owner --xattrs -C "$build/rootfs" -cf "$build/rootfs.tar.zst" -I 'zstd -T0 -3' .
run mv -f "$build/rootfs.tar.zst" "$target"
log "rootfs ready: $target ($((SECONDS - started)) s)"
printf '%s\n' "$target"
