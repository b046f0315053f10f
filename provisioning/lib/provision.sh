# Usage: source provisioning/lib/provision.sh   (sourced by provisioning/<role>.sh, never executed)
# shellcheck shell=bash
#
# Shared steps of the in-container install scripts. Paths are given as they are on the target and
# prefixed with ROOT (--root DIR; default /), so bats can install into a temporary directory.
# Under --root other than /, nothing touches the running system: no apt-get, no useradd, no chown
# (the appliance user exists only in the target), no live database; systemctl runs as
# `systemctl --root=DIR enable`, which only writes the [Install] symlinks.
#
#   provision_parse_args "$@"      --dry-run --root DIR --secrets DIR --units DIR --replica --config FILE -h;
#                                  sets DRY_RUN ROOT SECRETS_SRC UNITS_DIR REPLICA CONFIG_FILE
#   P PATH                         ROOT-prefixed PATH
#   live                           true when installing into / (not --root)
#   ensure_user                    the `appliance` system user and group (nologin, home /var/lib/appliance)
#   ensure_dir MODE OWNER:GROUP PATH
#   install_file MODE OWNER:GROUP SRC DEST     copy if missing or different, else say so
#   write_if_changed MODE OWNER:GROUP DEST     stdin → DEST if the content differs (sets FILES_CHANGED=1)
#   secret_from_source NAME DEST MODE KIND [OWNER]  DEST kept if present; else copied from --secrets
#                                  DIR (shared by several containers); else generated here
#   ensure_jwt_key                 /etc/appliance/keys/jwt-<kid>.pem (RSA 3072, 0600); sets JWT_PATH
#   appliance_base_dirs            /opt/appliance 0755, /etc/appliance and keys/ 0750 root:appliance,
#                                  /var/lib/appliance 0750 appliance:appliance
#   write_app_env ROLE             /etc/appliance/env (0640 root:appliance) with the APPLIANCE_* settings
#   require_units UNIT...          die (66) unless every UNIT is in the units directory
#   install_units UNIT...          systemd/UNIT → /etc/systemd/system, daemon-reload, enable
#   packages PKG...                apt_install the ones not installed yet (live only)
#
# Return codes: 0 ok; 1 a step failed; provision_parse_args exits 64 on a usage error, 66 when a
# unit file is missing.

if [[ -n "${_APPLIANCE_PROVISION_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_PROVISION_SH=1

PROVISION_REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../lib/common.sh
source "$PROVISION_REPO/lib/common.sh"
# shellcheck source=../../proxmox/lib/topology.sh
source "$PROVISION_REPO/proxmox/lib/topology.sh"
# shellcheck source=secrets.sh
source "$PROVISION_REPO/provisioning/lib/secrets.sh"

ROOT=/
SECRETS_SRC=''
UNITS_DIR="$PROVISION_REPO/systemd"
REPLICA=0
CONFIG_FILE=''
APP_USER=appliance
# Set to 1 by write_if_changed when it wrote something: the role scripts restart a service only then.
FILES_CHANGED=0

provision_usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

provision_parse_args() {
  while (($#)); do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --root) [[ -n "${2:-}" ]] || die "--root needs a directory" 64; ROOT=$2; shift ;;
      --secrets) [[ -d "${2:-}" ]] || die "--secrets needs an existing directory, got '${2:-}'" 64; SECRETS_SRC=$2; shift ;;
      --units) [[ -d "${2:-}" ]] || die "--units needs an existing directory, got '${2:-}'" 64; UNITS_DIR=$2; shift ;;
      --replica) REPLICA=1 ;;
      --config) [[ -f "${2:-}" ]] || die "--config needs an existing file, got '${2:-}'" 64; CONFIG_FILE=$2; shift ;;
      -h | --help) provision_usage; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" 64 ;;
    esac
    shift
  done
  if [[ "$ROOT" != / ]]; then
    [[ -d "$ROOT" ]] || die "--root: '$ROOT' is not a directory" 64
    ROOT=$(cd -- "$ROOT" && pwd -P)
  fi
  export DRY_RUN REPLICA CONFIG_FILE
  if live && ! is_dry_run; then
    require_root
  fi
}

live() { [[ "$ROOT" == / ]]; }

P() {
  if live; then printf '%s\n' "$1"; else printf '%s%s\n' "$ROOT" "$1"; fi
}

_owner() {
  # chown only on the live system: the target's users do not exist on the machine running --root.
  live || return 0
  run chown "$1" "$2"
}

ensure_user() {
  if ! live; then
    log "--root: not creating the $APP_USER user on this machine"
    return 0
  fi
  if getent passwd "$APP_USER" >/dev/null; then
    log "user $APP_USER exists"
  else
    log "creating system user $APP_USER"
    run useradd --system --user-group --home-dir /var/lib/appliance --no-create-home --shell /usr/sbin/nologin "$APP_USER"
  fi
}

ensure_dir() {
  local mode=$1 owner=$2 path
  path=$(P "$3")
  if [[ -d "$path" ]] && [[ "$(stat -c %a "$path")" == "${mode#0}" ]]; then
    log "directory $3 exists (mode $mode)"
  else
    log "directory $3 (mode $mode, $owner)"
    run install -d -m "$mode" "$path"
    run chmod "$mode" "$path"
  fi
  _owner "$owner" "$path"
}

write_if_changed() {
  local mode=$1 owner=$2 dest content
  dest=$(P "$3")
  content=$(cat)
  if [[ -f "$dest" ]] && [[ "$(cat -- "$dest")" == "$content" ]] && [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
    log "$3 unchanged"
  else
    log "writing $3 (mode $mode)"
    printf '%s\n' "$content" | write_file "$mode" "$dest"
    export FILES_CHANGED=1
  fi
  is_dry_run || _owner "$owner" "$dest"
}

install_file() {
  local mode=$1 owner=$2 src=$3
  [[ -f "$src" ]] || die "missing source file $src" 66
  write_if_changed "$mode" "$owner" "$4" <"$src"
}

secret_from_source() {
  local name=$1 dest mode=$3 kind=$4 owner=${5:-$APP_USER:$APP_USER}
  dest=$(P "$2")
  if [[ -s "$dest" ]]; then
    log "secret $2 exists; keeping it"
  elif [[ -n "$SECRETS_SRC" && -s "$SECRETS_SRC/$name" ]]; then
    log "secret $2 from the appliance's shared secrets"
    write_file "$mode" "$dest" <"$SECRETS_SRC/$name"
  else
    ensure_secret "$dest" "$mode" "$kind"
  fi
  is_dry_run || _owner "$owner" "$dest"
}

ensure_jwt_key() {
  local keys existing src
  keys=$(P /etc/appliance/keys)
  existing=$(compgen -G "$keys/jwt-*.pem" | LC_ALL=C sort | tail -n 1 || true)
  if [[ -n "$existing" ]]; then
    log "JWT signing key ${existing#"$keys"/} exists; keeping it"
  else
    src=''
    [[ -n "$SECRETS_SRC" ]] && src=$(compgen -G "$SECRETS_SRC/jwt-*.pem" | head -n 1 || true)
    if [[ -n "$src" ]]; then
      existing="$keys/$(basename "$src")"
      log "JWT signing key $(basename "$src") from the appliance's shared secrets"
      write_file 0600 "$existing" <"$src"
    else
      existing="$keys/jwt-$(new_kid).pem"
      ensure_secret "$existing" 0600 rsa3072
    fi
    is_dry_run || _owner "$APP_USER:$APP_USER" "$existing"
  fi
  JWT_PATH="/etc/appliance/keys/${existing##*/}"
  export JWT_PATH
}

appliance_base_dirs() {
  ensure_dir 0755 root:root /opt/appliance
  ensure_dir 0750 "root:$APP_USER" /etc/appliance
  ensure_dir 0750 "root:$APP_USER" /etc/appliance/keys
  ensure_dir 0750 "$APP_USER:$APP_USER" /var/lib/appliance
}

_read_secret() {
  local f
  f=$(P "$1")
  if [[ -s "$f" ]]; then
    head -n 1 -- "$f"
  elif is_dry_run; then
    printf 'DRY-RUN-SECRET\n'
  else
    die "secret $1 missing"
  fi
}

write_app_env() {
  local role=$1 db_pw redis_pw jwt_path=${2:-}
  db_pw=$(_read_secret /etc/appliance/keys/db-password)
  redis_pw=$(_read_secret /etc/appliance/keys/redis-password)
  # Process substitution, not a pipe: write_if_changed must run in this shell to set FILES_CHANGED.
  write_if_changed 0640 "root:$APP_USER" /etc/appliance/env < <(
    printf '# Written by provisioning/%s.sh; re-running it rewrites this file from the keys/ directory.\n' "$role"
    printf 'APPLIANCE_Database__ConnectionString=Host=%s;Port=5432;Database=appliance;Username=appliance;Password=%s\n' \
      "$(topology_get postgres ip)" "$db_pw"
    printf 'APPLIANCE_Redis__Endpoint=%s:6379\n' "$(topology_get redis ip)"
    printf 'APPLIANCE_Redis__Password=%s\n' "$redis_pw"
    printf 'APPLIANCE_Security__FieldEncryptionKeyFile=/etc/appliance/keys/field-encryption.key\n'
    if [[ "$role" == api ]]; then
      printf 'APPLIANCE_Http__Url=http://0.0.0.0:%s/\n' "$API_PORT"
      # Client addresses (login limits, rate limits, audit) come from HAProxy's X-Forwarded-For.
      printf 'APPLIANCE_Http__TrustedProxies=%s\n' "$(topology_get haproxy ip)"
      # The API reads every jwt-<kid>.pem there; the newest kid signs (rotation keeps older ones for validation).
      printf 'APPLIANCE_Identity__KeyDirectory=%s\n' "${jwt_path%/*}"
    fi
  )
}

# Called before anything is written, so a missing unit leaves nothing half-installed.
require_units() {
  local unit
  for unit in "$@"; do
    [[ -f "$UNITS_DIR/$unit" ]] || die "unit file $UNITS_DIR/$unit not found (systemd/ of the repository, or --units DIR)" 66
  done
}

install_units() {
  require_units "$@"
  ensure_dir 0755 root:root /etc/systemd/system
  for unit in "$@"; do
    install_file 0644 root:root "$UNITS_DIR/$unit" "/etc/systemd/system/$unit"
  done
  if live; then
    run systemctl daemon-reload
    run systemctl enable "$@"
  else
    run systemctl --root="$ROOT" enable "$@"
  fi
}

packages() {
  local pkg missing=()
  if ! live; then
    log "--root: not installing packages ($*)"
    return 0
  fi
  for pkg in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] || missing+=("$pkg")
  done
  # The template ships them: containers without internet (database segment) need no apt-get.
  if ((${#missing[@]} == 0)); then
    log "packages already installed: $*"
    return 0
  fi
  apt_install "${missing[@]}"
}
