# Usage: source provisioning/lib/secrets.sh   (sourced after lib/common.sh, never executed)
# shellcheck shell=bash
#
# Generation of the appliance's secrets. Each is created on first use only and never overwritten.
#
#   ensure_secret PATH MODE KIND      create PATH with MODE unless it exists; KIND: password
#                                     (32 alphanumerics), key32 (32 random bytes, base64), rsa3072 (PEM)
#   new_kid                           a key id: UTC date + 8 hex characters
#   ensure_shared_secrets DIR         the appliance-wide set in DIR (0700): db-password,
#                                     replication-password, redis-password, field-encryption.key,
#                                     jwt-<kid>.pem — what several containers must share
#
# Return codes: 0 ok; 1 generation failed or bad KIND.

if [[ -n "${_APPLIANCE_SECRETS_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_SECRETS_SH=1

_secret_content() {
  case "$1" in
    password) random_alnum 32 ;;
    key32) head -c 32 /dev/urandom | base64 -w0 && echo ;;
    rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 2>/dev/null ;;
    *) echo "unknown secret kind '$1'" >&2; return 1 ;;
  esac
}

ensure_secret() {
  local path=${1:?ensure_secret PATH MODE KIND} mode=${2:?} kind=${3:?} content
  if [[ -s "$path" ]]; then
    log "secret $path exists; keeping it"
    return 0
  fi
  if is_dry_run; then
    printf '[dry-run] generate %s secret %q (mode %s)\n' "$kind" "$path" "$mode"
    return 0
  fi
  content=$(_secret_content "$kind") || return 1
  [[ -n "$content" ]] || { echo "empty $kind secret" >&2; return 1; }
  log "generating $kind secret $path"
  printf '%s\n' "$content" | write_file "$mode" "$path"
}

new_kid() {
  local hex
  hex=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%(%Y%m%d)T-%s\n' -1 "$hex"
}

ensure_shared_secrets() {
  local dir=${1:?ensure_shared_secrets DIR} name
  if [[ ! -d "$dir" ]]; then
    run install -d -m 0700 "$dir"
  fi
  for name in db-password replication-password redis-password; do
    ensure_secret "$dir/$name" 0600 password
  done
  ensure_secret "$dir/field-encryption.key" 0600 key32
  if compgen -G "$dir/jwt-*.pem" >/dev/null; then
    log "JWT signing key $(compgen -G "$dir/jwt-*.pem" | head -n 1) exists; keeping it"
  else
    ensure_secret "$dir/jwt-$(new_kid).pem" 0600 rsa3072
  fi
}
