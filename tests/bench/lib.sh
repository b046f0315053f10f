# shellcheck shell=bash
# Usage: source tests/bench/lib.sh   (sourced by the benchmark scripts; needs lib/common.sh and lib/localstack.sh)
#
#   bench_stack WORK   publish the API into WORK/api unless APPLIANCE_PUBLISHED_API names a binary, start a
#                      throwaway PostgreSQL and Redis on free loopback ports under WORK, export the APPLIANCE_*
#                      settings for them (API on a free port), create a signing key and a field-encryption
#                      key, and migrate. A cluster already in WORK/pg is started as it is (BENCH_PG_PASSWORD
#                      is then its superuser password). BENCH_PG_DURABLE=1 keeps fsync and synchronous
#                      commit on (the default turns them off, as the tests do).
#                      Sets BENCH_BINARY, BENCH_HTTP_PORT, BENCH_REDIS_PORT, BENCH_REDIS_PASSWORD.
#   bench_stack_stop WORK
#                      stop what bench_stack started (idempotent)

bench_stack() {
  local work=$1 repo pg_password pg_port
  repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
  BENCH_BINARY=${APPLIANCE_PUBLISHED_API:-}
  if [[ -z $BENCH_BINARY ]]; then
    log "publishing the API (Release, linux-x64, self-contained)"
    dotnet publish "$repo/src/Appliance.Api/Appliance.Api.csproj" -c Release -r linux-x64 --self-contained \
      -o "$work/api" -v quiet -nologo >"$work/publish.log" 2>&1 || { tail -n 20 "$work/publish.log"; die "publish failed"; }
    BENCH_BINARY=$work/api/appliance-api
  fi

  pg_password=${BENCH_PG_PASSWORD:-$(random_alnum 24)}
  BENCH_REDIS_PASSWORD=$(random_alnum 24)
  pg_port=$(free_port)
  BENCH_REDIS_PORT=$(free_port)
  BENCH_HTTP_PORT=$(free_port)
  local -a pg_mode=(--fast)
  if [[ ${BENCH_PG_DURABLE:-0} == 1 ]]; then
    pg_mode=()
  fi
  pg_start "$work/pg" "$pg_port" "$work/pgsock" "$work/pg.log" "$pg_password" "${pg_mode[@]}" || die "PostgreSQL did not start"
  redis_start "$work/redis" "$BENCH_REDIS_PORT" "$BENCH_REDIS_PASSWORD" "$work/redis.log" || die "Redis did not start"

  mkdir -p "$work/etc"
  export APPLIANCE_CONFIG_DIR=$work/etc
  export APPLIANCE_Database__ConnectionString="Host=127.0.0.1;Port=$pg_port;Database=postgres;Username=postgres;Password=$pg_password"
  export APPLIANCE_Redis__Endpoint="127.0.0.1:$BENCH_REDIS_PORT"
  export APPLIANCE_Redis__Password=$BENCH_REDIS_PASSWORD
  export APPLIANCE_Http__Url="http://127.0.0.1:$BENCH_HTTP_PORT"
  export APPLIANCE_Identity__KeyDirectory=$work/keys
  export APPLIANCE_Security__FieldEncryptionKeyFile=$work/keys/field-encryption.key
  "$BENCH_BINARY" keys generate --dir "$work/keys" >/dev/null
  (umask 077 && head -c 32 /dev/urandom | base64 >"$APPLIANCE_Security__FieldEncryptionKeyFile")
  "$BENCH_BINARY" migrate >/dev/null
}

bench_stack_stop() {
  local work=$1
  pg_stop "$work/pg" || true
  redis_stop "$work/redis" || true
}
