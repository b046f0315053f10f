# Usage: source "<repo>/lib/common.sh"   (sourced, never executed)
# shellcheck shell=bash
#
# Shared helpers for every shell script of the appliance. The calling script sets
# `set -Eeuo pipefail` itself; this file only defines functions and a few globals.
#
#   log MSG...            timestamped line on stderr, prefixed with the script name
#   warn MSG...           log with a WARN: prefix
#   die MSG [CODE]        log "ERROR: MSG" (one line) and exit CODE (default 1)
#   run CMD [ARG...]      execute CMD, or with DRY_RUN=1 print it (shell-quoted) on stdout
#   run_to FILE CMD...    like run, appending CMD's stdout+stderr to FILE
#   write_file MODE PATH  write stdin to PATH atomically with MODE (dry-run: only says so)
#   require_root          die unless EUID is 0
#   require_cmd CMD...    die unless every CMD is on PATH
#   apt_install PKG...    apt-get update + install (noninteractive, no recommends) while a temporary
#                         policy-rc.d keeps the packages' services (postgresql, redis, haproxy)
#                         from being started: the appliance runs its own processes instead
#   random_alnum [LEN]    LEN (default 32) random characters from [A-Za-z0-9]; safe in
#                         connection strings, config files and URLs
#   pid_alive PID         true if PID runs (a zombie awaiting its reaper counts as gone)
#   use_color             true when colour output is appropriate (tty, not CI, no NO_COLOR)
#   on_err                ERR trap body: trap 'on_err "$?" "$LINENO"' ERR
#
# Globals: SCRIPT_NAME (defaults to basename of $0), DRY_RUN (0|1; scripts map --dry-run to it).
#
# Exit codes used by the helpers:
#   1   die without an explicit code
#   69  require_cmd: a required command is missing (EX_UNAVAILABLE)
#   77  require_root: not running as root (EX_NOPERM)

if [[ -n "${_APPLIANCE_COMMON_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_COMMON_SH=1

SCRIPT_NAME="${SCRIPT_NAME:-$(basename -- "$0")}"
DRY_RUN="${DRY_RUN:-0}"

log() {
  local ts
  printf -v ts '%(%Y-%m-%dT%H:%M:%S%z)T' -1
  printf '%s %s: %s\n' "$ts" "$SCRIPT_NAME" "$*" >&2
}

warn() {
  log "WARN: $*"
}

die() {
  local msg=${1:-unspecified error} code=${2:-1}
  if ! [[ $code =~ ^[0-9]+$ ]] || ((code == 0 || code > 255)); then
    code=1
  fi
  # Keep the promise of a one-line message even if a caller passes command output.
  msg=${msg//$'\n'/ }
  log "ERROR: $msg"
  exit "$code"
}

is_dry_run() {
  [[ "${DRY_RUN:-0}" == 1 ]]
}

_print_cmd() {
  local quoted
  printf -v quoted '%q ' "$@"
  printf '[dry-run] %s\n' "${quoted% }"
}

run() {
  (($# > 0)) || die "run: no command given"
  if is_dry_run; then
    _print_cmd "$@"
    return 0
  fi
  "$@"
}

run_to() {
  (($# > 1)) || die "run_to: usage: run_to FILE CMD [ARG...]"
  local out=$1
  shift
  if is_dry_run; then
    local quoted
    printf -v quoted '%q ' "$@"
    printf '[dry-run] %s>>%q 2>&1\n' "$quoted" "$out"
    return 0
  fi
  "$@" >>"$out" 2>&1
}

write_file() {
  (($# == 2)) || die "write_file: usage: write_file MODE PATH < content"
  local mode=$1 path=$2 tmp
  if is_dry_run; then
    # Content is not echoed: it is often a secret.
    printf '[dry-run] write %q (mode %s)\n' "$path" "$mode"
    cat >/dev/null
    return 0
  fi
  tmp=$(mktemp "${path}.tmp.XXXXXX") || return 1
  if ! { cat >"$tmp" && chmod "$mode" "$tmp" && mv -f -- "$tmp" "$path"; }; then
    rm -f -- "$tmp"
    return 1
  fi
}

require_root() {
  ((EUID == 0)) || die "this must run as root (try: sudo $SCRIPT_NAME)" 77
}

require_cmd() {
  local cmd missing=()
  for cmd in "$@"; do
    command -v -- "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  ((${#missing[@]} == 0)) || die "required command(s) not found on PATH: ${missing[*]}" 69
}

random_alnum() {
  local len=${1:-32} out='' chunk
  [[ "$len" =~ ^[0-9]+$ ]] || die "random_alnum: bad length '$len'"
  while ((${#out} < len)); do
    chunk=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9') || return 1
    out+=$chunk
  done
  printf '%s\n' "${out:0:len}"
}

pid_alive() {
  local pid=${1:-} state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Field 3 of /proc/PID/stat; the comm field before it may contain spaces, hence the strip.
  state=$(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ "$state" != Z && "$state" != X ]]
}

use_color() {
  [[ "${CI:-}" != true && -z "${NO_COLOR:-}" && -t 1 ]]
}

on_err() {
  local rc=$1 line=$2
  log "ERROR: command failed (exit $rc) at ${BASH_SOURCE[1]:-?}:$line: $BASH_COMMAND"
}

apt_install() {
  local policy=/usr/sbin/policy-rc.d created=0 rc=0
  if [[ ! -e $policy ]] && ! is_dry_run; then
    printf '#!/bin/sh\n# written by the appliance scripts during apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created=1
  fi
  run env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  if ((rc == 0)); then
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || rc=$?
  fi
  if ((created)); then
    rm -f -- "$policy"
  fi
  return "$rc"
}
