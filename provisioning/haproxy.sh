#!/usr/bin/env bash
# Usage: provisioning/haproxy.sh [--dry-run] [--root DIR] [--config FILE]
#
# Installs HAProxy inside the DMZ container: the package, /etc/haproxy/certs (0700), the
# appliance's configuration (haproxy/haproxy.cfg of the repository, or --config FILE) as
# /etc/haproxy/haproxy.cfg (0640 root:haproxy), checked with `haproxy -c` before HAProxy is
# enabled and reloaded (only when the file changed).
#
# Exit codes:
#   0   installed (or already in place)
#   1   a step failed (also: the configuration does not pass haproxy -c)
#   64  usage error
#   66  no configuration file (haproxy/haproxy.cfg missing and no --config)
#   77  not root (a live run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib/provision.sh
source "$HERE/lib/provision.sh"
trap 'on_err "$?" "$LINENO"' ERR

provision_parse_args "$@"
cfg=${CONFIG_FILE:-$PROVISION_REPO/haproxy/haproxy.cfg}
[[ -f "$cfg" ]] || die "HAProxy configuration $cfg not found (use --config FILE)" 66
packages haproxy
ensure_dir 0755 root:root /etc/haproxy
ensure_dir 0700 root:root /etc/haproxy/certs
install_file 0640 root:haproxy "$cfg" /etc/haproxy/haproxy.cfg
if live; then
  run haproxy -c -q -f /etc/haproxy/haproxy.cfg
  run systemctl enable haproxy.service
  if ((FILES_CHANGED)); then run systemctl reload-or-restart haproxy.service; fi
fi
log "haproxy role provisioned"
