# Usage: source tests/lxc/lib.sh   (sourced by the tests/lxc scripts after lib/common.sh, never executed)
# shellcheck shell=bash
#
# Names and paths of the real test appliance on plain LXC (docs/decisions/0007-lxc-test-appliance.md).
# Everything the run creates on the host carries the prefix psa-t- (bridges, network namespaces) or
# lives under LXC_WORK, so it can neither collide with nor touch anything else on the machine.
#
#   LXC_CACHE            the cached Debian 12 rootfs (APPLIANCE_LXC_CACHE, /var/cache/appliance-lxc)
#   LXC_WORK             this run's containers, release and secrets (APPLIANCE_LXC_WORK, /var/tmp/appliance-lxc)
#   LXC_BRIDGE_PREFIX    prefix of the host bridge for a topology bridge: vmbr20 → psa-t-vmbr20
#   LXC_ROUTER_NS        the network namespace routing between the segments (nftables matrix inside)
#   LXC_CLIENT_NS        the "internet" client namespace (outside every segment), HAProxy's only caller
#   LXC_OUTSIDE_*        the client's link: bridge, router and client addresses (TEST-NET-2, never routed)
#   lxc_bridge BRIDGE    print the host bridge for a topology bridge name
#
# Return codes: 0 ok.

if [[ -n "${_APPLIANCE_LXC_LIB_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_LXC_LIB_SH=1

# shellcheck disable=SC2034 # read by the scripts that source this file
{
  LXC_CACHE=${APPLIANCE_LXC_CACHE:-/var/cache/appliance-lxc}
  LXC_WORK=${APPLIANCE_LXC_WORK:-/var/tmp/appliance-lxc}
  LXC_BRIDGE_PREFIX=psa-t-
  LXC_ROUTER_NS=psa-t-router
  LXC_CLIENT_NS=psa-t-client
  LXC_OUTSIDE_BRIDGE=psa-t-outside
  LXC_OUTSIDE_CIDR=198.51.100.0/24
  LXC_OUTSIDE_ROUTER=198.51.100.1
  LXC_OUTSIDE_CLIENT=198.51.100.10
}

lxc_bridge() {
  printf '%s%s\n' "$LXC_BRIDGE_PREFIX" "${1:?lxc_bridge BRIDGE}"
}
