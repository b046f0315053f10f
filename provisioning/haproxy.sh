#!/usr/bin/env bash
# Usage: provisioning/haproxy.sh [--dry-run] [--root DIR] [--config FILE]
#
# Installs HAProxy inside the DMZ container: the package, /etc/haproxy/certs (0700) and
# /etc/haproxy/haproxy.cfg (0640 root:haproxy). Without --config the file is the repository's
# template haproxy/haproxy.cfg rendered by haproxy/render.sh: one server per API instance of
# proxmox/lib/topology.sh (port API_PORT), the stats password /etc/haproxy/stats-password (0600,
# generated on the first run, never overwritten) and the certificate
# /etc/haproxy/certs/appliance.pem — a self-signed one from haproxy/selfsigned.sh until the MSP puts
# its own there (a valid one is kept). --config FILE installs FILE as it is instead. The result is
# checked with `haproxy -c` before HAProxy is enabled and reloaded (only when the file changed);
# under --root the rendering is not checked (the certificate path is the target's).
#
# Exit codes:
#   0   installed (or already in place)
#   1   a step failed (also: the configuration does not pass haproxy -c)
#   64  usage error
#   66  no configuration file (the template haproxy/haproxy.cfg missing and no --config)
#   77  not root (a live run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib/provision.sh
source "$HERE/lib/provision.sh"
trap 'on_err "$?" "$LINENO"' ERR

provision_parse_args "$@"
TEMPLATE="$PROVISION_REPO/haproxy/haproxy.cfg"
CERT=/etc/haproxy/certs/appliance.pem
[[ -n "$CONFIG_FILE" || -f "$TEMPLATE" ]] || die "HAProxy template $TEMPLATE not found (use --config FILE)" 66

# "api-1=10.0.20.10:3000 api-2=10.0.20.11:3000": every API instance of the topology.
api_servers() {
  local role out=''
  while read -r role; do
    [[ "$(topology_get "$role" service)" == appliance-api.service ]] || continue
    out+="${out:+ }$role=$(topology_get "$role" ip):$API_PORT"
  done < <(topology_roles)
  printf '%s\n' "$out"
}

render_config() {
  local work
  local -a check=()
  live || check=(--no-check)
  ensure_secret "$(P /etc/haproxy/stats-password)" 0600 password
  run "$PROVISION_REPO/haproxy/selfsigned.sh" --name "$(topology_get haproxy hostname).$SEARCHDOMAIN" "$(P "$CERT")"
  if is_dry_run; then
    printf '[dry-run] render %q with API servers %s into /etc/haproxy/haproxy.cfg\n' "$TEMPLATE" "$(api_servers)"
    return 0
  fi
  work=$(mktemp -d)
  # The password travels in the environment, never on a command line.
  if ! (
    export HAPROXY_API_SERVERS HAPROXY_STATS_PASSWORD HAPROXY_CERT="$CERT"
    HAPROXY_API_SERVERS=$(api_servers)
    HAPROXY_STATS_PASSWORD=$(_read_secret /etc/haproxy/stats-password)
    "$PROVISION_REPO/haproxy/render.sh" "${check[@]}" "$work/haproxy.cfg"
  ); then
    rm -rf -- "$work"
    die "rendering $TEMPLATE failed"
  fi
  install_file 0640 root:haproxy "$work/haproxy.cfg" /etc/haproxy/haproxy.cfg
  rm -rf -- "$work"
}

packages haproxy openssl
ensure_dir 0755 root:root /etc/haproxy
ensure_dir 0700 root:root /etc/haproxy/certs
if [[ -n "$CONFIG_FILE" ]]; then
  install_file 0640 root:haproxy "$CONFIG_FILE" /etc/haproxy/haproxy.cfg
else
  render_config
fi
if live; then
  run haproxy -c -q -f /etc/haproxy/haproxy.cfg
  run systemctl enable haproxy.service
  if ((FILES_CHANGED)); then run systemctl reload-or-restart haproxy.service; fi
fi
log "haproxy role provisioned"
