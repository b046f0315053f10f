#!/usr/bin/env bash
# Usage: proxmox/scale-api.sh [--dry-run] [--from CTID] [--ct NEWID] [--backend NAME] [--tries N] [--interval S]
#
# Adds one API instance: clones the API container --from (default api-1 of the
# topology) through a temporary snapshot into NEWID (default: the first free ID of 121-128; its
# IP is 10.0.20.<NEWID-109>), moves it to its own address on the services bridge, starts it, waits
# until /health answers, then adds "server appliance-api-<n> IP:3000 check" to HAProxy's backend
# --backend (default be_api): the config is checked with `haproxy -c` before it replaces the old one,
# and HAProxy is reloaded (systemctl reload: the master process hands the listening sockets to
# the new workers, so established and new connections are not dropped). Idempotent: an existing
# NEWID is not cloned again and a server already in the backend is not added twice.
#
# Exit codes:
#   0   the instance runs and is in HAProxy's backend
#   1   a step failed (the HAProxy config is left unchanged if its check fails)
#   2   the new instance did not become healthy (not added to HAProxy)
#   64  usage error; 69 pct not found; 77 not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
# shellcheck source=lib/topology.sh
source "$HERE/lib/topology.sh"
# shellcheck source=lib/pve.sh
source "$HERE/lib/pve.sh"
trap 'on_err "$?" "$LINENO"' ERR

FROM=$(topology_get api-1 ctid)
NEW='' BACKEND=be_api TRIES=30 INTERVAL=2
HAPROXY_CFG=/etc/haproxy/haproxy.cfg

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }
number() { [[ "${2:-}" =~ ^[0-9]+$ ]] || die "$1 needs a number, got '${2:-}'" 64; }

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --from) number --from "${2:-}"; FROM=$2; shift ;;
    --ct) number --ct "${2:-}"; NEW=$2; shift ;;
    --backend) [[ "${2:-}" =~ ^[A-Za-z0-9_.-]+$ ]] || die "--backend needs a backend name" 64; BACKEND=$2; shift ;;
    --tries) number --tries "${2:-}"; TRIES=$2; shift ;;
    --interval) number --interval "${2:-}"; INTERVAL=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN
is_dry_run || require_root
require_cmd pct

if [[ -z "$NEW" ]]; then
  for ((id = API_SCALE_FIRST_CTID; id <= API_SCALE_LAST_CTID; id++)); do
    ct_exists "$id" || { NEW=$id; break; }
  done
  [[ -n "$NEW" ]] || die "every scale-out ID $API_SCALE_FIRST_CTID-$API_SCALE_LAST_CTID is taken" 1
fi
((NEW >= API_SCALE_FIRST_CTID && NEW <= API_SCALE_LAST_CTID)) ||
  die "--ct must be within $API_SCALE_FIRST_CTID-$API_SCALE_LAST_CTID (the services addresses reserved for scale-out)" 64
IP="10.0.20.$((NEW - 109))"
NAME="appliance-api-$((NEW - 118))"
HAPROXY_CT=$(topology_get haproxy ctid)
ct_exists "$FROM" || die "source CT $FROM does not exist" 1

if ct_exists "$NEW"; then
  log "CT $NEW exists; not cloning"
else
  snap="scale-$NEW"
  log "cloning CT $FROM into CT $NEW ($NAME, $IP)"
  run pct snapshot "$FROM" "$snap" --description "source of $NAME"
  run pct clone "$FROM" "$NEW" --snapname "$snap" --hostname "$NAME" --full 1
  run pct delsnapshot "$FROM" "$snap"
  run pct set "$NEW" --net0 "$(segment_net0 services "$IP")" --tags "appliance;api-scaled"
fi
ct_ensure_running "$NEW"

healthy=1
for ((try = 1; try <= TRIES; try++)); do
  if run pct exec "$NEW" -- curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$API_PORT/health"; then
    healthy=0
    break
  fi
  ((try == TRIES)) || sleep "$INTERVAL"
done
((healthy == 0)) || die "CT $NEW did not answer /health after $TRIES tries; not adding it to HAProxy" 2

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
# Reading the live config changes nothing, so it happens under --dry-run too.
pct pull "$HAPROXY_CT" "$HAPROXY_CFG" "$work/current.cfg" || die "cannot read $HAPROXY_CFG from CT $HAPROXY_CT" 1
haproxy_add_server "$BACKEND" "$NAME" "$IP:$API_PORT" <"$work/current.cfg" >"$work/new.cfg" ||
  die "backend '$BACKEND' not found in $HAPROXY_CFG" 1
if cmp -s "$work/current.cfg" "$work/new.cfg"; then
  log "HAProxy backend $BACKEND already has $NAME ($IP:$API_PORT)"
  exit 0
fi
log "adding $NAME ($IP:$API_PORT) to HAProxy backend $BACKEND and reloading"
run pct push "$HAPROXY_CT" "$work/new.cfg" "$HAPROXY_CFG.new" --perms 0640
run pct exec "$HAPROXY_CT" -- haproxy -c -q -f "$HAPROXY_CFG.new" ||
  die "the new HAProxy config does not pass haproxy -c; $HAPROXY_CFG left unchanged" 1
run pct exec "$HAPROXY_CT" -- mv -f "$HAPROXY_CFG.new" "$HAPROXY_CFG"
run pct exec "$HAPROXY_CT" -- systemctl reload haproxy.service
log "$NAME is in service"
