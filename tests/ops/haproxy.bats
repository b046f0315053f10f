#!/usr/bin/env bats
# Usage: bats tests/ops/haproxy.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# A real HAProxy (haproxy/haproxy.cfg rendered by haproxy/render.sh, a certificate from
# haproxy/selfsigned.sh) in front of real API instances (the published appliance-api from
# APPLIANCE_PUBLISHED_API, two primaries and one backup, each naming itself in X-Served-By) on a
# throwaway PostgreSQL and Redis (lib/localstack.sh). Everything listens on 127.0.0.1 and is stopped
# in teardown_file. The failover figures are printed as TAP comments.
# shellcheck disable=SC2154 # output and lines are set by bats' run

bats_require_minimum_version 1.5.0

# Requests per client IP per 10 s in this test: above what the other tests send from 127.0.0.1, and
# reached quickly from 127.0.0.3 by the rate-limit test.
RATE_LIMIT=600

setup_file() {
  load test_helper
  [[ -n "${APPLIANCE_PUBLISHED_API:-}" && -x "${APPLIANCE_PUBLISHED_API:-}" ]] ||
    fail_file "APPLIANCE_PUBLISHED_API does not name the published appliance-api: run through ./appliance test"
  command -v haproxy >/dev/null || fail_file "haproxy is not installed"
  export WORK
  WORK=$(mktemp -d /tmp/appliance-haproxy-test.XXXXXX)
  chmod 0755 "$WORK"
  mkdir -p "$WORK/etc" "$WORK/log"
  local pgport redisport pw
  pw=$(lib_call random_alnum 24)
  pgport=$(lib_call free_port)
  lib_call pg_start "$WORK/pg" "$pgport" "$WORK/pgsock" "$WORK/log/postgres.log" "$pw" --fast 3>&- 2>>"$WORK/log/setup.log"
  lib_call pg_create_app_db "$pgport" "$WORK/pgsock" appliance appliance "$pw" 2>>"$WORK/log/setup.log"
  redisport=$(lib_call free_port)
  lib_call redis_start "$WORK/redis" "$redisport" "$pw" "$WORK/log/redis.log" 3>&- 2>>"$WORK/log/setup.log"
  API_ENV=(
    "APPLIANCE_CONFIG_DIR=$WORK/etc"
    "APPLIANCE_Database__ConnectionString=Host=127.0.0.1;Port=$pgport;Username=appliance;Password=$pw;Database=appliance"
    "APPLIANCE_Redis__Endpoint=127.0.0.1:$redisport"
    "APPLIANCE_Redis__Password=$pw"
    "APPLIANCE_Identity__KeyDirectory=$WORK/keys"
    "APPLIANCE_Security__FieldEncryptionKeyFile=$WORK/keys/field-encryption.key"
    # The client address comes from HAProxy's X-Forwarded-For, as in production.
    "APPLIANCE_Http__TrustedProxies=127.0.0.1"
  )
  "$APPLIANCE_PUBLISHED_API" keys generate --dir "$WORK/keys" >>"$WORK/log/setup.log" 2>&1
  (umask 077 && head -c 32 /dev/urandom | base64 >"$WORK/keys/field-encryption.key")
  env -i PATH=/usr/bin:/bin "${API_ENV[@]}" "$APPLIANCE_PUBLISHED_API" migrate >>"$WORK/log/setup.log" 2>&1

  local name servers='' backup=''
  for name in api-1 api-2 api-backup; do
    start_api "$name"
  done
  for name in api-1 api-2 api-backup; do
    lib_call wait_http "http://127.0.0.1:$(<"$WORK/$name.port")/ready" 30 2>>"$WORK/log/setup.log" ||
      fail_file "$name did not become ready: $(tail -n 5 "$WORK/log/$name.log")"
  done
  servers="api-1=127.0.0.1:$(<"$WORK/api-1.port") api-2=127.0.0.1:$(<"$WORK/api-2.port")"
  backup="api-backup=127.0.0.1:$(<"$WORK/api-backup.port")"

  export HTTP_PORT HTTPS_PORT STATS_PORT STATS_PASSWORD
  HTTP_PORT=$(lib_call free_port)
  HTTPS_PORT=$(lib_call free_port)
  STATS_PORT=$(lib_call free_port)
  STATS_PASSWORD=$(lib_call random_alnum 20)
  "$REPO_ROOT/haproxy/selfsigned.sh" "$WORK/cert.pem" 2>>"$WORK/log/setup.log"
  HAPROXY_API_SERVERS=$servers HAPROXY_API_BACKUP=$backup HAPROXY_STATS_PASSWORD=$STATS_PASSWORD \
    HAPROXY_HTTP_BIND="127.0.0.1:$HTTP_PORT" HAPROXY_HTTPS_BIND="127.0.0.1:$HTTPS_PORT" \
    HAPROXY_STATS_BIND="127.0.0.1:$STATS_PORT" HAPROXY_CERT="$WORK/cert.pem" HAPROXY_STATS_SOCKET="$WORK/admin.sock" \
    HAPROXY_RATE_LIMIT=$RATE_LIMIT HAPROXY_CHECK_INTER=500ms HAPROXY_LOG=stdout HAPROXY_USER='' HAPROXY_GROUP='' HAPROXY_CHROOT='' \
    "$REPO_ROOT/haproxy/render.sh" "$WORK/haproxy.cfg" 2>>"$WORK/log/setup.log"
  # -W master-worker in the foreground, as systemd runs it (-Ws); SIGUSR2 to the master reloads.
  haproxy -W -db -f "$WORK/haproxy.cfg" -p "$WORK/haproxy.pid" >"$WORK/log/haproxy.log" 2>&1 3>&- &
  echo $! >"$WORK/haproxy.master"
  local i
  for ((i = 0; i < 50; i++)); do
    curl -fsk -o /dev/null --max-time 2 "https://127.0.0.1:$HTTPS_PORT/health" && break
    sleep 0.2
  done
  ((i < 50)) || fail_file "haproxy did not answer: $(tail -n 20 "$WORK/log/haproxy.log")"
  # Both primaries marked up (rise 1) before the tests look at the balancing.
  for ((i = 0; i < 50; i++)); do
    [[ "$(stat_field be_api api-1 status)/$(stat_field be_api api-2 status)" == UP/UP ]] && return 0
    sleep 0.2
  done
  fail_file "api-1/api-2 not UP in haproxy"
}

teardown_file() {
  load test_helper
  [[ -n "${WORK:-}" && -d "$WORK" ]] || return 0
  local f
  [[ ! -f "$WORK/haproxy.master" ]] || kill "$(<"$WORK/haproxy.master")" 2>/dev/null || true
  for f in "$WORK"/api-*.pid; do
    if [[ -f "$f" ]]; then kill -9 "$(<"$f")" 2>/dev/null || true; fi
  done
  lib_call redis_stop "$WORK/redis" 3>&- 2>/dev/null || true
  lib_call pg_stop "$WORK/pg" 3>&- 2>/dev/null || true
  if [[ -n "${KEEP_HAPROXY_TEST:-}" ]]; then
    printf '# kept %s\n' "$WORK" >&3
  else
    rm -rf -- "$WORK"
  fi
}

setup() {
  load test_helper
}

fail_file() {
  printf '%s\n' "$*" >&2
  [[ -z "${WORK:-}" ]] || tail -n 20 "$WORK/log/setup.log" >&2 2>/dev/null || true
  return 1
}

# start_api NAME: one published API instance on a free port, naming itself NAME in X-Served-By.
start_api() {
  local name=$1 port
  port=$(lib_call free_port)
  printf '%s\n' "$port" >"$WORK/$name.port"
  # Started from a subshell: not a job of the test shell, so its SIGKILL later prints no "Killed" line.
  (
    env -i PATH=/usr/bin:/bin HOME="$WORK" "${API_ENV[@]}" "APPLIANCE_Http__Url=http://127.0.0.1:$port" \
      "APPLIANCE_Http__InstanceName=$name" "$APPLIANCE_PUBLISHED_API" >"$WORK/log/$name.log" 2>&1 3>&- &
    printf '%s\n' "$!" >"$WORK/$name.pid"
  )
}

# stat_field BACKEND SERVER FIELD: one field of HAProxy's `show stat` for a server.
stat_field() {
  local backend=$1 server=$2 field=$3
  "$PYTHON" - "$WORK/admin.sock" "$backend" "$server" "$field" <<'PY'
import csv, io, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
rows = list(csv.DictReader(io.StringIO(data.decode().lstrip("# "))))
for row in rows:
    if row["pxname"] == sys.argv[2] and row["svname"] == sys.argv[3]:
        print(row[sys.argv[4]])
PY
}

https() {
  curl -sk --max-time 5 "$@"
}

# served_by COUNT PATH: X-Served-By of COUNT sequential requests, one per line ("-" when absent).
served_by() {
  local count=$1 path=$2
  https -o /dev/null -w '%{http_code} %header{x-served-by}\n' "https://127.0.0.1:$HTTPS_PORT$path?n=[1-$count]"
}

@test "round robin: requests alternate between the two API instances, the backup idles" {
  run -0 served_by 10 /health
  printf '# %s\n' "${lines[*]}" >&3
  [ "${#lines[@]}" -eq 10 ]
  local i
  for ((i = 0; i < 10; i++)); do
    [[ "${lines[i]}" == "200 api-"[12] ]]
    ((i == 0)) || [ "${lines[i]}" != "${lines[i - 1]}" ]
  done
  # The UI backend balances the same way (the API serves the UI's files).
  run -0 served_by 4 /
  [[ "${lines[0]#* }" != "${lines[1]#* }" && "${lines[1]#* }" != "${lines[2]#* }" ]]
}

@test "plain HTTP is redirected to HTTPS, path and query kept" {
  run -0 curl -s --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/api/v1/tickets?status=new"
  [ "$output" = "301 https://127.0.0.1:$HTTPS_PORT/api/v1/tickets?status=new" ]
}

@test "security headers are on API answers and on answers HAProxy makes itself" {
  local path
  for path in /health /metrics /api/v1/no-such-thing; do
    run -0 https -D - -o /dev/null "https://127.0.0.1:$HTTPS_PORT$path"
    [[ "$output" == *$'strict-transport-security: max-age=31536000; includeSubDomains\r'* ]]
    [[ "$output" == *$'x-content-type-options: nosniff\r'* ]]
    [[ "$output" == *$'x-frame-options: DENY\r'* ]]
    [[ "$output" == *$'referrer-policy: no-referrer\r'* ]]
    [[ "$output" == *"content-security-policy: default-src 'self';"*"frame-ancestors 'none'"* ]]
    [[ "$output" == *"permissions-policy: camera=()"* ]]
    [[ "${output,,}" != *"server:"* ]]
  done
}

@test "TLS 1.0 and 1.1 are refused, TLS 1.2 (AEAD suites) and 1.3 are accepted" {
  local v
  for v in -tls1 -tls1_1; do
    # SECLEVEL=0: let this client offer the old protocol, so that the refusal is the server's.
    run ! timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" "$v" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null
    [[ "$output" == *"alert protocol version"* || "$output" == *"no protocols available"* || "$output" == *"unsupported protocol"* ]]
    [[ "$output" != *"Cipher is ECDHE"* ]]
  done
  run -0 timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_2 </dev/null
  [[ "$output" == *"Protocol  : TLSv1.2"* ]]
  [[ "$output" =~ Cipher\ +:\ ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305) ]]
  run ! timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0' </dev/null
  run -0 timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_3 </dev/null
  [[ "$output" == *"TLSv1.3"* ]]
  run -0 curl -sk --max-time 5 --tls-max 1.2 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/health"
  [ "$output" = 200 ]
}

@test "X-Request-Id: a sane one is forwarded to the API, a missing or unsafe one is replaced" {
  run -0 https -D - -o "$BATS_TEST_TMPDIR/body" -H 'X-Request-Id: client-abc.123' "https://127.0.0.1:$HTTPS_PORT/api/v1/no-such-thing"
  [[ "$output" == *$'x-request-id: client-abc.123\r'* ]]
  # The API's own envelope carries the id it received: HAProxy forwarded it.
  grep -q '"request_id":"client-abc.123"' "$BATS_TEST_TMPDIR/body"
  grep -q '"code":"RESOURCE_NOT_FOUND"' "$BATS_TEST_TMPDIR/body"
  local header
  for header in 'X-Request-Id;' 'X-Request-Id: has spaces and <tags>'; do
    run -0 https -D - -o "$BATS_TEST_TMPDIR/body" -H "$header" "https://127.0.0.1:$HTTPS_PORT/api/v1/no-such-thing"
    # HAProxy's id is a UUID v4 (the API would have made a v7 one), echoed by the API.
    [[ "$output" =~ x-request-id:\ (req_[0-9a-f]{12}4[0-9a-f]{19})$'\r' ]]
    grep -q "\"request_id\":\"${BASH_REMATCH[1]}\"" "$BATS_TEST_TMPDIR/body"
  done
}

@test "/metrics is refused from outside with the error envelope" {
  local path
  for path in /metrics /metrics/ /metrics/x '/metrics?format=prometheus'; do
    run -0 https -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}' -H 'X-Request-Id: metrics-probe' "https://127.0.0.1:$HTTPS_PORT$path"
    [[ "$output" == *'"code":"PERMISSION_DENIED"'*'"request_id":"metrics-probe"'*'}403' ]]
    grep -qi '^content-type: application/json' "$BATS_TEST_TMPDIR/headers"
    grep -qi '^x-served-by:' "$BATS_TEST_TMPDIR/headers" && return 1
  done
  # The UI part only reads.
  run -0 https -o /dev/null -w '%{http_code}' -X POST "https://127.0.0.1:$HTTPS_PORT/index.html"
  [ "$output" = 405 ]
}

@test "the stats page needs the credentials from the environment" {
  run -0 curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$STATS_PORT/stats"
  [ "$output" = 401 ]
  run -0 curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u "admin:wrong-password" "http://127.0.0.1:$STATS_PORT/stats"
  [ "$output" = 401 ]
  run -0 curl -s --max-time 5 -u "admin:$STATS_PASSWORD" "http://127.0.0.1:$STATS_PORT/stats;csv"
  [[ "$output" == *"be_api,api-1,"* && "$output" == *"be_api,api-backup,"* ]]
}

@test "the per-IP rate limit answers 429 with the envelope and Retry-After; other addresses go on" {
  # From 127.0.0.3: its own stick-table entry, so the other tests (from 127.0.0.1) are not limited.
  local total=$((RATE_LIMIT + 20)) ok limited
  run -0 curl -sk --interface 127.0.0.3 --max-time 60 -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$HTTPS_PORT/health?n=[1-$total]"
  ok=$(grep -c '^200$' <<<"$output" || true)
  limited=$(grep -c '^429$' <<<"$output" || true)
  printf '# from 127.0.0.3: %s answered, %s limited (limit %s per 10 s)\n' "$ok" "$limited" "$RATE_LIMIT" >&3
  # /health is exempt from the limit...
  [ "$ok" -eq "$total" ]
  run -0 curl -sk --interface 127.0.0.3 --max-time 60 -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$HTTPS_PORT/api/v1/x?n=[1-$total]"
  limited=$(grep -c '^429$' <<<"$output" || true)
  printf '# API paths from 127.0.0.3: %s of %s limited\n' "$limited" "$total" >&3
  # ...the rest is not: everything beyond the limit is 429 (a few more may pass while the rate window moves).
  ((limited >= 15 && limited <= 20))
  run -0 curl -sk --interface 127.0.0.3 --max-time 5 -D "$BATS_TEST_TMPDIR/headers" -H 'X-Request-Id: limited-1' -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/api/v1/tickets"
  [[ "$output" == '{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"'*'","details":[],"request_id":"limited-1","timestamp":"'????-??-??T??:??:??Z'"}}429' ]]
  grep -qi $'^retry-after: 10\r$' "$BATS_TEST_TMPDIR/headers"
  grep -qi '^strict-transport-security:' "$BATS_TEST_TMPDIR/headers"
  run -0 https -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/api/v1/no-such-thing"
  [ "$output" = 404 ]
}

# loop_in_background COUNT FILE: COUNT sequential GET /ready (PostgreSQL and Redis behind it) at 200/s over
# one keep-alive connection, "code served-by" per line into FILE; sets LOOP_PID.
loop_in_background() {
  local count=$1 file=$2
  # stdbuf: one line per answer as it comes (a file would get curl's output in 4 KiB blocks).
  timeout 60 stdbuf -oL curl -sk --rate 200/s --max-time 10 -o /dev/null -w '%{http_code} %header{x-served-by}\n' \
    "https://127.0.0.1:$HTTPS_PORT/ready?n=[1-$count]" >"$file" 2>/dev/null 3>&- &
  LOOP_PID=$!
}

wait_lines() {
  local file=$1 want=$2 i
  for ((i = 0; i < 200; i++)); do
    (($(wc -l <"$file") >= want)) && return 0
    sleep 0.05
  done
  return 1
}

@test "a reload (SIGUSR2 to the master) during a request loop loses no request" {
  loop_in_background 400 "$BATS_TEST_TMPDIR/loop"
  wait_lines "$BATS_TEST_TMPDIR/loop" 100
  kill -USR2 "$(<"$WORK/haproxy.master")"
  wait "$LOOP_PID"
  local failed
  failed=$(grep -vc '^200 ' "$BATS_TEST_TMPDIR/loop" || true)
  printf '# reload during 400 requests: %s failed\n' "$failed" >&3
  [ "$(wc -l <"$BATS_TEST_TMPDIR/loop")" -eq 400 ]
  [ "$failed" -eq 0 ]
  grep -q 'Reloading HAProxy' "$WORK/log/haproxy.log"
  grep -q 'Former worker ([0-9]*) exited with code 0' "$WORK/log/haproxy.log"
}

@test "SIGKILL of one instance during a steady loop loses no request; then the backup takes over" {
  loop_in_background 600 "$BATS_TEST_TMPDIR/loop"
  wait_lines "$BATS_TEST_TMPDIR/loop" 150
  local killed_at
  killed_at=$(wc -l <"$BATS_TEST_TMPDIR/loop")
  kill -9 "$(<"$WORK/api-1.pid")"
  wait "$LOOP_PID"
  local total failed api1_after api2_after
  total=$(wc -l <"$BATS_TEST_TMPDIR/loop")
  failed=$(grep -vc '^200 ' "$BATS_TEST_TMPDIR/loop" || true)
  api1_after=$(tail -n +"$((killed_at + 5))" "$BATS_TEST_TMPDIR/loop" | grep -c ' api-1$' || true)
  api2_after=$(tail -n +"$((killed_at + 5))" "$BATS_TEST_TMPDIR/loop" | grep -c ' api-2$' || true)
  printf '# SIGKILL api-1 after %s of %s requests: %s failed, afterwards api-2 served %s, api-1 %s\n' \
    "$killed_at" "$total" "$failed" "$api2_after" "$api1_after" >&3
  [ "$total" -eq 600 ]
  [ "$failed" -eq 0 ]
  [ "$api1_after" -eq 0 ]
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(stat_field be_api api-1 status)" = DOWN ] && break
    sleep 0.1
  done
  [ "$(stat_field be_api api-1 status)" = DOWN ]

  # Both primaries gone: once HAProxy marks api-2 down too, the backup answers everything.
  loop_in_background 400 "$BATS_TEST_TMPDIR/loop2"
  wait_lines "$BATS_TEST_TMPDIR/loop2" 50
  killed_at=$(wc -l <"$BATS_TEST_TMPDIR/loop2")
  kill -9 "$(<"$WORK/api-2.pid")"
  wait "$LOOP_PID"
  total=$(wc -l <"$BATS_TEST_TMPDIR/loop2")
  failed=$(grep -vc '^200 ' "$BATS_TEST_TMPDIR/loop2" || true)
  local first_backup
  first_backup=$(grep -n ' api-backup$' "$BATS_TEST_TMPDIR/loop2" | head -n 1 | cut -d: -f1)
  printf '# SIGKILL api-2 (last primary) after %s of %s requests: %s failed, backup answering from request %s on\n' \
    "$killed_at" "$total" "$failed" "${first_backup:-never}" >&3
  [ -n "$first_backup" ]
  # From the first backup answer on, every request is answered by the backup.
  [ "$(tail -n +"$first_backup" "$BATS_TEST_TMPDIR/loop2" | grep -vc '^200 api-backup$' || true)" -eq 0 ]
  [ "$(stat_field be_api api-2 status)" = DOWN ]
  [ "$(stat_field be_api api-backup status)" = UP ]
}
