#!/usr/bin/env bash
# Usage: provisioning/redis.sh [--dry-run] [--root DIR] [--secrets DIR]
#
# Installs Redis for the appliance inside its container: /etc/redis/appliance.conf (0640
# root:redis), included at the end of /etc/redis/redis.conf so it wins, with bind to the database
# segment address 10.0.30.12 and localhost only, protected-mode yes, requirepass (the password from
# /etc/appliance/keys/redis-password: --secrets DIR on the first run, else generated; never
# overwritten), maxmemory 75 % of the container's memory and maxmemory-policy volatile-lru (only
# keys with a TTL are evicted: caches and rate-limit windows have one, anything without a TTL is
# state that must not vanish). Restarts redis-server only when a file changed.
#
# Exit codes:
#   0   installed (or already in place)
#   1   a step failed
#   64  usage error
#   77  not root (a live run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib/provision.sh
source "$HERE/lib/provision.sh"
trap 'on_err "$?" "$LINENO"' ERR

provision_parse_args "$@"
packages redis-server
ensure_dir 0750 root:root /etc/appliance
ensure_dir 0700 root:root /etc/appliance/keys
secret_from_source redis-password /etc/appliance/keys/redis-password 0600 password root:root

maxmemory_mb=$(($(topology_get redis memory) * 3 / 4))
ensure_dir 0755 root:root /etc/redis
write_if_changed 0640 root:redis /etc/redis/appliance.conf <<EOF_CONF
# Written by provisioning/redis.sh.
bind $(topology_get redis ip) 127.0.0.1
protected-mode yes
port 6379
requirepass $(_read_secret /etc/appliance/keys/redis-password)
maxmemory ${maxmemory_mb}mb
maxmemory-policy volatile-lru
EOF_CONF

include='include /etc/redis/appliance.conf'
main=$(P /etc/redis/redis.conf)
if [[ -f "$main" ]] && grep -qxF -- "$include" "$main"; then
  log "/etc/redis/redis.conf already includes appliance.conf"
else
  write_if_changed 0640 redis:redis /etc/redis/redis.conf < <(
    if [[ -f "$main" ]]; then cat -- "$main"; fi
    printf '%s\n' "$include"
  )
fi

if live; then
  run systemctl enable redis-server.service
  if ((FILES_CHANGED)); then run systemctl restart redis-server.service; else run systemctl start redis-server.service; fi
fi
log "redis role provisioned"
