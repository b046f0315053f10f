#!/usr/bin/env bats
# Usage: bats tests/ops/provisioning.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# provisioning/<role>.sh run for real with --root into a temporary directory: files, modes,
# secrets created once and never regenerated, idempotency; --dry-run output; bad input.
# shellcheck disable=SC2154 # output, stderr and lines are set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  R="$BATS_TEST_TMPDIR/root"
  U="$BATS_TEST_TMPDIR/units"
  mkdir -p "$R" "$U"
  local unit
  # Stand-ins for the units of systemd/ (written by the systemd part of the operations work).
  for unit in appliance-api.service appliance-migrate.service appliance-worker.service; do
    printf '[Unit]\nDescription=test %s\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' "$unit" >"$U/$unit"
  done
  V="$REPO_ROOT/provisioning"
}

mode() { stat -c %a "$R$1"; }
snapshot_tree() { (cd "$R" && find . -printf '%p %m %s %T@\n' | LC_ALL=C sort); }

@test "api.sh --root: directories, secrets and modes; env points at the key; units enabled" {
  run -0 --separate-stderr "$V/api.sh" --root "$R" --units "$U"
  [ "$(mode /opt/appliance)" = 755 ]
  [ "$(mode /etc/appliance)" = 750 ]
  [ "$(mode /etc/appliance/keys)" = 750 ]
  [ "$(mode /var/lib/appliance)" = 750 ]
  key=$(cd "$R/etc/appliance/keys" && ls jwt-*.pem)
  [[ "$key" =~ ^jwt-[0-9]{8}-[0-9a-f]{8}\.pem$ ]]
  [ "$(mode "/etc/appliance/keys/$key")" = 600 ]
  openssl pkey -in "$R/etc/appliance/keys/$key" -noout -text | grep -q 'Private-Key: (3072 bit'
  for s in db-password redis-password field-encryption.key; do [ "$(mode "/etc/appliance/keys/$s")" = 600 ]; done
  [ "$(base64 -d "$R/etc/appliance/keys/field-encryption.key" | wc -c)" -eq 32 ]
  [[ "$(cat "$R/etc/appliance/keys/db-password")" =~ ^[A-Za-z0-9]{32}$ ]]
  [ "$(mode /etc/appliance/env)" = 640 ]
  env="$R/etc/appliance/env"
  grep -qx "APPLIANCE_Database__ConnectionString=Host=10.0.30.10;Port=5432;Database=appliance;Username=appliance;Password=$(cat "$R/etc/appliance/keys/db-password")" "$env"
  grep -qx "APPLIANCE_Redis__Endpoint=10.0.30.12:6379" "$env"
  grep -qx "APPLIANCE_Identity__KeyDirectory=/etc/appliance/keys" "$env"
  grep -qx "APPLIANCE_Http__Url=http://0.0.0.0:3000/" "$env"
  cmp "$U/appliance-api.service" "$R/etc/systemd/system/appliance-api.service"
  [ "$(mode /etc/systemd/system/appliance-api.service)" = 644 ]
  [ -L "$R/etc/systemd/system/multi-user.target.wants/appliance-api.service" ]
}

@test "api.sh --root twice: nothing rewritten, secrets not regenerated" {
  "$V/api.sh" --root "$R" --units "$U" 2>/dev/null
  before=$(snapshot_tree)
  sums=$(cat "$R"/etc/appliance/keys/* | sha256sum)
  sleep 0.05
  run -0 --separate-stderr "$V/api.sh" --root "$R" --units "$U"
  [ "$(snapshot_tree)" = "$before" ]
  [ "$(cat "$R"/etc/appliance/keys/* | sha256sum)" = "$sums" ]
  [[ "$stderr" == *"secret /etc/appliance/keys/db-password exists; keeping it"* ]]
  [[ "$stderr" == *"exists; keeping it"* ]]
  [[ "$stderr" != *generating* ]]
}

@test "api.sh and worker.sh take the shared secrets from --secrets on the first run only" {
  S="$BATS_TEST_TMPDIR/shared"
  mkdir -p "$S"
  echo sharedDbPassword >"$S/db-password"
  echo sharedRedisPassword >"$S/redis-password"
  head -c 32 /dev/zero | base64 >"$S/field-encryption.key"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$S/jwt-20260101-abcdef01.pem" 2>/dev/null
  run -0 "$V/api.sh" --root "$R" --units "$U" --secrets "$S"
  cmp "$S/jwt-20260101-abcdef01.pem" "$R/etc/appliance/keys/jwt-20260101-abcdef01.pem"
  grep -qx "APPLIANCE_Identity__KeyDirectory=/etc/appliance/keys" "$R/etc/appliance/env"
  grep -q 'Password=sharedDbPassword$' "$R/etc/appliance/env"
  echo changedLater >"$S/db-password"
  run -0 "$V/api.sh" --root "$R" --units "$U" --secrets "$S"
  [ "$(cat "$R/etc/appliance/keys/db-password")" = sharedDbPassword ]
  W="$BATS_TEST_TMPDIR/worker"
  mkdir -p "$W"
  run -0 "$V/worker.sh" --root "$W" --units "$U" --secrets "$S"
  [ ! -e "$W/etc/appliance/keys/jwt-20260101-abcdef01.pem" ]
  ! grep -q Jwt "$W/etc/appliance/env" || false
  grep -qx 'APPLIANCE_Redis__Password=sharedRedisPassword' "$W/etc/appliance/env"
  [ -L "$W/etc/systemd/system/multi-user.target.wants/appliance-worker.service" ]
}

@test "api.sh --dry-run prints the commands and writes nothing; live dry-run shows useradd/chown/systemctl" {
  run -0 --separate-stderr "$V/api.sh" --dry-run --root "$R" --units "$U"
  [[ "$output" == *"[dry-run] install -d -m 0750 $R/etc/appliance"* ]]
  [[ "$output" == *"[dry-run] generate rsa3072 secret $R/etc/appliance/keys/jwt-"*".pem (mode 0600)"* ]]
  [[ "$output" == *"[dry-run] systemctl --root=$R enable appliance-api.service appliance-migrate.service"* ]]
  [ -z "$(ls -A "$R")" ]
  run -0 --separate-stderr "$V/api.sh" --dry-run --units "$U"
  if [[ "$(dpkg-query -W -f='${Status}' curl 2>/dev/null)" == "install ok installed" ]]; then
    [[ "$stderr" == *"packages already installed: ca-certificates curl openssl"* || "$output" == *"apt-get install"* ]]
    [[ "$output" != *"apt-get install -y -qq --no-install-recommends"*curl* ]]
  else
    [[ "$output" == *"apt-get install -y -qq --no-install-recommends"*curl* ]]
  fi
  [[ "$output" == *"[dry-run] chown root:appliance /etc/appliance"* ]]
  [[ "$output" == *"[dry-run] systemctl daemon-reload"* ]]
  [[ "$output" == *"[dry-run] systemctl enable appliance-api.service appliance-migrate.service"* ]]
  if ! getent passwd appliance >/dev/null; then
    [[ "$output" == *"[dry-run] useradd --system --user-group --home-dir /var/lib/appliance --no-create-home --shell /usr/sbin/nologin appliance"* ]]
  fi
}

@test "bad input: unknown argument 64, missing --root dir 64, missing unit 66 — nothing written" {
  run -64 --separate-stderr "$V/api.sh" --bogus
  [[ "$stderr" == *"unknown argument '--bogus'"* ]]
  run -64 --separate-stderr "$V/redis.sh" --root "$BATS_TEST_TMPDIR/nope"
  rm "$U/appliance-migrate.service"
  run -66 --separate-stderr "$V/api.sh" --root "$R" --units "$U"
  [[ "$stderr" == *"appliance-migrate.service not found"* ]]
  [ -z "$(ls -A "$R")" ]
  run -64 --separate-stderr "$V/haproxy.sh" --root "$R" --config "$BATS_TEST_TMPDIR/none.cfg"
  [[ "$stderr" == *"--config needs an existing file"* ]]
}

@test "postgres.sh --root: listens on the database segment, pg_hba only services + replica, scram" {
  run -0 "$V/postgres.sh" --root "$R"
  conf="$R/etc/postgresql/15/main/conf.d/appliance.conf"
  grep -qx "listen_addresses = '10.0.30.10,127.0.0.1'" "$conf"
  grep -qx "password_encryption = 'scram-sha-256'" "$conf"
  grep -qx 'wal_level = replica' "$conf"
  hba="$R/etc/postgresql/15/main/pg_hba.conf"
  [ "$(mode /etc/postgresql/15/main/pg_hba.conf)" = 640 ]
  grep -qE '^host +appliance +appliance +10\.0\.20\.0/24 +scram-sha-256$' "$hba"
  grep -qE '^host +replication +replicator +10\.0\.30\.11/32 +scram-sha-256$' "$hba"
  grep -qE '^host +all +all +0\.0\.0\.0/0 +reject$' "$hba"
  ! grep -E '^host' "$hba" | grep -vE 'scram-sha-256|reject' || false
  [ "$(mode /etc/appliance/keys)" = 700 ]
  [ "$(mode /etc/appliance/keys/replication-password)" = 600 ]
  before=$(snapshot_tree)
  run -0 "$V/postgres.sh" --root "$R"
  [ "$(snapshot_tree)" = "$before" ]
  Q="$BATS_TEST_TMPDIR/replica"
  mkdir -p "$Q"
  run -0 "$V/postgres.sh" --root "$Q" --replica
  grep -qx "listen_addresses = '10.0.30.11,127.0.0.1'" "$Q/etc/postgresql/15/main/conf.d/appliance.conf"
}

@test "postgres.sh live --dry-run: SQL from a file (no password on the command line), replica base backup" {
  run -0 --separate-stderr "$V/postgres.sh" --dry-run
  [[ "$output" == *"[dry-run] systemctl enable postgresql@15-main.service"* ]]
  re='\[dry-run\] runuser -u postgres -- psql -X -q -f /tmp/[^ ]+/setup\.sql'
  [[ "$output" =~ $re ]]
  [[ "$output" != *DRY-RUN-SECRET* ]]
  run -0 --separate-stderr "$V/postgres.sh" --dry-run --replica
  [[ "$output" == *"runuser -u postgres -- env PGPASSFILE=/var/lib/postgresql/.pgpass-replication pg_basebackup -h 10.0.30.10 -U replicator -D /var/lib/postgresql/15/main -X stream -S replica1 -R --checkpoint=fast"* ]]
  # The walreceiver reconnects with that file after restarts, so it is a lasting one, 0600.
  [[ "$output" == *"[dry-run] write /var/lib/postgresql/.pgpass-replication (mode 0600)"* ]]
}

@test "redis.sh --root: bind, protected mode, requirepass from the secret, maxmemory policy; include once" {
  mkdir -p "$R/etc/redis"
  printf 'port 6379\n# packaged defaults\n' >"$R/etc/redis/redis.conf"
  run -0 "$V/redis.sh" --root "$R"
  conf="$R/etc/redis/appliance.conf"
  [ "$(mode /etc/redis/appliance.conf)" = 640 ]
  grep -qx 'bind 10.0.30.12 127.0.0.1' "$conf"
  grep -qx 'protected-mode yes' "$conf"
  grep -qx "requirepass $(cat "$R/etc/appliance/keys/redis-password")" "$conf"
  grep -qx 'maxmemory 1536mb' "$conf"
  grep -qx 'maxmemory-policy volatile-lru' "$conf"
  [ "$(head -n 1 "$R/etc/redis/redis.conf")" = 'port 6379' ]
  [ "$(tail -n 1 "$R/etc/redis/redis.conf")" = 'include /etc/redis/appliance.conf' ]
  before=$(snapshot_tree)
  run -0 "$V/redis.sh" --root "$R"
  [ "$(snapshot_tree)" = "$before" ]
  [ "$(grep -c '^include /etc/redis/appliance.conf$' "$R/etc/redis/redis.conf")" -eq 1 ]
}

@test "haproxy.sh --root renders the template: both API instances of the topology, stats password, certificate" {
  run -0 --separate-stderr "$V/haproxy.sh" --root "$R"
  cfg="$R/etc/haproxy/haproxy.cfg"
  [ "$(mode /etc/haproxy/haproxy.cfg)" = 640 ]
  [ "$(mode /etc/haproxy/stats-password)" = 600 ]
  [ "$(mode /etc/haproxy/certs/appliance.pem)" = 600 ]
  ! grep -qE '@[A-Z_]+@' "$cfg" || false
  [ "$(grep -cx '    server api-1 10.0.20.10:3000' "$cfg")" -eq 2 ]
  [ "$(grep -cx '    server api-2 10.0.20.11:3000' "$cfg")" -eq 2 ]
  grep -q "crt /etc/haproxy/certs/appliance.pem" "$cfg"
  grep -qF "stats auth \"admin:$(cat "$R/etc/haproxy/stats-password")\"" "$cfg"
  openssl x509 -in "$R/etc/haproxy/certs/appliance.pem" -noout -ext subjectAltName | grep -q 'DNS:appliance-haproxy.appliance.local'
  # A second run keeps password, certificate and file.
  before=$(snapshot_tree)
  run -0 "$V/haproxy.sh" --root "$R"
  [ "$(snapshot_tree)" = "$before" ]
}

@test "haproxy.sh --root installs the given config 0640 and a 0700 certs directory" {
  printf 'global\n    daemon\n' >"$BATS_TEST_TMPDIR/h.cfg"
  run -0 "$V/haproxy.sh" --root "$R" --config "$BATS_TEST_TMPDIR/h.cfg"
  cmp "$BATS_TEST_TMPDIR/h.cfg" "$R/etc/haproxy/haproxy.cfg"
  [ "$(mode /etc/haproxy/haproxy.cfg)" = 640 ]
  [ "$(mode /etc/haproxy/certs)" = 700 ]
}
