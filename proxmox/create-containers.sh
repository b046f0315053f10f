#!/usr/bin/env bash
# Usage: proxmox/create-containers.sh [--dry-run] [--only ROLE]... [--no-provision] [--storage STORAGE]
#                                     [--secrets-dir DIR]
#
# Creates one unprivileged container per role of proxmox/lib/topology.sh (haproxy, api-1, api-2,
# worker, postgres, postgres-replica, redis) from the template of build-template.sh, with the
# table's ID, hostname, bridge/IP of its segment, cores/cpulimit, memory, no swap, disk and a
# 100 Mbit/s NIC limit; starts it and runs the role's provisioning script inside
# (provisioning/<role>.sh, pushed with pct push together with lib/, systemd/ and haproxy/).
# Existing containers are left as they are; a container already provisioned (stamp
# /var/lib/appliance/.provisioned) is not provisioned again. The appliance-wide secrets (database,
# replication and Redis passwords, field-encryption key, JWT signing key) are generated once on
# the host in --secrets-dir (default /root/.appliance-secrets, 0700) and handed to the containers
# that need the same value; they are removed from the container after provisioning.
#
# Exit codes:
#   0   every selected container exists, runs and is provisioned
#   1   a step failed
#   64  usage error (unknown argument or role)
#   69  pct not found
#   77  not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/.." && pwd -P)
# shellcheck source=../lib/common.sh
source "$REPO/lib/common.sh"
# shellcheck source=lib/topology.sh
source "$HERE/lib/topology.sh"
# shellcheck source=lib/pve.sh
source "$HERE/lib/pve.sh"
# shellcheck source=../provisioning/lib/secrets.sh
source "$REPO/provisioning/lib/secrets.sh"
trap 'on_err "$?" "$LINENO"' ERR

STORAGE=local-lvm
PROVISION=1
SECRETS_DIR=${APPLIANCE_HOST_SECRETS:-/root/.appliance-secrets}
CACHE_DIR=${PVE_TEMPLATE_CACHE:-/var/lib/vz/template/cache}
STAMP=/var/lib/appliance/.provisioned
REMOTE_SRC=/root/appliance-src
ONLY=()

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --only)
      [[ -n "${2:-}" ]] || die "--only needs a role" 64
      topology_get "$2" ctid >/dev/null 2>&1 || die "unknown role '$2' (roles: $(topology_roles | tr '\n' ' '))" 64
      ONLY+=("$2")
      shift
      ;;
    --no-provision) PROVISION=0 ;;
    --storage) [[ -n "${2:-}" ]] || die "--storage needs a value" 64; STORAGE=$2; shift ;;
    --secrets-dir) [[ -n "${2:-}" ]] || die "--secrets-dir needs a value" 64; SECRETS_DIR=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN
is_dry_run || require_root
require_cmd pct

ROLES=()
if ((${#ONLY[@]})); then
  ROLES=("${ONLY[@]}")
else
  mapfile -t ROLES < <(topology_roles)
fi

BUNDLE=''
cleanup() {
  if [[ -n "$BUNDLE" ]] && ! is_dry_run; then rm -f -- "$BUNDLE"; fi
}
trap cleanup EXIT

# One tarball with what the provisioning scripts need, in the repository's layout.
make_bundle() {
  [[ -n "$BUNDLE" ]] && return 0
  ensure_shared_secrets "$SECRETS_DIR"
  if is_dry_run; then
    BUNDLE=/tmp/appliance-src.tar
  else
    BUNDLE=$(mktemp /tmp/appliance-src.XXXXXX.tar)
  fi
  # The secrets directory lands as secrets/ beside the sources.
  run tar -cf "$BUNDLE" -C "$REPO" lib proxmox/lib provisioning systemd haproxy \
    --transform "s|^$(basename "$SECRETS_DIR")|secrets|" -C "$(dirname "$SECRETS_DIR")" "$(basename "$SECRETS_DIR")"
  is_dry_run || chmod 600 "$BUNDLE"
}

provision() {
  local role=$1 ctid=$2 script
  local -a args=(--secrets "$REMOTE_SRC/secrets")
  script=$(topology_get "$role" script)
  [[ "$role" == postgres-replica ]] && args+=(--replica)
  if pct exec "$ctid" -- test -e "$STAMP" >/dev/null 2>&1; then
    log "CT $ctid ($role) already provisioned; skipping"
    return 0
  fi
  make_bundle
  log "provisioning CT $ctid ($role) with provisioning/$script"
  run pct push "$ctid" "$BUNDLE" /root/appliance-src.tar --perms 0600
  run pct exec "$ctid" -- mkdir -p "$REMOTE_SRC"
  run pct exec "$ctid" -- tar -xf /root/appliance-src.tar -C "$REMOTE_SRC"
  local rc=0
  run pct exec "$ctid" -- "$REMOTE_SRC/provisioning/$script" "${args[@]}" || rc=$?
  # The shared secrets leave the container whatever happened; the role keeps its own copies.
  run pct exec "$ctid" -- rm -rf "$REMOTE_SRC/secrets" /root/appliance-src.tar
  ((rc == 0)) || die "provisioning of CT $ctid ($role) failed (exit $rc)"
  # Only the api and worker roles create /var/lib/appliance themselves.
  run pct exec "$ctid" -- mkdir -p "${STAMP%/*}"
  run pct exec "$ctid" -- touch "$STAMP"
}

for role in "${ROLES[@]}"; do
  ct_exists "$(topology_get "$role" ctid)" && continue
  is_dry_run || [[ -e "$CACHE_DIR/$TEMPLATE_NAME" ]] || die "template $CACHE_DIR/$TEMPLATE_NAME missing: run proxmox/build-template.sh first"
done

for role in "${ROLES[@]}"; do
  ctid=$(topology_get "$role" ctid)
  if ct_exists "$ctid"; then
    log "CT $ctid ($role) exists; not creating it"
  else
    cores=$(topology_get "$role" cores)
    seg=$(topology_get "$role" segment)
    log "creating CT $ctid ($role) on $(segment_get "$seg" bridge) as $(topology_get "$role" ip)"
    run pct create "$ctid" "local:vztmpl/$TEMPLATE_NAME" \
      --hostname "$(topology_get "$role" hostname)" \
      --cores "$cores" --cpulimit "$cores" \
      --memory "$(topology_get "$role" memory)" --swap 0 \
      --rootfs "$STORAGE:$(topology_get "$role" disk)" \
      --net0 "$(role_net0 "$role")" \
      --nameserver "$(segment_get "$seg" gateway)" --searchdomain "$SEARCHDOMAIN" \
      --unprivileged 1 --features nesting=1 --onboot 1 --tags "appliance;$role"
  fi
  ct_ensure_running "$ctid"
  if ((PROVISION)); then
    provision "$role" "$ctid"
  fi
done
log "done: ${ROLES[*]}"
