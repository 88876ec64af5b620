#!/usr/bin/env bash
# Profile read and update through the API, side by side with pgbench on the same server.
#   bench/run.sh                  (LEARNERS=100000 CONCURRENCY="8" DURATION=15s by default)
# Writes its table into docs/benchmarks.md. Traffic stays on 127.0.0.1; the script stops by itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-100000}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-15s}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service
seed "$LEARNERS"
# Freshly inserted rows: vacuumed and checkpointed before measuring (as next.sh and scale.sh do), so that the reads do
# not set hint bits on first touch and autovacuum does not start on the new table in the middle of a measurement.
psql_super hephaestus -c "VACUUM (ANALYZE)" -c "CHECKPOINT"
TOKEN=$(token bench-admin@example.org admin); export TOKEN
IDS_FILE="$OUT/learner-ids.txt"; export IDS_FILE
psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE roles = '{learner}' ORDER BY id LIMIT 20000" > "$IDS_FILE"
ADMIN_ID=$(psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE email = 'bench-admin@example.org'")

# The raw limits: pgbench -S on its own database, and the endpoint's exact SQL as the application login
# (a helper table numbers the learners so pgbench can pick one at random).
psql_super postgres -c "CREATE DATABASE pgbench"
PGPASSWORD="$PG_SUPER_PASSWORD" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
psql_super hephaestus -c "CREATE TABLE public.bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM hephaestus.users WHERE roles = '{learner}' LIMIT 20000;
  CREATE UNIQUE INDEX ON public.bench_ids (n); GRANT SELECT ON public.bench_ids TO hephaestus_app; ANALYZE public.bench_ids;"
cat > "$OUT/read.sql" <<SQL
\set n random(1, 20000)
SELECT set_config('hephaestus.user_id', '$ADMIN_ID', true), set_config('hephaestus.roles', '{admin}', true) \; SELECT id, external_subject, email, display_name, locale, time_zone, roles, profile::text, created_at, updated_at, xmin FROM hephaestus.users WHERE id = (SELECT id FROM public.bench_ids WHERE n = :n);
SQL
cat > "$OUT/update.sql" <<SQL
\set n random(1, 20000)
BEGIN;
SELECT set_config('hephaestus.user_id', '$ADMIN_ID', true), set_config('hephaestus.roles', '{admin}', true);
SELECT xmin FROM hephaestus.users WHERE id = (SELECT id FROM public.bench_ids WHERE n = :n);
UPDATE hephaestus.users SET display_name = 'bench ' || :n WHERE id = (SELECT id FROM public.bench_ids WHERE n = :n) RETURNING id, xmin;
COMMIT;
SQL

table="$OUT/profile-table.md"
{
  echo "### Profiles (issue 2)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS CONCURRENCY=\"$CONCURRENCY\" DURATION=$DURATION bench/run.sh\` on $(machine_line)."
  echo "HTTP: wrk against the Release build; raw limits: pgbench on the same server at the same concurrency."
  echo
  echo "| scenario | clients | Hephaestus req/s | p50 | p99 | raw limit | raw tps | raw avg latency | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$table"

for c in $CONCURRENCY; do
  wrk_run read "$c" "$BENCH_DIR/lua/read-profile.lua"
  read_rps=$WRK_RPS read_p50=$WRK_P50 read_p99=$WRK_P99
  pgbench_run select-only "$c" pgbench postgres "$PG_SUPER_PASSWORD" -S
  echo "| profile read by id | $c | $read_rps | $read_p50 | $read_p99 | \`pgbench -S\` | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$read_rps" "$PGB_TPS") |" >> "$table"
  pgbench_run read-same-sql "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/read.sql"
  echo "| profile read by id | $c | $read_rps | $read_p50 | $read_p99 | same SQL (actor + select) | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$read_rps" "$PGB_TPS") |" >> "$table"

  WRK_THREADS=$c wrk_run update "$c" "$BENCH_DIR/lua/update-profile.lua"
  update_rps=$WRK_RPS update_p50=$WRK_P50 update_p99=$WRK_P99
  pgbench_run update-same-sql "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/update.sql"
  echo "| profile update (If-Match) | $c | $update_rps | $update_p50 | $update_p99 | same SQL (actor, xmin, update) | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$update_rps" "$PGB_TPS") |" >> "$table"
done
echo >> "$table"
echo "Raw outputs of the last run are in bench/out/ (not committed)." >> "$table"
cat "$table"
write_section profile "$table"
