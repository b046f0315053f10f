#!/usr/bin/env bash
# Usage: haproxy/render.sh [--env FILE] [--no-check] [--dry-run] OUTPUT
#
# Renders haproxy/haproxy.cfg (the template beside this script) into OUTPUT: fills the @NAME@
# placeholders from HAPROXY_* variables, writes one `server` line per API instance, checks the result
# with `haproxy -c -dW` (warnings count as errors), and only then replaces OUTPUT atomically (mode
# 0640). An OUTPUT that is already identical is left alone. Reload HAProxy afterwards (`systemctl
# reload haproxy`: master-worker, the listening sockets are handed over, no connection is refused).
#
# Variables (from the environment; --env FILE adds KEY=VALUE lines, the environment wins):
#   HAPROXY_API_SERVERS     required: "NAME=HOST:PORT ..." the API instances (round robin)
#   HAPROXY_API_BACKUP      "NAME=HOST:PORT ..." backup server(s), used when every instance is down
#   HAPROXY_STATS_PASSWORD  required: stats page password (12-128 of [A-Za-z0-9._~!%^&*()+=,;:@/?-])
#   HAPROXY_STATS_USER      stats page user (admin)
#   HAPROXY_STATS_BIND      stats page address (127.0.0.1:8404; the management network in production)
#   HAPROXY_HTTP_BIND       plain HTTP listener, redirects only (:80)
#   HAPROXY_HTTPS_BIND      TLS listener (:443)
#   HAPROXY_CERT            PEM with certificate chain and key (/etc/haproxy/certs/appliance.pem;
#                           haproxy/selfsigned.sh makes one for local use)
#   HAPROXY_RATE_LIMIT      requests per client IP per 10 s before 429 (100, as in the seed)
#   HAPROXY_CHECK_INTER     health-check interval (1s); HAPROXY_CHECK_FASTINTER while changing state (250ms)
#   HAPROXY_STATS_SOCKET    admin socket (/run/haproxy/admin.sock)
#   HAPROXY_LOG             syslog target (/dev/log) or "stdout" (foreground runs)
#   HAPROXY_USER, HAPROXY_GROUP, HAPROXY_CHROOT
#                           privilege drop (haproxy, haproxy, /var/lib/haproxy); empty = none
#
# Exit codes:
#   0   OUTPUT written, or already up to date (dry-run: rendered and checked, nothing written)
#   1   haproxy -c rejected the rendered configuration (nothing written; its output is shown)
#   64  usage error
#   65  a variable is missing or invalid (nothing written; the message names it)
#   66  the template or the --env file cannot be read
#   69  haproxy is not installed (use --no-check to render anyway)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SCRIPT_NAME=haproxy-render
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
trap 'on_err "$?" "$LINENO"' ERR
# '&' in a replacement must stay literal (bash 5.2 would insert the matched text).
shopt -u patsub_replacement 2>/dev/null || true

TEMPLATE="$HERE/haproxy.cfg"
ENV_FILE=''
CHECK=1
OUTPUT=''

usage() {
  sed -n '2,/^set -Eeuo/{/^set -Eeuo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --env)
        (($# >= 2)) || die "--env needs a file" 64
        ENV_FILE=$2
        shift 2
        ;;
      --no-check) CHECK=0 && shift ;;
      --dry-run) DRY_RUN=1 && shift ;;
      -h | --help) usage && exit 0 ;;
      -*) die "unknown option '$1' (see --help)" 64 ;;
      *)
        [[ -z "$OUTPUT" ]] || die "only one OUTPUT may be given" 64
        OUTPUT=$1
        shift
        ;;
    esac
  done
  [[ -n "$OUTPUT" ]] || die "OUTPUT is missing (usage: render.sh [--env FILE] [--no-check] [--dry-run] OUTPUT)" 64
}

# KEY=VALUE lines (optionally quoted); only HAPROXY_* keys; never executed as shell code.
load_env_file() {
  local line key value n=0
  [[ -r "$ENV_FILE" ]] || die "cannot read env file '$ENV_FILE'" 66
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?(HAPROXY_[A-Z_]+)=(.*)$ ]] ||
      die "$ENV_FILE:$n: expected HAPROXY_NAME=VALUE" 65
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    # The environment wins over the file.
    if [[ -z "${!key+set}" ]]; then
      printf -v "$key" '%s' "$value"
    fi
  done <"$ENV_FILE"
}

# value NAME DEFAULT REGEX WHAT: set V to the validated value of NAME (DEFAULT when unset).
# (A global instead of stdout: die must end the script, not a command substitution.)
value() {
  local name=$1 default=$2 regex=$3 what=$4
  V=${!name-$default}
  if ! [[ "$V" =~ $regex ]]; then
    [[ "$name" != *PASSWORD* ]] || die "$name must be $what (value not shown)" 65
    die "$name must be $what, got '$V'" 65
  fi
}

BIND_RE='^([A-Za-z0-9.*-]*|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$'
ENDPOINT_RE='^([A-Za-z0-9._-]+)=([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$'
DURATION_RE='^[0-9]{1,6}(ms|s)?$'

# server_lines VARIABLE FLAGS: set V to one `server` line per NAME=HOST:PORT word.
server_lines() {
  local variable=$1 flags=$2 word port out=''
  for word in ${!variable-}; do
    [[ "$word" =~ $ENDPOINT_RE ]] || die "$variable: '$word' is not NAME=HOST:PORT" 65
    port=${BASH_REMATCH[3]}
    ((10#$port >= 1 && 10#$port <= 65535)) || die "$variable: port of '$word' is out of range" 65
    [[ " $SEEN_SERVERS " != *" ${BASH_REMATCH[1]} "* ]] || die "$variable: server name '${BASH_REMATCH[1]}' is used twice" 65
    SEEN_SERVERS+=" ${BASH_REMATCH[1]}"
    out+="    server ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:$port$flags"$'\n'
  done
  V=${out%$'\n'}
}

# render: set RENDERED to the template with every placeholder filled.
render() {
  local tpl https_port log_line privdrop='' servers
  [[ -r "$TEMPLATE" ]] || die "cannot read template '$TEMPLATE'" 66
  tpl=$(<"$TEMPLATE")

  value HAPROXY_LOG /dev/log '^[A-Za-z0-9./:@_-]+$' 'a syslog target or stdout'
  if [[ "$V" == stdout ]]; then
    log_line='log stdout format raw local0'
  else
    log_line="log $V local0"
  fi
  tpl=${tpl//@LOG@/$log_line}
  value HAPROXY_CHROOT /var/lib/haproxy '^(/[A-Za-z0-9._/-]*)?$' 'an absolute path or empty'
  [[ -z "$V" ]] || privdrop+="chroot $V"$'\n    '
  value HAPROXY_USER haproxy '^([a-z_][a-z0-9_-]*)?$' 'a user name or empty'
  [[ -z "$V" ]] || privdrop+="user $V"$'\n    '
  value HAPROXY_GROUP haproxy '^([a-z_][a-z0-9_-]*)?$' 'a group name or empty'
  [[ -z "$V" ]] || privdrop+="group $V"$'\n    '
  privdrop=${privdrop%$'\n    '}
  tpl=${tpl//@PRIVDROP@/${privdrop:-# no privilege drop (HAPROXY_USER and HAPROXY_CHROOT are empty)}}
  value HAPROXY_STATS_SOCKET /run/haproxy/admin.sock '^/[A-Za-z0-9._/-]+$' 'an absolute path'
  tpl=${tpl//@STATS_SOCKET@/$V}

  value HAPROXY_HTTP_BIND ':80' "$BIND_RE" 'ADDRESS:PORT'
  tpl=${tpl//@HTTP_BIND@/$V}
  value HAPROXY_HTTPS_BIND ':443' "$BIND_RE" 'ADDRESS:PORT'
  tpl=${tpl//@HTTPS_BIND@/$V}
  https_port=${V##*:}
  # Redirects name the TLS port unless it is the default one.
  if [[ "$https_port" == 443 ]]; then
    tpl=${tpl//@HTTPS_PORT_SUFFIX@/}
  else
    tpl=${tpl//@HTTPS_PORT_SUFFIX@/:$https_port}
  fi
  value HAPROXY_CERT /etc/haproxy/certs/appliance.pem '^/[A-Za-z0-9._/-]+$' 'an absolute path'
  tpl=${tpl//@CERT@/$V}
  value HAPROXY_RATE_LIMIT 100 '^[1-9][0-9]{0,6}$' 'a whole number from 1'
  tpl=${tpl//@RATE_LIMIT@/$V}
  value HAPROXY_CHECK_INTER 1s "$DURATION_RE" 'a duration like 500ms or 2s'
  tpl=${tpl//@CHECK_INTER@/$V}
  value HAPROXY_CHECK_FASTINTER 250ms "$DURATION_RE" 'a duration like 250ms'
  tpl=${tpl//@CHECK_FASTINTER@/$V}

  [[ -n "${HAPROXY_API_SERVERS:-}" ]] || die "HAPROXY_API_SERVERS is missing (NAME=HOST:PORT ...)" 65
  SEEN_SERVERS=''
  server_lines HAPROXY_API_SERVERS ''
  servers=$V
  server_lines HAPROXY_API_BACKUP ' backup'
  [[ -z "$V" ]] || servers+=$'\n'$V
  tpl=${tpl//@API_SERVERS@/$servers}

  value HAPROXY_STATS_BIND 127.0.0.1:8404 "$BIND_RE" 'ADDRESS:PORT'
  tpl=${tpl//@STATS_BIND@/$V}
  value HAPROXY_STATS_USER admin '^[A-Za-z0-9._-]{1,64}$' '1-64 of [A-Za-z0-9._-]'
  tpl=${tpl//@STATS_USER@/$V}
  [[ -n "${HAPROXY_STATS_PASSWORD:-}" ]] || die "HAPROXY_STATS_PASSWORD is missing (the stats page needs credentials)" 65
  value HAPROXY_STATS_PASSWORD '' '^[A-Za-z0-9._~!%^&*()+=,;:@/?-]{12,128}$' '12-128 of [A-Za-z0-9._~!%^&*()+=,;:@/?-]'
  tpl=${tpl//@STATS_PASSWORD@/$V}

  if [[ "$tpl" =~ @[A-Z_]+@ ]]; then
    die "template placeholder ${BASH_REMATCH[0]} has no value (render.sh and haproxy.cfg disagree)" 65
  fi
  RENDERED=$tpl
}

main() {
  parse_args "$@"
  [[ -z "$ENV_FILE" ]] || load_env_file
  local tmp out
  render
  ((CHECK == 0)) || require_cmd haproxy
  tmp=$(mktemp "${TMPDIR:-/tmp}/haproxy-render.XXXXXX")
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -f -- '$tmp'" EXIT
  printf '%s\n' "$RENDERED" >"$tmp"
  if ((CHECK)); then
    if ! out=$(haproxy -c -dW -f "$tmp" 2>&1); then
      printf '%s\n' "$out" >&2
      die "haproxy -c rejected the rendered configuration; $OUTPUT was not changed" 1
    fi
  fi
  if [[ -f "$OUTPUT" ]] && cmp -s -- "$tmp" "$OUTPUT"; then
    log "$OUTPUT is up to date"
    return 0
  fi
  write_file 0640 "$OUTPUT" <"$tmp"
  local checked=''
  ((CHECK == 0)) || checked=' (haproxy -c: valid)'
  is_dry_run || log "wrote $OUTPUT$checked"
}

main "$@"
