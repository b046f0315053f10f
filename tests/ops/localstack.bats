#!/usr/bin/env bats
# Usage: bats tests/ops/localstack.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# lib/localstack.sh: ports, a real throwaway Redis and PostgreSQL, wait_http.
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  WORK=''
}

teardown() {
  stop_listener
  if [[ -n "$WORK" ]]; then
    lib_call redis_stop "$WORK/redis" 3>&- || true
    lib_call pg_stop "$WORK/repo/.state/pg" 3>&- || true
    rm -rf -- "$WORK"
  fi
}

@test "free_port prints a port nothing listens on" {
  run -0 lib_call free_port
  [[ "$output" =~ ^[0-9]+$ ]]
  ((output >= 15000 && output < 32768))
  run -1 lib_call port_in_use "$output"
}

@test "port_in_use detects a listener on 127.0.0.1 and its end" {
  port=$(lib_call free_port)
  run -1 lib_call port_in_use "$port"
  start_listener "$port"
  run -0 lib_call port_in_use "$port"
  stop_listener
  run -1 lib_call port_in_use "$port"
}

@test "redis: start, ping with password, idempotent start, stop, idempotent stop" {
  WORK=$(mktemp -d)
  port=$(lib_call free_port)
  run -0 lib_call redis_start "$WORK/redis" "$port" s3cret "$WORK/redis.log" 3>&-
  run -0 lib_call redis_ping "$port" s3cret
  run -1 lib_call redis_ping "$port" wrong
  run -1 lib_call redis_ping "$port" ""
  grep -qx 'bind 127.0.0.1' "$WORK/redis/redis.conf"
  grep -qx 'save ""' "$WORK/redis/redis.conf"
  [ "$(stat -c %a "$WORK/redis/redis.conf")" = 600 ]
  run -0 --separate-stderr lib_call redis_start "$WORK/redis" "$port" s3cret "$WORK/redis.log" 3>&-
  [[ "$stderr" == *"already running"* ]]
  run -0 lib_call redis_running "$WORK/redis"
  run -0 lib_call redis_stop "$WORK/redis"
  run -1 lib_call redis_running "$WORK/redis"
  run -1 lib_call port_in_use "$port"
  run -0 lib_call redis_stop "$WORK/redis"
}

@test "redis: the generated config restarts the same server (contract for the integration tests)" {
  WORK=$(mktemp -d)
  port=$(lib_call free_port)
  run -0 lib_call redis_start "$WORK/redis" "$port" pw "$WORK/redis.log" 3>&-
  run -0 lib_call redis_stop "$WORK/redis"
  redis-server "$WORK/redis/redis.conf" 3>&-
  for ((i = 0; i < 50; i++)); do
    lib_call redis_ping "$port" pw && break
    sleep 0.1
  done
  run -0 lib_call redis_ping "$port" pw
}

@test "postgres as root: under a 0700 mktemp parent, initdb, start, app db, stop" {
  ((EUID == 0)) || skip "needs root (runs PostgreSQL as the postgres user)"
  [[ -x /usr/lib/postgresql/15/bin/initdb ]] || skip "postgresql-15 not installed"
  WORK=$(mktemp -d)
  [ "$(stat -c %a "$WORK")" = 700 ]
  state="$WORK/repo/.state"
  port=$(lib_call free_port)
  run -0 --separate-stderr lib_call pg_start "$state/pg" "$port" "$state/sock" "$state/pg.log" superpw --fast 3>&-
  [[ "$stderr" == *"adding o+x to $WORK"* ]]
  [ "$(stat -c %U "$state/pg")" = postgres ]
  run -0 lib_call pg_create_app_db "$port" "$state/sock" appdb approle "app pw's"
  run -0 lib_call pg_create_app_db "$port" "$state/sock" appdb approle apppw
  run -0 env PGPASSWORD=apppw psql -X -At -h 127.0.0.1 -p "$port" -U approle -d appdb \
    -c "select current_user || current_setting('fsync')"
  [ "$output" = approleoff ]
  run -2 env PGPASSWORD=wrong psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select 1"
  run -0 lib_call pg_stop "$state/pg"
  run -0 lib_call pg_stop "$state/pg"
  run -1 lib_call port_in_use "$port"
}

@test "postgres as root: an untraversable directory that is not ours is left alone" {
  ((EUID == 0)) || skip "needs root"
  WORK=$(mktemp -d)
  chmod 0755 "$WORK"
  mkdir -m 0700 "$WORK/foreign"
  chown nobody: "$WORK/foreign"
  run -1 --separate-stderr lib_call pg_start "$WORK/foreign/pg" 1 "$WORK/sock" "$WORK/pg.log" pw
  [[ "$stderr" == *"cannot traverse $WORK/foreign"* ]]
  [ "$(stat -c %a "$WORK/foreign")" = 700 ]
}

@test "pg_stop and redis_stop are fine when nothing runs" {
  run -0 lib_call pg_stop "$BATS_TEST_TMPDIR/none"
  run -0 lib_call redis_stop "$BATS_TEST_TMPDIR/none"
}

@test "wait_http: 200 from a loopback server, failure when nothing listens" {
  port=$(lib_call free_port)
  start_http_server "$port"
  run -0 lib_call wait_http "http://127.0.0.1:$port/" 30
  stop_listener
  run -1 lib_call wait_http "http://127.0.0.1:$port/" 1
}

@test "wait_http refuses non-loopback URLs without connecting" {
  run -2 --separate-stderr lib_call wait_http http://192.0.2.1/ready 1
  [[ "$stderr" == *"refusing non-loopback URL"* ]]
  run -2 lib_call wait_http http://127.0.0.1.example.com/ready 1
}

@test "usage errors return 64" {
  run -64 lib_call pg_start a b
  run -64 lib_call redis_start a b
  run -64 lib_call pg_create_app_db 1 2 3
}
