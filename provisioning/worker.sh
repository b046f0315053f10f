#!/usr/bin/env bash
# Usage: provisioning/worker.sh [--dry-run] [--root DIR] [--secrets DIR] [--units DIR]
#
# Installs the worker role inside its container: like api.sh (user, directories, database and
# Redis passwords, field-encryption key on the first run only, /etc/appliance/env) without the JWT
# key, with /opt/appliance/worker and the unit appliance-worker.service (enabled).
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
require_units appliance-worker.service
packages ca-certificates curl
ensure_user
appliance_base_dirs
ensure_dir 0755 root:root /opt/appliance/worker
secret_from_source db-password /etc/appliance/keys/db-password 0600 password
secret_from_source redis-password /etc/appliance/keys/redis-password 0600 password
secret_from_source field-encryption.key /etc/appliance/keys/field-encryption.key 0600 key32
write_app_env worker
install_units appliance-worker.service
log "worker role provisioned"
