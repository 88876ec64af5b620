#!/usr/bin/env bash
# The profile read and assessment submission through PgBouncer (transaction mode, Database__Pooler=transaction) beside
# the same requests straight to PostgreSQL, in one run: two instances of the service on one embedded cluster, one
# direct, one behind a PgBouncer started here on 127.0.0.1 (docs/operations.md, "Behind PgBouncer").
#   bench/pgbouncer.sh            (LEARNERS=20000 ATTEMPTS_PER_LEARNER=20 CONCURRENCY="8" DURATION=15s PGBOUNCER_POOL=20)
# A smoke run that writes nothing to docs/benchmarks.md:
#   LEARNERS=200 ATTEMPTS_PER_LEARNER=5 DURATION=5s WARM_SUBMISSIONS=20 NO_DOCS=1 bench/pgbouncer.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-20000}
ATTEMPTS_PER_LEARNER=${ATTEMPTS_PER_LEARNER:-20}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-15s}
PGBOUNCER_POOL=${PGBOUNCER_POOL:-20}
WARM_SUBMISSIONS=${WARM_SUBMISSIONS:-50}
PGBOUNCER_PORT=${PGBOUNCER_PORT:-6439}
POOLED_HTTP_PORT=${POOLED_HTTP_PORT:-5098}
DIRECT_BASE=$BASE
POOLED_BASE="http://127.0.0.1:$POOLED_HTTP_PORT"

need_tools
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "installing pgbouncer"; apt-get update -qq >/dev/null && apt-get install -y -qq pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service

stop_all() {
  [ -n "${POOLED_PID:-}" ] && kill -TERM "$POOLED_PID" 2>/dev/null && wait "$POOLED_PID" 2>/dev/null || true
  [ -n "${PGBOUNCER_PID:-}" ] && kill -TERM "$PGBOUNCER_PID" 2>/dev/null && wait "$PGBOUNCER_PID" 2>/dev/null || true
  stop_service
}
trap stop_all EXIT

seed "$LEARNERS"
arrange_submissions "$ATTEMPTS_PER_LEARNER"
# Every other prepared attempt to each instance, so neither submits an attempt the other did.
awk 'NR % 2 == 1' "$OUT/attempts.txt" > "$OUT/attempts-direct.txt"
awk 'NR % 2 == 0' "$OUT/attempts.txt" > "$OUT/attempts-pooled.txt"
TOKEN=$(token bench-admin@example.org admin); export TOKEN
IDS_FILE="$OUT/learner-ids.txt"; export IDS_FILE
psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE roles = '{learner}' ORDER BY id LIMIT 20000" > "$IDS_FILE"

# PgBouncer in front of the embedded cluster, with its own ini and userlist (as the postgres OS user when root).
PGB_DIR="$WORK/pgbouncer"; mkdir -p "$PGB_DIR"
cat > "$PGB_DIR/pgbouncer.ini" <<INI
[databases]
hephaestus = host=127.0.0.1 port=$PG_PORT dbname=hephaestus
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $PGB_DIR/userlist.txt
pool_mode = transaction
default_pool_size = $PGBOUNCER_POOL
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
logfile = $PGB_DIR/pgbouncer.log
pidfile = $PGB_DIR/pgbouncer.pid
INI
printf '"hephaestus" "%s"\n' "$PG_APP_PASSWORD" > "$PGB_DIR/userlist.txt"
chmod 600 "$PGB_DIR/userlist.txt"
if [ "$(id -u)" = 0 ]; then
  chown -R postgres:postgres "$PGB_DIR"
  runuser -u postgres -- "$PGBOUNCER" "$PGB_DIR/pgbouncer.ini" >/dev/null 2>&1 &
else
  "$PGBOUNCER" "$PGB_DIR/pgbouncer.ini" >/dev/null 2>&1 &
fi
PGBOUNCER_PID=$!
# The session limits travel as the login's settings behind a transaction pooler (the startup packet cannot carry them).
psql_super hephaestus -c "ALTER ROLE hephaestus IN DATABASE hephaestus SET statement_timeout = 10000;
  ALTER ROLE hephaestus IN DATABASE hephaestus SET lock_timeout = 2000;
  ALTER ROLE hephaestus IN DATABASE hephaestus SET idle_in_transaction_session_timeout = 60000;"

# The second instance: the same database and signing key, through PgBouncer.
PG_OWNER_PASSWORD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["OwnerPassword"])' "$WORK/pg/hephaestus.secrets")
SIGNING_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SigningKey"])' "$WORK/pg/hephaestus.secrets")
(
  cd "$OUT/app"
  export Urls="$POOLED_BASE" Database__Pooler=transaction Auth__SigningKey="$SIGNING_KEY" Storage__Path="$WORK/pooled-objects"
  export ConnectionStrings__Hephaestus="Host=127.0.0.1;Port=$PGBOUNCER_PORT;Database=hephaestus;Username=hephaestus;Password=$PG_APP_PASSWORD"
  export ConnectionStrings__HephaestusOwner="Host=127.0.0.1;Port=$PG_PORT;Database=hephaestus;Username=hephaestus_owner;Password=$PG_OWNER_PASSWORD"
  unset Embedded__DataDirectory
  exec "$APP" >"$WORK/pooled-service.log" 2>&1
) &
POOLED_PID=$!
for _ in $(seq 1 120); do
  if curl -fs "$POOLED_BASE/health/ready" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fs "$POOLED_BASE/health/ready" >/dev/null || { echo "the pooled instance did not become ready"; cat "$WORK/pooled-service.log" "$PGB_DIR/pgbouncer.log"; exit 1; }

# submit_run NAME BASE ATTEMPTS CONCURRENCY -> WRK_RPS WRK_P50 WRK_P99. The first WARM_SUBMISSIONS attempts of the file
# are submitted one by one first and discarded (the cold submission path alone outlasts a short run on a busy machine).
submit_run() {
  local out threads=$(( $4 < 2 ? $4 : 2 )) learner attempt bearer
  head -n "$WARM_SUBMISSIONS" "$3" | while read -r learner attempt bearer; do
    curl -fs -o /dev/null -X POST -H "Authorization: Bearer $bearer" -H "Idempotency-Key: $attempt" -H "Content-Length: 0" \
      "$2/api/v1/learners/$learner/attempts/$attempt/submit" || { echo "warm-up submission to $2 failed"; exit 1; }
  done
  tail -n +"$(( WARM_SUBMISSIONS + 1 ))" "$3" > "$3.measured"
  out=$(BASE=$2 ATTEMPTS_FILE=$3.measured THREADS=$threads wrk -t "$threads" -c "$4" -d "$DURATION" --latency -s "$BENCH_DIR/lua/submit.lua" "$2" 2>&1)
  echo "$out" > "$OUT/$1-c$4.wrk.txt"
  if echo "$out" | grep -q "Non-2xx"; then echo "$out"; echo "non-2xx responses: see $OUT/$1-c$4.wrk.txt"; exit 1; fi
  WRK_RPS=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  WRK_P50=$(echo "$out" | awk '$1=="50%" {print $2}')
  WRK_P99=$(echo "$out" | awk '$1=="99%" {print $2}')
}

table="$OUT/pgbouncer-table.md"
{
  echo "### Through PgBouncer (issue 13 part 6)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS ATTEMPTS_PER_LEARNER=$ATTEMPTS_PER_LEARNER CONCURRENCY=\"$CONCURRENCY\" DURATION=$DURATION PGBOUNCER_POOL=$PGBOUNCER_POOL bench/pgbouncer.sh\` on $(machine_line), PgBouncer $("$PGBOUNCER" --version | head -n 1 | cut -d' ' -f2)."
  echo "Two instances of the service on one embedded cluster: one direct (auto-prepare on, limits in the startup packet), one"
  echo "through PgBouncer in transaction mode with \`Database__Pooler=transaction\` (no prepared statements). Reads warm up 5 s"
  echo "per instance first (discarded); submissions warm up with $WARM_SUBMISSIONS sequential submissions per instance (discarded)."
  echo
  echo "| scenario | clients | direct req/s | p50 | p99 | through PgBouncer req/s | p50 | p99 | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$table"
for c in $CONCURRENCY; do
  BASE=$DIRECT_BASE wrk_run read-direct "$c" "$BENCH_DIR/lua/read-profile.lua"
  direct="$WRK_RPS | $WRK_P50 | $WRK_P99"; direct_rps=$WRK_RPS
  BASE=$POOLED_BASE wrk_run read-pooled "$c" "$BENCH_DIR/lua/read-profile.lua"
  echo "| profile read by id | $c | $direct | $WRK_RPS | $WRK_P50 | $WRK_P99 | $(ratio "$WRK_RPS" "$direct_rps") |" >> "$table"

  submit_run submit-direct "$DIRECT_BASE" "$OUT/attempts-direct.txt" "$c"
  direct="$WRK_RPS | $WRK_P50 | $WRK_P99"; direct_rps=$WRK_RPS
  submit_run submit-pooled "$POOLED_BASE" "$OUT/attempts-pooled.txt" "$c"
  echo "| assessment submission | $c | $direct | $WRK_RPS | $WRK_P50 | $WRK_P99 | $(ratio "$WRK_RPS" "$direct_rps") |" >> "$table"
done
echo >> "$table"
echo "Ratio: through PgBouncer ÷ direct. Raw outputs of the last run are in bench/out/ (not committed)." >> "$table"
cat "$table"
if [ "${NO_DOCS:-0}" != 1 ]; then write_section pgbouncer "$table"; fi
