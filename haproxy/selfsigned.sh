#!/usr/bin/env bash
# Usage: haproxy/selfsigned.sh [--days N] [--name DNSNAME] [--force] [--dry-run] OUTPUT.pem
#
# Writes a self-signed certificate for local use and its private key (ECDSA P-256) into one PEM file
# as HAProxy's `crt` wants it (mode 0600). Subject alternative names: DNSNAME (default
# appliance.local), localhost and 127.0.0.1. Idempotent: an existing OUTPUT that holds a certificate
# valid for at least 30 more days and its matching key is kept; --force replaces it. Production
# uses a certificate from the MSP's CA instead (same file layout).
#
# Exit codes:
#   0   OUTPUT written, or kept because it is still valid
#   1   openssl failed (nothing written)
#   64  usage error
#   69  openssl is not installed
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SCRIPT_NAME=haproxy-selfsigned
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
trap 'on_err "$?" "$LINENO"' ERR

DAYS=365
NAME=appliance.local
FORCE=0
OUTPUT=''

while (($# > 0)); do
  case "$1" in
    --days)
      if (($# < 2)) || ! [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]]; then
        die "--days needs a number of days (1-99999)" 64
      fi
      DAYS=$2
      shift 2
      ;;
    --name)
      if (($# < 2)) || ! [[ "$2" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]]; then
        die "--name needs a DNS name" 64
      fi
      NAME=$2
      shift 2
      ;;
    --force) FORCE=1 && shift ;;
    --dry-run) DRY_RUN=1 && shift ;;
    -h | --help)
      sed -n '2,/^set -Eeuo/{/^set -Eeuo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown option '$1' (see --help)" 64 ;;
    *)
      [[ -z "$OUTPUT" ]] || die "only one OUTPUT may be given" 64
      OUTPUT=$1
      shift
      ;;
  esac
done
[[ -n "$OUTPUT" ]] || die "OUTPUT is missing (usage: selfsigned.sh [--days N] [--name DNSNAME] [--force] OUTPUT.pem)" 64
require_cmd openssl

# still_valid FILE: a certificate valid for 30 more days whose public key matches the file's private key.
still_valid() {
  local file=$1 cert_key key_key
  [[ -r "$file" ]] || return 1
  openssl x509 -in "$file" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 || return 1
  cert_key=$(openssl x509 -in "$file" -noout -pubkey 2>/dev/null) || return 1
  key_key=$(openssl pkey -in "$file" -pubout 2>/dev/null) || return 1
  [[ -n "$cert_key" && "$cert_key" == "$key_key" ]]
}

if ((FORCE == 0)) && still_valid "$OUTPUT"; then
  log "$OUTPUT holds a valid certificate; kept (use --force to replace it)"
  exit 0
fi

if is_dry_run; then
  _print_cmd openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$DAYS" \
    -subj "/CN=$NAME" -addext "subjectAltName=DNS:$NAME,DNS:localhost,IP:127.0.0.1" -keyout KEY -out CERT
  printf '[dry-run] write %q (mode 0600)\n' "$OUTPUT"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$DAYS" \
  -subj "/CN=$NAME" -addext "subjectAltName=DNS:$NAME,DNS:localhost,IP:127.0.0.1" \
  -addext "extendedKeyUsage=serverAuth" -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.log" 2>&1; then
  cat -- "$work/openssl.log" >&2
  die "openssl could not create the certificate; $OUTPUT was not changed" 1
fi
cat -- "$work/cert.pem" "$work/key.pem" | write_file 0600 "$OUTPUT"
log "wrote $OUTPUT (self-signed for $NAME, localhost, 127.0.0.1; $DAYS days)"
