#!/usr/bin/env bats
# Usage: bats tests/ops/haproxy_config.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# haproxy/render.sh and haproxy/selfsigned.sh: the rendered configuration passes `haproxy -c`
# (warnings count), bad values are refused without touching the output, re-rendering is idempotent.
# shellcheck disable=SC2154 # output and stderr are set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  command -v haproxy >/dev/null || { echo "haproxy not installed" >&2; return 1; }
  D=$BATS_TEST_TMPDIR
  "$REPO_ROOT/haproxy/selfsigned.sh" "$D/cert.pem" 2>/dev/null
  export HAPROXY_API_SERVERS="api-1=10.0.20.11:8080 api-2=10.0.20.12:8080"
  export HAPROXY_API_BACKUP="api-3=10.0.20.13:8080"
  export HAPROXY_STATS_PASSWORD="s3cret-Passw0rd"
  export HAPROXY_CERT="$D/cert.pem" HAPROXY_STATS_SOCKET="$D/admin.sock"
}

render() {
  "$REPO_ROOT/haproxy/render.sh" "$@"
}

@test "the rendered configuration passes haproxy -c with zero warnings" {
  run -0 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"wrote $D/haproxy.cfg"* ]]
  run -0 haproxy -c -dW -f "$D/haproxy.cfg"
  [ "$(stat -c %a "$D/haproxy.cfg")" = 640 ]
  grep -q '^    server api-1 10.0.20.11:8080$' "$D/haproxy.cfg"
  grep -q '^    server api-3 10.0.20.13:8080 backup$' "$D/haproxy.cfg"
  grep -q 'ssl-min-ver TLSv1.2' "$D/haproxy.cfg"
  grep -q '^    stats auth "admin:s3cret-Passw0rd"$' "$D/haproxy.cfg"
  grep -q '^    chroot /var/lib/haproxy$' "$D/haproxy.cfg"
  grep -q 'sc_http_req_rate(0) gt 100 }$' "$D/haproxy.cfg"
  # Standard port: redirects carry no port.
  grep -q 'redirect location https://%\[req.hdr(host),regsub(:\[0-9\]+$,)\]%\[capture.req.uri\] code 301' "$D/haproxy.cfg"
  run ! grep -q '@[A-Z_]*@' "$D/haproxy.cfg"
}

@test "rendering again is a no-op; a changed value rewrites the file" {
  render "$D/haproxy.cfg" 2>/dev/null
  touch -d '2000-01-01' "$D/haproxy.cfg"
  run -0 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"is up to date"* ]]
  [ "$(stat -c %Y "$D/haproxy.cfg")" = "$(date -d '2000-01-01' +%s)" ]
  HAPROXY_RATE_LIMIT=250 run -0 --separate-stderr render "$D/haproxy.cfg"
  grep -q 'sc_http_req_rate(0) gt 250 }$' "$D/haproxy.cfg"
}

@test "values come from an env file too, and the environment wins" {
  unset HAPROXY_STATS_PASSWORD HAPROXY_API_BACKUP HAPROXY_API_SERVERS
  printf '%s\n' '# appliance haproxy settings' 'HAPROXY_STATS_PASSWORD="from-the-file-1"' \
    "export HAPROXY_RATE_LIMIT=300" 'HAPROXY_API_SERVERS=api-9=10.0.20.19:8080' >"$D/env"
  HAPROXY_RATE_LIMIT=400 run -0 render --env "$D/env" "$D/haproxy.cfg"
  grep -q 'stats auth "admin:from-the-file-1"' "$D/haproxy.cfg"
  grep -q 'gt 400 }$' "$D/haproxy.cfg"
  run ! grep -q 'api-1' "$D/haproxy.cfg"
  printf 'rm -rf /\n' >"$D/bad.env"
  run -65 --separate-stderr render --env "$D/bad.env" "$D/other.cfg"
  [[ "$stderr" == *"bad.env:1: expected HAPROXY_NAME=VALUE"* ]]
}

@test "missing or invalid values are refused with exit 65 and the output is not touched" {
  printf 'previous\n' >"$D/haproxy.cfg"
  HAPROXY_STATS_PASSWORD='' run -65 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"HAPROXY_STATS_PASSWORD is missing"* ]]
  HAPROXY_STATS_PASSWORD='short' run -65 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"HAPROXY_STATS_PASSWORD must be"*"(value not shown)"* ]]
  [[ "$stderr" != *short* ]]
  HAPROXY_STATS_PASSWORD="has\"quote\$and-more" run -65 render "$D/haproxy.cfg"
  HAPROXY_API_SERVERS='' run -65 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"HAPROXY_API_SERVERS is missing"* ]]
  HAPROXY_API_SERVERS='api-1=10.0.20.11' run -65 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"'api-1=10.0.20.11' is not NAME=HOST:PORT"* ]]
  HAPROXY_API_SERVERS='api-1=10.0.20.11:99999' run -65 render "$D/haproxy.cfg"
  HAPROXY_API_BACKUP='api-1=10.0.20.13:8080' run -65 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"server name 'api-1' is used twice"* ]]
  HAPROXY_HTTPS_BIND='0.0.0.0:443 ssl crt /evil' run -65 render "$D/haproxy.cfg"
  HAPROXY_CERT=$'/x.pem\n    server evil 1.2.3.4:80' run -65 render "$D/haproxy.cfg"
  HAPROXY_RATE_LIMIT=0 run -65 render "$D/haproxy.cfg"
  [ "$(cat "$D/haproxy.cfg")" = previous ]
}

@test "a configuration haproxy rejects is not written (exit 1)" {
  printf 'previous\n' >"$D/haproxy.cfg"
  HAPROXY_CERT="$D/no-such-cert.pem" run -1 --separate-stderr render "$D/haproxy.cfg"
  [[ "$stderr" == *"haproxy -c rejected the rendered configuration"* ]]
  [ "$(cat "$D/haproxy.cfg")" = previous ]
  run ! compgen -G "$D/haproxy.cfg.tmp.*"
}

@test "usage errors exit 64; --dry-run renders and checks but writes nothing" {
  run -64 render
  run -64 render --bogus "$D/x.cfg"
  run -64 render "$D/a.cfg" "$D/b.cfg"
  run -0 render --dry-run "$D/dry.cfg"
  [[ "$output" == *"[dry-run] write $D/dry.cfg (mode 0640)"* ]]
  [ ! -e "$D/dry.cfg" ]
}

@test "selfsigned.sh: a key and a certificate for the name, localhost and 127.0.0.1; kept while valid" {
  run -0 openssl x509 -in "$D/cert.pem" -noout -ext subjectAltName -checkend 86400
  [[ "$output" == *"DNS:appliance.local, DNS:localhost, IP Address:127.0.0.1"* ]]
  openssl pkey -in "$D/cert.pem" -noout
  [ "$(stat -c %a "$D/cert.pem")" = 600 ]
  local before
  before=$(sha256sum <"$D/cert.pem")
  run -0 --separate-stderr "$REPO_ROOT/haproxy/selfsigned.sh" "$D/cert.pem"
  [[ "$stderr" == *"kept"* ]]
  [ "$(sha256sum <"$D/cert.pem")" = "$before" ]
  run -0 "$REPO_ROOT/haproxy/selfsigned.sh" --force --name psa.example --days 30 "$D/cert.pem"
  [ "$(sha256sum <"$D/cert.pem")" != "$before" ]
  run -0 openssl x509 -in "$D/cert.pem" -noout -subject
  [[ "$output" == *"CN = psa.example"* ]]
  # A certificate that expires within 30 days is replaced on the next run.
  run -0 --separate-stderr "$REPO_ROOT/haproxy/selfsigned.sh" "$D/cert.pem"
  [[ "$stderr" == *"wrote"* ]]
  run -64 "$REPO_ROOT/haproxy/selfsigned.sh" --days x "$D/c.pem"
  run -64 "$REPO_ROOT/haproxy/selfsigned.sh"
}
