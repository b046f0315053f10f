#!/usr/bin/env bats
# Usage: bats tests/ops/pct_lxc.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# The LXC backend of pct (tests/lxc/pct-lxc) and the helpers of the LXC test appliance, without
# starting anything: argument checking, the LXC configuration made from pct's options, the exact
# host commands of PCT_LXC_DRY_RUN=1, the listings proxmox/lib/pve.sh parses, the network's and the
# runner's dry runs. The real run is tests/lxc/run-appliance.sh (suite "LXC appliance").
# shellcheck disable=SC2154 # output, stderr and lines are set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  L="$REPO_ROOT/tests/lxc"
  export PCT_LXC_PATH="$BATS_TEST_TMPDIR/lxc"
  export PVE_TEMPLATE_CACHE="$BATS_TEST_TMPDIR/cache"
  export PCT_LXC_DRY_RUN=1 PCT_LXC_CGROUP=v2 PCT_LXC_STORAGE=dir
  export APPLIANCE_LXC_CACHE="$BATS_TEST_TMPDIR/lxc-cache" APPLIANCE_LXC_WORK="$BATS_TEST_TMPDIR/lxc-work"
  mkdir -p "$PCT_LXC_PATH" "$PVE_TEMPLATE_CACHE"
}

# The arguments create-containers.sh passes for ROLE (proxmox/lib/topology.sh).
create_args() {
  bash -c 'set -Eeuo pipefail
source "$REPO_ROOT/proxmox/lib/topology.sh"
role=$1
cores=$(topology_get "$role" cores)
printf "%s\n" "$(topology_get "$role" ctid)" "local:vztmpl/$TEMPLATE_NAME" \
  --hostname "$(topology_get "$role" hostname)" --cores "$cores" --cpulimit "$cores" \
  --memory "$(topology_get "$role" memory)" --swap 0 --rootfs "local-lvm:$(topology_get "$role" disk)" \
  --net0 "$(role_net0 "$role")" --nameserver "$(segment_get "$(topology_get "$role" segment)" gateway)" \
  --searchdomain "$SEARCHDOMAIN" --unprivileged 1 --features nesting=1 --onboot 1 --tags "appliance;$role"' create_args "$1"
}

# A container as create leaves it (pct.conf is what every other subcommand reads).
fixture_ct() {
  local ct=$1 host=$2
  mkdir -p "$PCT_LXC_PATH/$ct/rootfs" "$PCT_LXC_PATH/$ct/snapshots"
  printf 'hostname: %s\nmemory: 512\nnet0: name=eth0,bridge=vmbr20,ip=10.0.20.10/24,gw=10.0.20.1\nunprivileged: 1\n' "$host" >"$PCT_LXC_PATH/$ct/pct.conf"
}

@test "pct-lxc: no or an unknown subcommand is a bad call (2)" {
  run -2 --separate-stderr "$L/pct-lxc"
  [[ "$stderr" == *"no subcommand"* ]]
  run -2 --separate-stderr "$L/pct-lxc" migrate 100 node2
  [[ "$stderr" == *"unsupported subcommand 'migrate'"* ]]
  run -0 "$L/pct-lxc" --help
  [[ "$output" == *"A REAL backend"* ]]
}

@test "pct-lxc create (dry run) with create-containers.sh's arguments: unpack, register, LXC config" {
  mapfile -t args < <(create_args api-2)
  run -0 "$L/pct-lxc" create "${args[@]}"
  [[ "$output" == *"[dry-run] install -d -m 0755 $PCT_LXC_PATH $PCT_LXC_PATH/120"* ]]
  [[ "$output" == *"[dry-run] install -d -m 0755 $PCT_LXC_PATH/120/rootfs"* ]]
  [[ "$output" == *"[dry-run] tar --numeric-owner --xattrs -xpf $PVE_TEMPLATE_CACHE/appliance-debian12-template.tar.zst -C $PCT_LXC_PATH/120/rootfs -I zstd"* ]]
  [[ "$output" == *"[dry-run] lxc-create -P $PCT_LXC_PATH -n 120 -t none -f $PCT_LXC_PATH/120/config.create"* ]]
  [[ "$output" == *"[dry-run] chown 0:0 $PCT_LXC_PATH/120/rootfs"* ]]
  # The LXC configuration: segment bridge with the psa-t- prefix, static address and gateway before init.
  grep -qx '\[dry-run\] config: lxc.net.0.link = psa-t-vmbr20' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.net.0.ipv4.address = 10.0.20.11/24' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.net.0.ipv4.gateway = 10.0.20.1' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.net.0.name = eth0' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.uts.name = appliance-api-2' <<<"$output"
  # Unprivileged like on Proxmox: root is 100000, the rootfs an idmapped mount; nesting for systemd.
  grep -qx '\[dry-run\] config: lxc.idmap = u 0 100000 65536' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.idmap = g 0 100000 65536' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.rootfs.options = idmap=container' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.include = /usr/share/lxc/config/nesting.conf' <<<"$output"
  # Limits: memory (no swap), CPU quota; what is not enforced is said so.
  grep -qx '\[dry-run\] config: lxc.cgroup2.memory.max = 4294967296' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.cgroup2.memory.swap.max = 0' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.cgroup2.cpu.max = 200000 100000' <<<"$output"
  grep -qx '\[dry-run\] config: # recorded, not enforced by this backend: cores=2 rootfs=local-lvm:30 rate=100 tags=appliance;api-2' <<<"$output"
  # pct.conf keeps pct's options as given.
  grep -qx '\[dry-run\] pct.conf: net0: name=eth0,bridge=vmbr20,ip=10.0.20.11/24,gw=10.0.20.1,rate=100' <<<"$output"
  # Guest files pct writes: hostname, hosts, resolv.conf (nameserver = the segment's router).
  [[ "$output" == *"[dry-run] write $PCT_LXC_PATH/120/rootfs/etc/hostname (mode 0644)"* ]]
  [[ "$output" == *"[dry-run] write $PCT_LXC_PATH/120/rootfs/etc/resolv.conf (mode 0644)"* ]]
  # A dry run leaves nothing behind.
  [ ! -e "$PCT_LXC_PATH/120" ]
}

@test "pct-lxc create: cgroup v1 hosts get the v1 keys; a privileged container no idmap" {
  PCT_LXC_CGROUP=v1 run -0 "$L/pct-lxc" create 150 /tmp/rootfs.tar.zst --memory 256 --cpulimit 0.5 \
    --net0 name=eth0,bridge=vmbr10,ip=10.0.10.50/24 --unprivileged 0
  grep -qx '\[dry-run\] config: lxc.cgroup.memory.limit_in_bytes = 268435456' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.cgroup.cpu.cfs_quota_us = 50000' <<<"$output"
  ! grep -q 'lxc.idmap' <<<"$output" || false
  ! grep -q 'lxc.net.0.ipv4.gateway' <<<"$output" || false
  ! grep -q 'nesting.conf' <<<"$output" || false
}

@test "pct-lxc create refuses bad arguments with 2 and creates nothing" {
  local -a bad_calls=(
    "99 local:vztmpl/t.tar.zst"
    "abc local:vztmpl/t.tar.zst"
    "100"
    "100 vztmpl/t.tar.zst"
    "100 /t.tar.zst --hostname bad_name"
    "100 /t.tar.zst --memory 0"
    "100 /t.tar.zst --memory"
    "100 /t.tar.zst --bogus 1"
    "100 /t.tar.zst --unprivileged yes"
    "100 /t.tar.zst --features keyctl=1"
    "100 /t.tar.zst --ostype alpine"
    "100 /t.tar.zst --net0 name=eth0,bridge=vmbr20"
    "100 /t.tar.zst --net0 bridge=vmbr20,ip=dhcp"
    "100 /t.tar.zst --net0 bridge=vmbr20,ip=10.0.20.10"
    "100 /t.tar.zst --net0 ip=10.0.20.10/24"
    "100 /t.tar.zst --net0 bridge=averyverylongbr,ip=10.0.20.10/24"
    "100 /t.tar.zst --net0 bridge=vmbr20,ip=10.0.20.10/24,color=red"
  )
  local call
  for call in "${bad_calls[@]}"; do
    # shellcheck disable=SC2086 # word splitting of the call is the point
    run -2 --separate-stderr "$L/pct-lxc" create $call
    [[ "$stderr" == *ERROR:* ]] || { echo "no message for: $call"; false; }
  done
  [ -z "$(ls -A "$PCT_LXC_PATH")" ]
}

@test "pct-lxc: an existing container cannot be created again; unknown ones are refused like pct does" {
  fixture_ct 100 appliance-api-1
  run -2 --separate-stderr "$L/pct-lxc" create 100 /t.tar.zst
  [[ "$stderr" == *"CT 100 already exists"* ]]
  local sub
  for sub in status start stop exec config listsnapshot destroy; do
    run -2 --separate-stderr "$L/pct-lxc" "$sub" 101
    [[ "$stderr" == *"Configuration file 'nodes/lxc/101.conf' does not exist"* ]]
  done
}

@test "pct-lxc exec and push (dry run): lxc-attach with a clean environment; push writes via the container's root" {
  fixture_ct 100 appliance-api-1
  run -0 "$L/pct-lxc" exec 100 -- systemctl start appliance-api.service
  [ "$output" = "[dry-run] lxc-attach -P $PCT_LXC_PATH -n 100 --clear-env -v PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -v HOME=/root -v LANG=C.UTF-8 -- systemctl start appliance-api.service" ]
  run -2 "$L/pct-lxc" exec 100 --
  touch "$BATS_TEST_TMPDIR/bin"
  run -0 "$L/pct-lxc" push 100 "$BATS_TEST_TMPDIR/bin" /opt/appliance/api/appliance-api.new --perms 0755 --user 0 --group 0
  [[ "${lines[0]}" == "[dry-run] lxc-attach -P $PCT_LXC_PATH -n 100 --clear-env"*"-- sh -c "*" pct-push /opt/appliance/api/appliance-api.new 0755 0 0" ]]
  [ "${lines[1]}" = "[dry-run]   (stdin: $BATS_TEST_TMPDIR/bin)" ]
  run -2 --separate-stderr "$L/pct-lxc" push 100 "$BATS_TEST_TMPDIR/bin" relative/path
  run -2 --separate-stderr "$L/pct-lxc" push 100 "$BATS_TEST_TMPDIR/bin" /x --perms 999
  run -2 --separate-stderr "$L/pct-lxc" push 100 "$BATS_TEST_TMPDIR/bin" /x --owner 0
}

@test "pct-lxc set (dry run) rewrites pct.conf and the LXC config from the merged options" {
  fixture_ct 121 appliance-api-1
  run -0 "$L/pct-lxc" set 121 --net0 name=eth0,bridge=vmbr20,ip=10.0.20.12/24,gw=10.0.20.1 --tags "appliance;api-scaled"
  grep -qx '\[dry-run\] pct.conf: hostname: appliance-api-1' <<<"$output"
  grep -qx '\[dry-run\] pct.conf: net0: name=eth0,bridge=vmbr20,ip=10.0.20.12/24,gw=10.0.20.1' <<<"$output"
  grep -qx '\[dry-run\] pct.conf: tags: appliance;api-scaled' <<<"$output"
  grep -qx '\[dry-run\] config: lxc.net.0.ipv4.address = 10.0.20.12/24' <<<"$output"
  run -2 "$L/pct-lxc" set 121 --net0 bridge=vmbr20
}

@test "pct-lxc list and listsnapshot print what proxmox/lib/pve.sh parses" {
  fixture_ct 100 appliance-api-1
  fixture_ct 130 appliance-pg-primary
  mkdir -p "$PCT_LXC_PATH/100/snapshots/deploy-20260101T000000" "$PCT_LXC_PATH/100/snapshots/deploy-20260102T000000"
  printf '2026-01-01 00:00:00\tbefore release a\n' >"$PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/meta"
  printf '2026-01-02 00:00:00\tbefore release b\n' >"$PCT_LXC_PATH/100/snapshots/deploy-20260102T000000/meta"
  touch -d '2026-01-01' "$PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/meta"
  touch -d '2026-01-02' "$PCT_LXC_PATH/100/snapshots/deploy-20260102T000000/meta"
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  ln -s "$L/pct-lxc" "$BATS_TEST_TMPDIR/bin/pct"
  run -0 env PATH="$BATS_TEST_TMPDIR/bin:$PATH" bash -c 'set -Eeuo pipefail
source "$REPO_ROOT/lib/common.sh"
source "$REPO_ROOT/proxmox/lib/topology.sh"
source "$REPO_ROOT/proxmox/lib/pve.sh"
pct_list_names
snapshot_names 100
ct_exists 130 && echo "130 exists"
ct_running 130 || echo "130 not running"
ct_exists 131 || echo "131 absent"'
  [ "${lines[0]}" = "100 appliance-api-1" ]
  [ "${lines[1]}" = "130 appliance-pg-primary" ]
  [ "${lines[2]}" = "deploy-20260101T000000" ]
  [ "${lines[3]}" = "deploy-20260102T000000" ]
  [ "${lines[4]}" = "130 exists" ]
  [ "${lines[5]}" = "130 not running" ]
  [ "${lines[6]}" = "131 absent" ]
}

@test "pct-lxc snapshot, rollback, clone, destroy (dry run): copies of the rootfs, frozen while copied" {
  fixture_ct 100 appliance-api-1
  run -0 "$L/pct-lxc" snapshot 100 deploy-20260101T000000 --description "before release"
  [[ "$output" == *"[dry-run] cp -a --reflink=auto -- $PCT_LXC_PATH/100/rootfs $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs"* ]]
  run -2 "$L/pct-lxc" snapshot 100 "bad name"
  run -2 --separate-stderr "$L/pct-lxc" rollback 100 deploy-20260101T000000
  [[ "$stderr" == *"snapshot 'deploy-20260101T000000' does not exist"* ]]
  mkdir -p "$PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs"
  run -0 "$L/pct-lxc" rollback 100 deploy-20260101T000000
  [[ "$output" == *"[dry-run] cp -a --reflink=auto -- $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs $PCT_LXC_PATH/100/rootfs.rollback"* ]]
  [[ "$output" == *"[dry-run] mv -- $PCT_LXC_PATH/100/rootfs.rollback $PCT_LXC_PATH/100/rootfs"* ]]
  run -0 "$L/pct-lxc" clone 100 121 --snapname deploy-20260101T000000 --hostname appliance-api-121 --full 1
  [[ "$output" == *"[dry-run] cp -a --reflink=auto -- $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs $PCT_LXC_PATH/121/rootfs"* ]]
  grep -qx '\[dry-run\] pct.conf: hostname: appliance-api-121' <<<"$output"
  run -2 "$L/pct-lxc" clone 100 121 --full 0
  run -0 "$L/pct-lxc" destroy 100
  [[ "$output" == *"[dry-run] lxc-destroy -P $PCT_LXC_PATH -n 100"* ]]
}

@test "pct-lxc on btrfs (dry run): the template unpacked once, containers, snapshots and clones are subvolume snapshots" {
  export PCT_LXC_STORAGE=btrfs
  run -0 "$L/pct-lxc" create 100 /t.tar.zst --hostname appliance-api-1
  [[ "$output" == *"[dry-run] btrfs -q subvolume create $PCT_LXC_PATH/.templates/TEMPLATE.partial"* ]]
  [[ "$output" == *"[dry-run] tar --numeric-owner --xattrs -xpf /t.tar.zst -C $PCT_LXC_PATH/.templates/TEMPLATE.partial -I zstd"* ]]
  [[ "$output" == *"[dry-run] btrfs -q subvolume snapshot $PCT_LXC_PATH/.templates/TEMPLATE $PCT_LXC_PATH/100/rootfs"* ]]
  fixture_ct 100 appliance-api-1
  run -0 "$L/pct-lxc" snapshot 100 deploy-20260101T000000
  [[ "$output" == *"[dry-run] btrfs -q subvolume snapshot -r $PCT_LXC_PATH/100/rootfs $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs"* ]]
  ! grep -q '^\[dry-run\] cp -a' <<<"$output" || false
  mkdir -p "$PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs"
  run -0 "$L/pct-lxc" clone 100 121 --snapname deploy-20260101T000000 --hostname appliance-api-3 --full 1
  [[ "$output" == *"[dry-run] btrfs -q subvolume snapshot $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs $PCT_LXC_PATH/121/rootfs"* ]]
  run -0 "$L/pct-lxc" destroy 100
  [[ "$output" == *"[dry-run] btrfs -q subvolume delete $PCT_LXC_PATH/100/snapshots/deploy-20260101T000000/rootfs"* ]]
  [[ "$output" == *"[dry-run] btrfs -q subvolume delete $PCT_LXC_PATH/100/rootfs"* ]]
}

@test "network.sh --dry-run up: port-less bridges, no host address, forwarding and the matrix only in the router namespace" {
  run -0 "$L/network.sh" --dry-run up
  local b
  for b in 10 20 30 40 50; do
    [[ "$output" == *"[dry-run] ip link add psa-t-vmbr$b type bridge stp_state 0 forward_delay 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0"* ]]
  done
  [[ "$output" == *"[dry-run] ip netns exec psa-t-router ip addr add 10.0.30.1/24 dev database"* ]]
  [[ "$output" == *"[dry-run] ip netns exec psa-t-router sysctl -q -w net.ipv4.ip_forward=1"* ]]
  [[ "$output" == *"[dry-run] ip netns exec psa-t-router nft -f $REPO_ROOT/provisioning/network/appliance.nft"* ]]
  [[ "$output" == *"[dry-run] ip netns exec psa-t-client ip route add default via 198.51.100.1"* ]]
  # Nothing gives the host an address, forwarding, NAT or a route.
  ! grep -E '^\[dry-run\] ip (addr|route) ' <<<"$output" || false
  ! grep -E '^\[dry-run\] sysctl .*ip_forward' <<<"$output" || false
  ! grep -iE 'masquerade|snat|dnat' <<<"$output" || false
  run -64 "$L/network.sh" sideways
}

@test "rootfs.sh: the cache file is named by the package list; a cached file is reused without debootstrap" {
  run -0 "$L/rootfs.sh" --print-path
  [[ "$output" =~ ^$APPLIANCE_LXC_CACHE/debian12-[0-9a-f]{12}\.tar\.zst$ ]]
  local path=$output
  run -0 "$L/rootfs.sh" --print-path
  [ "$output" = "$path" ]
  run -0 "$L/rootfs.sh" --dry-run
  [[ "$output" == *"debootstrap --variant=minbase --include=systemd"*"postgresql-15"*"redis-server"*"haproxy bookworm"* ]]
  mkdir -p "$APPLIANCE_LXC_CACHE"
  echo cached >"$path"
  run -0 --separate-stderr "$L/rootfs.sh" --dry-run
  [ "$output" = "$path" ]
  [[ "$stderr" == *"reusing it"* ]]
  run -64 "$L/rootfs.sh" --bogus
}

@test "run-appliance.sh --dry-run: the unchanged create-containers.sh asks pct-lxc, plans all seven containers, changes nothing" {
  unset PCT_LXC_DRY_RUN PCT_LXC_STORAGE
  run -0 --separate-stderr "$L/run-appliance.sh" --dry-run
  [ "$(grep -c '^\[dry-run\] pct create ' <<<"$output")" -eq 7 ]
  [[ "$output" == *"[dry-run] pct create 140 local:vztmpl/appliance-debian12-template.tar.zst --hostname appliance-haproxy"*"--net0 name=eth0\,bridge=vmbr40\,ip=10.0.40.10/24"* ]]
  [[ "$output" == *"[dry-run] ip netns exec psa-t-router nft -f $REPO_ROOT/provisioning/network/appliance.nft"* ]]
  [[ "$output" == *"debootstrap --variant=minbase"* ]]
  [ ! -e "$APPLIANCE_LXC_WORK" ]
  [ ! -e "$APPLIANCE_LXC_CACHE" ]
}

@test "run-appliance.sh: usage errors exit 64" {
  run -64 --separate-stderr "$L/run-appliance.sh" --bogus
  run -64 --separate-stderr "$L/run-appliance.sh" --release "$BATS_TEST_TMPDIR/none"
  run -0 "$L/run-appliance.sh" --help
  [[ "$output" == *"Exit codes:"* ]]
}
