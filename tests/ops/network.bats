#!/usr/bin/env bats
# Usage: bats tests/ops/network.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# provisioning/network: the nftables matrix passes `nft -c`, the bridges and the ruleset agree
# with proxmox/lib/topology.sh, and the ruleset really forwards/drops: three network namespaces
# (DMZ 10.0.40.10, services 10.0.20.10, database 10.0.30.10) joined only by veth pairs to a
# fourth "router" namespace that loads appliance.nft. Nothing is created in the host's namespace:
# no bridge, no uplink, no NAT, no route out; the 10.0.x addresses exist only inside them.
# shellcheck disable=SC2154 # output and lines are set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  NFT="$REPO_ROOT/provisioning/network/appliance.nft"
  IFACES="$REPO_ROOT/provisioning/network/interfaces.appliance"
  # shellcheck source=../../proxmox/lib/topology.sh
  source "$REPO_ROOT/proxmox/lib/topology.sh"
  NS_PREFIX="apl$$t${BATS_TEST_NUMBER}"
}

teardown() {
  local pid ns
  for pid in ${LISTENER_PIDS:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in r dmz svc db; do
    ip netns del "$NS_PREFIX$ns" 2>/dev/null || true
  done
}

@test "appliance.nft passes nft -c" {
  command -v nft >/dev/null || skip "nft not installed (package nftables)"
  run -0 nft -c -f "$NFT"
}

@test "bridges vmbr10-50 and the ruleset's addresses match the topology" {
  local row seg bridge cidr gw
  for row in "${APPLIANCE_SEGMENTS[@]}"; do
    read -r seg bridge cidr gw <<<"$row"
    grep -qx "iface $bridge inet static" "$IFACES"
    grep -A1 -x "iface $bridge inet static" "$IFACES" | grep -qx "	address $gw/${cidr#*/}"
  done
  [ "$(grep -c '^	bridge-ports none$' "$IFACES")" -eq 5 ]
  grep -qE "^define PG += $(topology_get postgres ip)\$" "$NFT"
  grep -qE "^define REDIS += $(topology_get redis ip)\$" "$NFT"
  grep -qE "^define HAPROXY += $(topology_get haproxy ip)\$" "$NFT"
  grep -qE "^define SERVICES += $(segment_get services cidr)\$" "$NFT"
  grep -qE "^define API_HOSTS += $(topology_get api-1 ip)-10\.0\.20\.19\$" "$NFT"
  grep -q 'policy drop;' "$NFT"
  grep -q 'log prefix "appliance-drop dmz-to-db: "' "$NFT"
}

# ns_run NS CMD...: run CMD inside the test's namespace NS.
ns_run() {
  local ns=$1
  shift
  ip netns exec "$NS_PREFIX$ns" "$@"
}

# connect NS IP PORT: exit 0 if a TCP connection opens within 1 s.
connect() {
  ns_run "$1" "$PYTHON" -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
s.close()' "$2" "$3" 2>/dev/null
}

listen_in() {
  ns_run "$1" "$PYTHON" -c 'import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept()
        c.close()
except OSError:
    pass' "$2" "$3" 3>&- &
  LISTENER_PIDS="${LISTENER_PIDS:-} $!"
}

@test "in namespaces: services → PostgreSQL and HAProxy → API pass; DMZ → PostgreSQL is dropped and counted" {
  command -v nft >/dev/null || skip "nft not installed (package nftables)"
  ip netns add "${NS_PREFIX}probe" 2>/dev/null || skip "cannot create network namespaces here"
  ip netns del "${NS_PREFIX}probe"
  local ns spec seg gw ip
  for ns in r dmz svc db; do ip netns add "$NS_PREFIX$ns"; done
  ns_run r sysctl -qw net.ipv4.ip_forward=1
  ns_run r ip link set lo up
  for spec in dmz:10.0.40.1:10.0.40.10 svc:10.0.20.1:10.0.20.10 db:10.0.30.1:10.0.30.10; do
    IFS=: read -r seg gw ip <<<"$spec"
    ns_run r ip link add "r-$seg" type veth peer name eth0 netns "$NS_PREFIX$seg"
    ns_run r ip addr add "$gw/24" dev "r-$seg"
    ns_run r ip link set "r-$seg" up
    ns_run "$seg" ip link set lo up
    ns_run "$seg" ip addr add "$ip/24" dev eth0
    ns_run "$seg" ip link set eth0 up
    ns_run "$seg" ip route add default via "$gw"
  done
  ns_run r nft -f "$NFT"
  listen_in db 10.0.30.10 5432
  listen_in svc 10.0.20.10 3000
  local i
  for ((i = 0; i < 50; i++)); do
    ns_run db ss -Hltn 'sport = :5432' | grep -q . && ns_run svc ss -Hltn 'sport = :3000' | grep -q . && break
    sleep 0.1
  done

  connect svc 10.0.30.10 5432
  connect dmz 10.0.20.10 3000
  ! connect dmz 10.0.30.10 5432 || false
  # Not in the matrix either: database → services.
  ! connect db 10.0.20.10 3000 || false
  run -0 ns_run r nft list chain inet appliance forward
  [[ "$output" =~ counter\ packets\ [1-9][0-9]*\ bytes\ [0-9]+\ log\ prefix\ \"appliance-drop\ dmz-to-db:\ \" ]]
  [[ "$output" =~ counter\ packets\ [1-9][0-9]*\ bytes\ [0-9]+\ log\ prefix\ \"appliance-drop\ inter-segment:\ \" ]]
}
