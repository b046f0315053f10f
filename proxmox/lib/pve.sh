# Usage: source proxmox/lib/pve.sh   (sourced after lib/common.sh and proxmox/lib/topology.sh)
# shellcheck shell=bash
#
# Helpers of the Proxmox scripts. Read-only queries (pct status/list/listsnapshot/exec of a
# check) run even under --dry-run, so a dry run prints exactly what a real run would change;
# everything that changes state goes through `run`.
#
#   ct_exists CTID / ct_running CTID        container present / running (pct status)
#   ct_ensure_running CTID                  start it unless running (prints what it does)
#   pct_list_names                          "CTID NAME" per container (pct list)
#   snapshot_names CTID                     the container's snapshot names, oldest first
#   deploy_snapshot_names NAME...           only the deploy-* names, oldest first
#   snapshots_to_prune KEEP NAME...         the deploy-* names beyond the newest KEEP
#   deploy_decision INSTALL MIGRATE HEALTH SMOKE
#                                           "commit" or "rollback: <reason>" from the steps' exit codes
#   haproxy_add_server BACKEND NAME ADDR    stdin cfg → stdout cfg with the server added once
#   parse_common_opt ARG                    --dry-run / -h handling shared by the scripts
#
# Return codes: 0 ok/true; 1 false or bad input (message on stderr).

if [[ -n "${_APPLIANCE_PVE_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_PVE_SH=1

ct_exists() {
  pct status "$1" >/dev/null 2>&1
}

ct_running() {
  local out
  out=$(pct status "$1" 2>/dev/null) || return 1
  [[ "$out" == *"status: running"* ]]
}

ct_ensure_running() {
  if ct_running "$1"; then
    log "CT $1 already running"
  else
    log "starting CT $1"
    run pct start "$1"
  fi
}

pct_list_names() {
  # pct list: VMID Status [Lock] Name — the name is the last column, the lock column may be empty.
  pct list 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1, $NF }'
}

snapshot_names() {
  # pct listsnapshot prints a tree: "`-> NAME  DATE  DESCRIPTION", "current" is the live state.
  pct listsnapshot "$1" 2>/dev/null | sed -nE 's/^[[:space:]`|-]*> *([A-Za-z][A-Za-z0-9_-]*).*/\1/p' | grep -vx current || true
}

deploy_snapshot_names() {
  local name
  for name in "$@"; do
    [[ "$name" =~ ^deploy-[0-9]{8}T[0-9]{6}$ ]] && printf '%s\n' "$name"
  done | LC_ALL=C sort
}

snapshots_to_prune() {
  local keep=${1:-} count i
  shift || true
  if ! [[ "$keep" =~ ^[0-9]+$ ]] || ((keep < 1)); then
    echo "snapshots_to_prune: KEEP must be >= 1, got '$keep'" >&2
    return 1
  fi
  local -a names
  mapfile -t names < <(deploy_snapshot_names "$@")
  count=${#names[@]}
  for ((i = 0; i < count - keep; i++)); do
    printf '%s\n' "${names[i]}"
  done
}

deploy_decision() {
  (($# == 4)) || { echo "deploy_decision: usage: deploy_decision INSTALL MIGRATE HEALTH SMOKE" >&2; return 1; }
  local install=$1 migrate=$2 health=$3 smoke=$4 v
  for v in "$@"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "deploy_decision: exit codes expected, got '$v'" >&2; return 1; }
  done
  if ((install != 0)); then
    echo "rollback: installing the binaries failed (exit $install)"
  elif ((migrate != 0)); then
    echo "rollback: migration failed (exit $migrate)"
  elif ((health != 0)); then
    echo "rollback: health check failed"
  elif ((smoke != 0)); then
    echo "rollback: smoke test failed (exit $smoke)"
  else
    echo commit
  fi
}

haproxy_add_server() {
  local backend=${1:?BACKEND} name=${2:?NAME} addr=${3:?ADDR} opts=${4:-check inter 10s fall 3 rise 2}
  awk -v backend="$backend" -v name="$name" -v addr="$addr" -v opts="$opts" '
    function flush() {
      if (inb && !done) {
        if (last == 0) { print "    server " name " " addr " " opts; for (i = 1; i <= n; i++) print buf[i] }
        else { for (i = 1; i <= last; i++) print buf[i]; print "    server " name " " addr " " opts; for (i = last + 1; i <= n; i++) print buf[i] }
        done = 1
      } else if (inb) { for (i = 1; i <= n; i++) print buf[i] }
      n = 0; last = 0; inb = 0
    }
    /^[^[:space:]#]/ {
      flush()
      if ($1 == "backend" && $2 == backend) { found = 1; inb = 1; print; next }
    }
    inb {
      buf[++n] = $0
      if ($1 == "server") { last = n; if ($2 == name || $3 == addr) present = 1 }
      if (present) done = 1
      next
    }
    { print }
    END {
      flush()
      if (!found) { print "haproxy_add_server: no backend " backend > "/dev/stderr"; exit 3 }
    }'
}
