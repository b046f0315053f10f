# Usage: source proxmox/lib/topology.sh   (sourced, never executed)
# shellcheck shell=bash
#
# The one table of the appliance's layout on Proxmox: roles, container
# IDs, hostnames, segment, IP, cores, memory (MiB), disk (GiB). Every other script reads it from
# here; nothing else hard-codes an ID or an address.
#
#   topology_roles             roles in creation order (databases first, HAProxy last)
#   topology_get ROLE FIELD    FIELD: ctid hostname segment ip cores memory disk service script
#   segment_get SEG FIELD      FIELD: bridge cidr gateway prefix
#   role_net0 ROLE             the --net0 value of pct create/set for ROLE
#   role_for_ctid CTID         the role of a CTID from the table (fails if none)
#
# Return codes: 0 ok; 1 unknown role/segment/field (a message on stderr).

if [[ -n "${_APPLIANCE_TOPOLOGY_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_TOPOLOGY_SH=1

# Template container and the ID range scale-api.sh hands out (clones 100 → 120).
# shellcheck disable=SC2034 # read by the scripts that source this file
{
  TEMPLATE_CTID=9000
  TEMPLATE_NAME=appliance-debian12-template.tar.zst
  API_SCALE_FIRST_CTID=121
  API_SCALE_LAST_CTID=128
  API_PORT=3000
  # Seed §6.3: 100 Mbit/s per container NIC, no swap.
  NET_RATE_MBPS=100
  SEARCHDOMAIN=appliance.local
}

# segment   bridge  cidr           gateway
APPLIANCE_SEGMENTS=(
  "management vmbr10 10.0.10.0/24 10.0.10.1"
  "services   vmbr20 10.0.20.0/24 10.0.20.1"
  "database   vmbr30 10.0.30.0/24 10.0.30.1"
  "dmz        vmbr40 10.0.40.0/24 10.0.40.1"
  "backup     vmbr50 10.0.50.0/24 10.0.50.1"
)


#  role             ctid hostname             segment  ip         cores mem  disk service                    provisioning script
APPLIANCE_TOPOLOGY=(
  "postgres         130  appliance-pg-primary database 10.0.30.10 4     8192 100  postgresql@15-main.service postgres.sh"
  "postgres-replica 131  appliance-pg-replica database 10.0.30.11 4     8192 100  postgresql@15-main.service postgres.sh"
  "redis            132  appliance-redis      database 10.0.30.12 2     2048 8    redis-server.service       redis.sh"
  "api-1            100  appliance-api-1      services 10.0.20.10 2     4096 30   appliance-api.service      api.sh"
  "api-2            120  appliance-api-2      services 10.0.20.11 2     4096 30   appliance-api.service      api.sh"
  "worker           101  appliance-worker     services 10.0.20.30 2     4096 30   appliance-worker.service   worker.sh"
  "haproxy          140  appliance-haproxy    dmz      10.0.40.10 2     2048 8    haproxy.service            haproxy.sh"
)

_topology_field_index() {
  case "$1" in
    role) echo 0 ;; ctid) echo 1 ;; hostname) echo 2 ;; segment) echo 3 ;; ip) echo 4 ;;
    cores) echo 5 ;; memory) echo 6 ;; disk) echo 7 ;; service) echo 8 ;; script) echo 9 ;;
    *) echo "topology: unknown field '$1'" >&2; return 1 ;;
  esac
}

topology_roles() {
  local row
  for row in "${APPLIANCE_TOPOLOGY[@]}"; do
    printf '%s\n' "${row%% *}"
  done
}

topology_get() {
  local role=${1:?topology_get ROLE FIELD} field=${2:?topology_get ROLE FIELD} idx row
  local -a cols
  idx=$(_topology_field_index "$field") || return 1
  for row in "${APPLIANCE_TOPOLOGY[@]}"; do
    read -r -a cols <<<"$row"
    if [[ "${cols[0]}" == "$role" ]]; then
      printf '%s\n' "${cols[idx]}"
      return 0
    fi
  done
  echo "topology: unknown role '$role'" >&2
  return 1
}

role_for_ctid() {
  local ctid=${1:?role_for_ctid CTID} row
  local -a cols
  for row in "${APPLIANCE_TOPOLOGY[@]}"; do
    read -r -a cols <<<"$row"
    if [[ "${cols[1]}" == "$ctid" ]]; then
      printf '%s\n' "${cols[0]}"
      return 0
    fi
  done
  return 1
}

segment_get() {
  local seg=${1:?segment_get SEG FIELD} field=${2:?segment_get SEG FIELD} row
  local -a cols
  for row in "${APPLIANCE_SEGMENTS[@]}"; do
    read -r -a cols <<<"$row"
    [[ "${cols[0]}" == "$seg" ]] || continue
    case "$field" in
      bridge) printf '%s\n' "${cols[1]}" ;;
      cidr) printf '%s\n' "${cols[2]}" ;;
      gateway) printf '%s\n' "${cols[3]}" ;;
      prefix) printf '%s\n' "${cols[2]#*/}" ;;
      *) echo "topology: unknown segment field '$field'" >&2; return 1 ;;
    esac
    return 0
  done
  echo "topology: unknown segment '$seg'" >&2
  return 1
}

# net0 for an address in a segment: name=eth0,bridge=...,ip=IP/PREFIX,gw=...,rate=...
segment_net0() {
  local seg=${1:?segment_net0 SEG IP} ip=${2:?segment_net0 SEG IP} bridge prefix gw
  bridge=$(segment_get "$seg" bridge) || return 1
  prefix=$(segment_get "$seg" prefix) || return 1
  gw=$(segment_get "$seg" gateway) || return 1
  printf 'name=eth0,bridge=%s,ip=%s/%s,gw=%s,rate=%s\n' "$bridge" "$ip" "$prefix" "$gw" "$NET_RATE_MBPS"
}

role_net0() {
  local role=${1:?role_net0 ROLE} seg ip
  seg=$(topology_get "$role" segment) || return 1
  ip=$(topology_get "$role" ip) || return 1
  segment_net0 "$seg" "$ip"
}
