# Usage: source "<repo>/lib/localstack.sh"   (sourced, never executed; sources common.sh)
# shellcheck shell=bash
#
# Project-local PostgreSQL 15 and Redis 7 as the project's OWN processes on 127.0.0.1.
# System services are never touched (no systemctl, pg_ctlcluster or service).
#
#   free_port                                   print a free TCP port on 127.0.0.1 (15000-32767)
#   port_in_use PORT                            true if something accepts connections on 127.0.0.1:PORT
#   pg_start DATADIR PORT SOCKETDIR LOGFILE SUPERPASSWORD [--fast]
#                                               initdb if DATADIR is empty, then start (pg_ctl -w);
#                                               --fast: fsync/synchronous_commit/full_page_writes off (tests)
#   pg_running DATADIR                          true if a postmaster runs on DATADIR
#   pg_port DATADIR                             print the port of the running postmaster
#   pg_pid DATADIR                              print the pid of the running postmaster
#   pg_stop DATADIR                             fast shutdown; fine if nothing runs
#   pg_create_app_db PORT SOCKETDIR DBNAME ROLE PASSWORD
#                                               idempotent LOGIN role + database owned by it
#   redis_start DIR PORT PASSWORD LOGFILE [--persist]
#                                               redis-server with DIR/redis.conf (daemonized,
#                                               pid DIR/redis.pid); without --persist: save "" (tests)
#   redis_running DIR / redis_pid DIR           state of the redis started from DIR
#   redis_stop DIR                              SIGTERM, wait, SIGKILL after 10 s; fine if nothing runs
#   redis_ping PORT PASSWORD                    true if redis answers PONG
#   wait_http URL TRIES                         true once URL answers 200 (1 s apart); loopback URLs only
#
# A redis started here is restartable by anyone with access to DIR: `redis-server DIR/redis.conf`
# (it daemonizes and writes DIR/redis.pid); stop it with `kill "$(cat DIR/redis.pid)"`.
#
# When run as root, PostgreSQL (which refuses root) runs as the `postgres` system user via
# runuser; its data, socket and log paths are chowned to it, and ancestor directories that it
# cannot traverse get o+x if they are project-owned (owned by us and not a home or system
# directory); otherwise pg_start fails with an explanation.
#
# Return codes (functions return instead of exiting, so that callers choose the exit code):
#   0 ok; 1 failure, with a WARN line saying why (predicates: false); 2 wait_http was given a
#   non-loopback URL; 64 wrong arguments.
# Environment: APPLIANCE_PG_BIN (default /usr/lib/postgresql/15/bin),
# APPLIANCE_PG_USER (default postgres; only used as root).

if [[ -n "${_APPLIANCE_LOCALSTACK_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_LOCALSTACK_SH=1

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

PG_BIN="${APPLIANCE_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_SYSTEM_USER="${APPLIANCE_PG_USER:-postgres}"

# ---------------------------------------------------------------------------------------- ports

port_in_use() {
  local port=${1:?port_in_use PORT}
  # A successful connect is the only test that matters for binding 127.0.0.1:PORT ourselves.
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null
}

free_port() {
  local low=32768 port i
  # Below the kernel's ephemeral range, so outgoing connections cannot grab the port later.
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  ((low > 16000)) || low=32768
  for ((i = 0; i < 200; i++)); do
    port=$((15000 + RANDOM % (low - 15000)))
    port_in_use "$port" && continue
    # Also skip ports with a listener on any address (bound elsewhere than 127.0.0.1).
    if command -v ss >/dev/null 2>&1 && [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]; then
      continue
    fi
    printf '%s\n' "$port"
    return 0
  done
  warn "free_port: no free port found on 127.0.0.1 after $i tries"
  return 1
}

# ----------------------------------------------------------------------------------- postgresql

# Command prefix that runs PostgreSQL tools as the owner of the cluster.
_pg_as() {
  if ((EUID == 0)); then
    printf '%s\0' runuser -u "$PG_SYSTEM_USER" --
  fi
}

_pg_run() {
  local -a as=()
  mapfile -d '' -t as < <(_pg_as)
  # cd /: the caller's cwd may be unreadable for the postgres user (noise and failures).
  (cd / && "${as[@]}" "$@")
}

_abs() {
  realpath -m -- "$1"
}

_is_protected_dir() {
  local dir=$1 home
  case "$dir" in
    / | /root | /home | /etc | /usr | /usr/* | /var | /opt | /srv | /boot | /proc | /sys | /dev | /run | /mnt | /media | /bin | /sbin | /lib | /lib64)
      return 0 ;;
  esac
  while IFS=: read -r _ _ _ _ _ home _; do
    [[ -n "$home" && "$dir" == "$home" ]] && return 0
  done < <(getent passwd)
  # Not ours: someone else's directory is not ours to loosen.
  [[ "$(stat -c %u -- "$dir")" != "$EUID" ]]
}

# Make every ancestor of PATH traversable for USER, touching project-owned directories only.
_ensure_traversable() {
  local user=$1 path dir
  path=$(_abs "$2")
  local -a chain=()
  dir=$(dirname -- "$path")
  while :; do
    chain=("$dir" "${chain[@]}")
    [[ "$dir" == / ]] && break
    dir=$(dirname -- "$dir")
  done
  for dir in "${chain[@]}"; do
    [[ -d "$dir" ]] || continue
    runuser -u "$user" -- test -x "$dir" && continue
    if _is_protected_dir "$dir"; then
      warn "user '$user' cannot traverse $dir (mode $(stat -c %a -- "$dir")), which is a home/system directory or not ours, so it is left alone; put the state elsewhere (e.g. APPLIANCE_STATE_DIR=/var/tmp/appliance) or run: chmod o+x $dir"
      return 1
    fi
    log "adding o+x to $dir so that user '$user' can reach $path"
    run chmod o+x -- "$dir" || return 1
  done
}

pg_running() {
  local datadir
  datadir=$(_abs "${1:?pg_running DATADIR}")
  [[ -f "$datadir/postmaster.pid" ]] || return 1
  _pg_run "$PG_BIN/pg_ctl" status -D "$datadir" >/dev/null 2>&1
}

pg_pid() {
  local datadir
  datadir=$(_abs "${1:?pg_pid DATADIR}")
  [[ -r "$datadir/postmaster.pid" ]] || return 1
  sed -n 1p "$datadir/postmaster.pid"
}

pg_port() {
  local datadir
  datadir=$(_abs "${1:?pg_port DATADIR}")
  [[ -r "$datadir/postmaster.pid" ]] || return 1
  sed -n 4p "$datadir/postmaster.pid"
}

# postgresql.conf literal: single quotes doubled.
_pg_quote() {
  printf "'%s'" "${1//\'/\'\'}"
}

pg_start() {
  if (($# < 5)); then
    warn "usage: pg_start DATADIR PORT SOCKETDIR LOGFILE SUPERPASSWORD [--fast]"
    return 64
  fi
  local datadir port=$2 sockdir logfile superpw=$5 fast=0
  datadir=$(_abs "$1")
  sockdir=$(_abs "$3")
  logfile=$(_abs "$4")
  case "${6:-}" in
    '') ;;
    --fast) fast=1 ;;
    *) warn "pg_start: unknown option '$6'"; return 64 ;;
  esac
  if [[ ! -x "$PG_BIN/initdb" ]]; then
    warn "PostgreSQL 15 binaries not found in $PG_BIN (install postgresql-15)"
    return 1
  fi
  # Unix socket paths are limited to 107 bytes.
  if ((${#sockdir} > 90)); then
    warn "socket directory path too long for a unix socket (${#sockdir} > 90 chars): $sockdir"
    return 1
  fi

  if pg_running "$datadir"; then
    local running_port
    running_port=$(pg_port "$datadir")
    if [[ "$running_port" == "$port" ]]; then
      log "PostgreSQL already running on $datadir (pid $(pg_pid "$datadir"), port $port)"
      return 0
    fi
    warn "PostgreSQL on $datadir already runs on port $running_port, not $port; stop it first"
    return 1
  fi

  run mkdir -p -- "$datadir" "$sockdir" "$(dirname -- "$logfile")" || return 1
  run touch -- "$logfile" || return 1
  if ((EUID == 0)); then
    if ! id -u "$PG_SYSTEM_USER" >/dev/null 2>&1; then
      warn "system user '$PG_SYSTEM_USER' does not exist (it comes with the postgresql-15 package)"
      return 1
    fi
    run chown -- "$PG_SYSTEM_USER:" "$datadir" "$sockdir" "$logfile" || return 1
    _ensure_traversable "$PG_SYSTEM_USER" "$datadir/x" || return 1
    _ensure_traversable "$PG_SYSTEM_USER" "$sockdir/x" || return 1
    _ensure_traversable "$PG_SYSTEM_USER" "$logfile" || return 1
  fi
  # initdb insists on 0700/0750; the socket dir is 0700 because local auth is trust.
  run chmod 0700 -- "$datadir" "$sockdir" || return 1

  if [[ ! -f "$datadir/PG_VERSION" ]]; then
    if [[ -n "$(ls -A -- "$datadir" 2>/dev/null)" ]]; then
      warn "$datadir is neither empty nor a PostgreSQL data directory; refusing to initdb"
      return 1
    fi
    local pwfile="$sockdir/.initdb-pw"
    printf '%s\n' "$superpw" | write_file 0600 "$pwfile" || return 1
    if ((EUID == 0)); then
      run chown -- "$PG_SYSTEM_USER:" "$pwfile" || return 1
    fi
    local -a initdb=("$PG_BIN/initdb" -D "$datadir" -U postgres "--pwfile=$pwfile"
      --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8)
    ((fast)) && initdb+=(--no-sync)
    log "initdb $datadir"
    local -a as=()
    mapfile -d '' -t as < <(_pg_as)
    if ! (cd / && run_to "$logfile" "${as[@]}" "${initdb[@]}"); then
      rm -f -- "$pwfile"
      warn "initdb failed; see $logfile"
      return 1
    fi
    rm -f -- "$pwfile"
    if ! is_dry_run && ! grep -q "^include_if_exists = 'appliance.conf'" "$datadir/postgresql.conf"; then
      printf "\n# Settings owned by lib/localstack.sh (rewritten on every start).\ninclude_if_exists = 'appliance.conf'\n" >>"$datadir/postgresql.conf" || return 1
    fi
  fi

  {
    printf '# Generated by lib/localstack.sh on every start; edits are overwritten.\n'
    printf 'listen_addresses = %s\n' "'127.0.0.1'"
    printf 'port = %s\n' "$port"
    printf 'unix_socket_directories = %s\n' "$(_pg_quote "$sockdir")"
    printf 'unix_socket_permissions = 0700\n'
    printf 'max_connections = 200\n'
    if ((fast)); then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
    fi
  } | write_file 0600 "$datadir/appliance.conf" || return 1
  if ((EUID == 0)); then
    run chown -- "$PG_SYSTEM_USER:" "$datadir/appliance.conf" || return 1
  fi

  log "starting PostgreSQL on 127.0.0.1:$port (data $datadir)"
  local -a as=()
  mapfile -d '' -t as < <(_pg_as)
  if ! (cd / && run_to "$logfile" "${as[@]}" "$PG_BIN/pg_ctl" start -D "$datadir" -l "$logfile" -w -t 60); then
    warn "PostgreSQL failed to start; last lines of $logfile:"
    tail -n 15 -- "$logfile" >&2 || true
    return 1
  fi
}

pg_stop() {
  local datadir
  datadir=$(_abs "${1:?pg_stop DATADIR}")
  if ! pg_running "$datadir"; then
    return 0
  fi
  log "stopping PostgreSQL (data $datadir)"
  local -a as=()
  mapfile -d '' -t as < <(_pg_as)
  if is_dry_run; then
    run "${as[@]}" "$PG_BIN/pg_ctl" stop -D "$datadir" -m fast -w -t 60
    return 0
  fi
  (cd / && "${as[@]}" "$PG_BIN/pg_ctl" stop -D "$datadir" -m fast -w -t 60 >/dev/null) || {
    warn "pg_ctl stop failed for $datadir"
    return 1
  }
}

# psql meta-command argument: backslashes and single quotes escaped.
_psql_quote() {
  local s=${1//\\/\\\\}
  printf "'%s'" "${s//\'/\'\'}"
}

pg_create_app_db() {
  if (($# != 5)); then
    warn "usage: pg_create_app_db PORT SOCKETDIR DBNAME ROLE PASSWORD"
    return 64
  fi
  local port=$1 sockdir=$2 db=$3 role=$4 pw=$5
  local -a psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d postgres)
  log "ensuring role '$role' and database '$db'"
  if is_dry_run; then
    run "${psql[@]}"
    return 0
  fi
  # Secrets travel on stdin, not in argv (visible in ps).
  "${psql[@]}" >/dev/null <<SQL || { warn "creating role/database '$db' failed"; return 1; }
\\set role $(_psql_quote "$role")
\\set pw $(_psql_quote "$pw")
\\set db $(_psql_quote "$db")
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'pw') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'role', 'UTF8')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \\gexec
SQL
}

# ---------------------------------------------------------------------------------------- redis

# redis.conf string: double-quoted with backslash escapes.
_redis_quote() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

redis_pid() {
  local dir pid
  dir=$(_abs "${1:?redis_pid DIR}")
  [[ -r "$dir/redis.pid" ]] || return 1
  pid=$(<"$dir/redis.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

redis_running() {
  local pid comm
  pid=$(redis_pid "${1:?redis_running DIR}") || return 1
  pid_alive "$pid" || return 1
  # Guard against a recycled pid.
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ "$comm" == redis-server* ]]
}

redis_ping() {
  local port=${1:?redis_ping PORT PASSWORD} pw=${2-} out
  out=$(REDISCLI_AUTH="$pw" timeout 5 redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" ping 2>/dev/null) || return 1
  [[ "$out" == PONG ]]
}

redis_start() {
  if (($# < 4)); then
    warn "usage: redis_start DIR PORT PASSWORD LOGFILE [--persist]"
    return 64
  fi
  local dir port=$2 pw=$3 logfile persist=0
  dir=$(_abs "$1")
  logfile=$(_abs "$4")
  case "${5:-}" in
    '') ;;
    --persist) persist=1 ;;
    *) warn "redis_start: unknown option '$5'"; return 64 ;;
  esac
  command -v redis-server >/dev/null 2>&1 || { warn "redis-server not found (install redis-server)"; return 1; }

  if redis_running "$dir"; then
    if redis_ping "$port" "$pw"; then
      log "Redis already running from $dir (pid $(redis_pid "$dir"), port $port)"
      return 0
    fi
    warn "Redis from $dir runs (pid $(redis_pid "$dir")) but does not answer on port $port; stop it first"
    return 1
  fi

  run mkdir -p -- "$dir" "$(dirname -- "$logfile")" || return 1
  run chmod 0700 -- "$dir" || return 1
  {
    printf '# Generated by lib/localstack.sh on every start; edits are overwritten.\n'
    printf 'bind 127.0.0.1\n'
    printf 'protected-mode yes\n'
    printf 'port %s\n' "$port"
    printf 'requirepass %s\n' "$(_redis_quote "$pw")"
    printf 'dir %s\n' "$(_redis_quote "$dir")"
    printf 'daemonize yes\n'
    printf 'pidfile %s\n' "$(_redis_quote "$dir/redis.pid")"
    printf 'logfile %s\n' "$(_redis_quote "$logfile")"
    printf 'appendonly no\n'
    if ((persist)); then
      printf 'save 3600 1 300 100 60 10000\n'
    else
      printf 'save ""\n'
    fi
  } | write_file 0600 "$dir/redis.conf" || return 1

  log "starting Redis on 127.0.0.1:$port (dir $dir)"
  run redis-server "$dir/redis.conf" || { warn "redis-server failed to start; see $logfile"; return 1; }
  is_dry_run && return 0
  local i
  for i in $(seq 1 50); do
    redis_ping "$port" "$pw" && return 0
    sleep 0.2
  done
  warn "Redis did not answer PING on port $port after ${i} tries; last lines of $logfile:"
  tail -n 15 -- "$logfile" >&2 || true
  return 1
}

redis_stop() {
  local dir pid i
  dir=$(_abs "${1:?redis_stop DIR}")
  redis_running "$dir" || return 0
  pid=$(redis_pid "$dir")
  log "stopping Redis (pid $pid, dir $dir)"
  run kill -TERM "$pid" || return 1
  is_dry_run && return 0
  for i in $(seq 1 100); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "Redis (pid $pid) ignored SIGTERM for 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f -- "$dir/redis.pid"
}

# ----------------------------------------------------------------------------------------- http

_is_loopback_url() {
  [[ "$1" =~ ^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]]
}

wait_http() {
  local url=${1:?wait_http URL TRIES} tries=${2:-30} i code
  if ! _is_loopback_url "$url"; then
    warn "wait_http: refusing non-loopback URL $url"
    return 2
  fi
  for ((i = 1; i <= tries; i++)); do
    code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 -- "$url" 2>/dev/null) || true
    [[ "$code" == 200 ]] && return 0
    ((i < tries)) && sleep 1
  done
  return 1
}
