#!/usr/bin/env bash
# Usage: tests/lxc/network.sh [--dry-run] up|down|status
#
# The isolated network of the LXC test appliance, built from proxmox/lib/topology.sh:
#   - one Linux bridge per segment, named psa-t-<topology bridge> (psa-t-vmbr10 ... psa-t-vmbr50),
#     with no port but the containers' veths: no uplink, no address of the host, no NAT
#   - the network namespace psa-t-router: one veth per bridge holding the segment's gateway (.1),
#     IPv4 forwarding on in that namespace only, and the appliance's firewall matrix
#     provisioning/network/appliance.nft loaded there unchanged, so every packet between segments
#     crosses its forward chain exactly as on the Proxmox host
#   - the namespace psa-t-client, the "internet": 198.51.100.10 (TEST-NET-2), joined to the router
#     by a veth pair (198.51.100.1), default route to the router; it calls HAProxy like a browser
# Nothing has a route out: the router's only routes are the segments and the client's link. Bridged
# frames skip the host's iptables (nf_call_* off per bridge). For the drop-log check, `up` turns on
# net.netfilter.nf_log_all_netns (the kernel logs from namespaces only then) and `down` restores the
# value it found (kept in LXC_WORK/nf_log_all_netns.orig). `down` removes everything `up` made and
# is safe to run twice; `status` lists what exists.
#
# Exit codes:
#   0   done
#   1   a step failed (up: run down to clean up)
#   64  usage error
#   69  ip or nft missing
#   77  not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/../.." && pwd -P)
SCRIPT_NAME=lxc-network
# shellcheck source=../../lib/common.sh
source "$REPO/lib/common.sh"
# shellcheck source=../../proxmox/lib/topology.sh
source "$REPO/proxmox/lib/topology.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'on_err "$?" "$LINENO"' ERR

RULESET="$REPO/provisioning/network/appliance.nft"
NFLOG_SAVED="$LXC_WORK/nf_log_all_netns.orig"
NFLOG_SYSCTL=/proc/sys/net/netfilter/nf_log_all_netns

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

ACTION=''
while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    up | down | status) [[ -z "$ACTION" ]] || die "only one action expected" 64; ACTION=$1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
[[ -n "$ACTION" ]] || die "action missing: up, down or status (see --help)" 64
export DRY_RUN
is_dry_run || require_root
require_cmd ip nft

segments() {
  local row
  for row in "${APPLIANCE_SEGMENTS[@]}"; do
    printf '%s\n' "${row%% *}"
  done
}

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
ns_exists() { ip netns list 2>/dev/null | grep -qE "^$1( |$)"; }
in_router() { run ip netns exec "$LXC_ROUTER_NS" "$@"; }

net_up() {
  local seg bridge host_end gw prefix
  if ! is_dry_run && ns_exists "$LXC_ROUTER_NS"; then
    die "namespace $LXC_ROUTER_NS exists already (a run in progress, or left over: tests/lxc/network.sh down)" 1
  fi
  run ip netns add "$LXC_ROUTER_NS"
  in_router ip link set lo up
  while read -r seg; do
    bridge=$(lxc_bridge "$(segment_get "$seg" bridge)")
    gw=$(segment_get "$seg" gateway)
    prefix=$(segment_get "$seg" prefix)
    host_end="psa-t-r${seg:0:8}"
    log "segment $seg: bridge $bridge, gateway $gw/$prefix in $LXC_ROUTER_NS"
    if is_dry_run || ! link_exists "$bridge"; then
      run ip link add "$bridge" type bridge stp_state 0 forward_delay 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
    fi
    # The host takes no part: no IPv6 link-local address either.
    run sysctl -q -w "net.ipv6.conf.$bridge.disable_ipv6=1"
    run ip link set "$bridge" up
    run ip link add "$host_end" type veth peer name "$seg" netns "$LXC_ROUTER_NS"
    run ip link set "$host_end" master "$bridge" up
    in_router ip addr add "$gw/$prefix" dev "$seg"
    in_router ip link set "$seg" up
  done < <(segments)

  log "client namespace $LXC_CLIENT_NS: $LXC_OUTSIDE_CLIENT via $LXC_OUTSIDE_ROUTER"
  run ip netns add "$LXC_CLIENT_NS"
  run ip netns exec "$LXC_CLIENT_NS" ip link set lo up
  in_router ip link add outside type veth peer name eth0 netns "$LXC_CLIENT_NS"
  in_router ip addr add "$LXC_OUTSIDE_ROUTER/${LXC_OUTSIDE_CIDR#*/}" dev outside
  in_router ip link set outside up
  run ip netns exec "$LXC_CLIENT_NS" ip addr add "$LXC_OUTSIDE_CLIENT/${LXC_OUTSIDE_CIDR#*/}" dev eth0
  run ip netns exec "$LXC_CLIENT_NS" ip link set eth0 up
  run ip netns exec "$LXC_CLIENT_NS" ip route add default via "$LXC_OUTSIDE_ROUTER"

  log "router: forwarding on, firewall matrix $RULESET"
  in_router sysctl -q -w net.ipv4.ip_forward=1
  in_router nft -f "$RULESET"
  if [[ -w "$NFLOG_SYSCTL" && ! -e "$NFLOG_SAVED" ]]; then
    is_dry_run || cat -- "$NFLOG_SYSCTL" >"$NFLOG_SAVED"
    run sysctl -q -w net.netfilter.nf_log_all_netns=1
  fi
}

net_down() {
  local seg bridge ns failed=0
  # Every step is tried even when one fails, so the sysctl is restored whatever happened.
  # Deleting a namespace deletes its veth ends, and with them their peers on the bridges.
  for ns in "$LXC_CLIENT_NS" "$LXC_ROUTER_NS"; do
    if ns_exists "$ns"; then
      log "deleting namespace $ns"
      run ip netns delete "$ns" || failed=1
    fi
  done
  while read -r seg; do
    bridge=$(lxc_bridge "$(segment_get "$seg" bridge)")
    # Normally gone with the namespace already (the kernel removes the peer a moment later).
    if link_exists "psa-t-r${seg:0:8}"; then run ip link delete "psa-t-r${seg:0:8}" 2>/dev/null || true; fi
    if link_exists "$bridge"; then
      log "deleting bridge $bridge"
      run ip link delete "$bridge" || failed=1
    fi
  done < <(segments)
  if [[ -s "$NFLOG_SAVED" ]]; then
    log "restoring net.netfilter.nf_log_all_netns=$(cat -- "$NFLOG_SAVED")"
    run sysctl -q -w "net.netfilter.nf_log_all_netns=$(cat -- "$NFLOG_SAVED")" || failed=1
    run rm -f -- "$NFLOG_SAVED"
  fi
  return "$failed"
}

net_status() {
  local seg bridge
  ns_exists "$LXC_ROUTER_NS" && echo "namespace $LXC_ROUTER_NS"
  ns_exists "$LXC_CLIENT_NS" && echo "namespace $LXC_CLIENT_NS"
  while read -r seg; do
    bridge=$(lxc_bridge "$(segment_get "$seg" bridge)")
    link_exists "$bridge" && echo "bridge $bridge ($seg)"
  done < <(segments)
  return 0
}

if [[ "$ACTION" == up ]]; then
  is_dry_run || install -d -m 0711 "$LXC_WORK"
fi
case "$ACTION" in
  up) net_up ;;
  down) net_down ;;
  status) net_status ;;
esac
