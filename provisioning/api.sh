#!/usr/bin/env bash
# Usage: provisioning/api.sh [--dry-run] [--root DIR] [--secrets DIR] [--units DIR]
#
# Installs the API role inside its container: the `appliance` system user; /opt/appliance(/api),
# /etc/appliance and /etc/appliance/keys (0750 root:appliance), /var/lib/appliance (0750); on the
# first run only the secrets: JWT signing key (RSA 3072 PEM, /etc/appliance/keys/jwt-<kid>.pem,
# 0600), database and Redis passwords and the 32-byte field-encryption key (base64, 0600) — taken
# from --secrets DIR (the appliance-wide set create-containers.sh hands over, so both API
# instances sign with the same key) or generated here; /etc/appliance/env with the APPLIANCE_*
# settings; the units appliance-api.service and appliance-migrate.service from systemd/ (enabled).
# The binary itself arrives with proxmox/deploy.sh. Re-running changes nothing; secrets are
# never overwritten. --root DIR installs into DIR instead of / (no user, chown, apt or systemd
# daemon); --dry-run prints every command.
#
# Exit codes:
#   0   installed (or already in place)
#   1   a step failed
#   64  usage error
#   66  a unit file is missing
#   77  not root (a live run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib/provision.sh
source "$HERE/lib/provision.sh"
trap 'on_err "$?" "$LINENO"' ERR

provision_parse_args "$@"
require_units appliance-api.service appliance-migrate.service
packages ca-certificates curl openssl
ensure_user
appliance_base_dirs
ensure_dir 0755 root:root /opt/appliance/api
secret_from_source db-password /etc/appliance/keys/db-password 0600 password
secret_from_source redis-password /etc/appliance/keys/redis-password 0600 password
secret_from_source field-encryption.key /etc/appliance/keys/field-encryption.key 0600 key32
ensure_jwt_key
write_app_env api "$JWT_PATH"
install_units appliance-api.service appliance-migrate.service
log "api role provisioned"
