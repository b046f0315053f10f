#!/usr/bin/env bash
# Usage: proxmox/build-template.sh [--dry-run] [--storage STORAGE] [--force]
#
# Builds the appliance's Debian 12 base template on a Proxmox host: downloads the
# Debian 12 standard image with pveam if missing, creates the unprivileged temporary container
# TEMPLATE_CTID with nesting=1, installs the base packages, dumps it with vzdump into the
# template cache as TEMPLATE_NAME and destroys the temporary container. Skips everything if the
# template already exists (--force rebuilds it). The template carries every role's packages
# (PostgreSQL 15, Redis, HAProxy; services disabled) because the database segment has no internet. --dry-run prints the pct/pveam/vzdump commands.
#
# Exit codes:
#   0   template present (built now or already there)
#   1   a step failed
#   64  usage error
#   69  pct/pveam/vzdump not found
#   77  not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
# shellcheck source=lib/topology.sh
source "$HERE/lib/topology.sh"
# shellcheck source=lib/pve.sh
source "$HERE/lib/pve.sh"
trap 'on_err "$?" "$LINENO"' ERR

STORAGE=local-lvm
FORCE=0
CACHE_DIR=${PVE_TEMPLATE_CACHE:-/var/lib/vz/template/cache}
BASE_IMAGE=debian-12-standard_12.7-1_amd64.tar.zst
BASE_PACKAGES=(ca-certificates curl openssl gnupg lsb-release iproute2 procps less)
# Every role's packages are baked in: the database segment has no internet access, so its
# containers could not apt-get them later. Their services are disabled; each role enables its own.
ROLE_PACKAGES=(postgresql-15 postgresql-client-15 redis-server haproxy)
ROLE_SERVICES=(postgresql.service redis-server.service haproxy.service)

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --storage) [[ -n "${2:-}" ]] || die "--storage needs a value" 64; STORAGE=$2; shift ;;
    --force) FORCE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN
is_dry_run || require_root
require_cmd pct pveam vzdump

target="$CACHE_DIR/$TEMPLATE_NAME"
if [[ -e "$target" && $FORCE == 0 ]]; then
  log "template $target already exists; nothing to do (--force rebuilds)"
  exit 0
fi

if pveam list local 2>/dev/null | grep -q -- "/$BASE_IMAGE\$"; then
  log "base image $BASE_IMAGE already downloaded"
else
  log "downloading base image $BASE_IMAGE"
  run pveam update
  run pveam download local "$BASE_IMAGE"
fi

if ct_exists "$TEMPLATE_CTID"; then
  log "temporary CT $TEMPLATE_CTID exists from an earlier run; reusing it"
else
  log "creating temporary CT $TEMPLATE_CTID (unprivileged, nesting=1)"
  run pct create "$TEMPLATE_CTID" "local:vztmpl/$BASE_IMAGE" --hostname appliance-template \
    --cores 2 --memory 2048 --swap 0 --rootfs "$STORAGE:8" --unprivileged 1 --features nesting=1 \
    --net0 "$(segment_net0 management 10.0.10.250)" --ostype debian
fi
ct_ensure_running "$TEMPLATE_CTID"
log "installing packages: ${BASE_PACKAGES[*]} ${ROLE_PACKAGES[*]}"
run pct exec "$TEMPLATE_CTID" -- env DEBIAN_FRONTEND=noninteractive apt-get update -qq
run pct exec "$TEMPLATE_CTID" -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${BASE_PACKAGES[@]}" "${ROLE_PACKAGES[@]}"
run pct exec "$TEMPLATE_CTID" -- systemctl disable --now "${ROLE_SERVICES[@]}"
run pct exec "$TEMPLATE_CTID" -- apt-get clean
run pct exec "$TEMPLATE_CTID" -- rm -rf /var/lib/apt/lists
# Each clone must get its own SSH host keys and machine-id.
run pct exec "$TEMPLATE_CTID" -- truncate -s 0 /etc/machine-id
log "stopping CT $TEMPLATE_CTID and dumping it to $target"
run pct stop "$TEMPLATE_CTID"
run vzdump "$TEMPLATE_CTID" --compress zstd --mode stop --dumpdir "$CACHE_DIR"
if is_dry_run; then
  run mv -f "$CACHE_DIR/vzdump-lxc-$TEMPLATE_CTID-*.tar.zst" "$target"
else
  dump=$(find "$CACHE_DIR" -maxdepth 1 -name "vzdump-lxc-$TEMPLATE_CTID-*.tar.zst" -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
  [[ -n "$dump" ]] || die "vzdump wrote no archive into $CACHE_DIR"
  run mv -f "$dump" "$target"
fi
run pct destroy "$TEMPLATE_CTID"
log "template ready: $target"
