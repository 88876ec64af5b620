#!/usr/bin/env bash
# Next best steps (GET …/enrollments/{id}/next) on a large generated catalog and progress, side by side with the profile
# read through the API, pgbench -S and pgbench running the endpoint's own SQL; `next` again at a constant rate of half
# its measured peak (bench/RateLoad, open loop: latency from when each request was due); and the database time of one
# progress re-evaluation (the transaction ProgressEngine.ReevaluateAsync issues after a mastery change), at 1 and at
# CONCURRENCY clients.
#   bench/next.sh     (LEARNERS=100000 NEXT_LEARNERS=3000 CONCURRENCY=8 DURATION=20s RATE_SECONDS=30 by default)
# 100,000 learners × 200 steps: 100,000 enrollment rows each carrying its 200 step states; the seed takes minutes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-100000}
NEXT_LEARNERS=${NEXT_LEARNERS:-3000}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-20s}
RATE_SECONDS=${RATE_SECONDS:-30}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
dotnet publish "$BENCH_DIR/RateLoad" -c Release -o "$OUT/rateload" --nologo -v quiet >/dev/null
start_service
t0=$(date +%s)
seed "$LEARNERS"
t1=$(date +%s)

# The catalog and the progress, as the superuser (arranging, not measuring). Ids in the …8b… range: the well-known
# ids ending in 0001 belong to the default scale another migration seeds.
#  - one scale (4 levels), one framework, 200 skills; one path, version 1 with 200 steps: mostly skill steps on their
#    own skill, every 10th a content step (position 4, 14, …), every 10th an assessment (9, 19, …);
#  - prerequisites: each step on the one before, every 4th (from 8) also on the step 6 before; 20 steps (7, 17, …:
#    10%) carry an unlock rule, rotating through mastery level, mastery probability, score range and any/all nesting;
#  - every learner enrolled, with the first hash % 120 steps completed (a few skipped; assessments with a score), the
#    next one in progress or available, three more available, the rest locked (in the enrollment's status and score
#    arrays and notes, as the service stores them); 20 mastery rows each.
# Steps and prerequisites go in while the version is a draft; it is published afterwards (published versions are frozen).
# The acyclicity trigger is off for the prerequisite insert only: it walks every path of the DAG, which is exponential
# for this graph, and every edge here points to an earlier position, so the graph is acyclic by construction.
# The primary and foreign keys of learner_skill_mastery are dropped for the bulk insert and re-created afterwards from
# their own definitions (validated in one pass instead of millions of trigger checks).
psql_super hephaestus <<'SQL'
ALTER SYSTEM SET max_wal_size = '16GB';
SELECT pg_reload_conf() \g /dev/null
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
CREATE FUNCTION pg_temp.k(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'step-' || lpad(i::text, 3, '0') $$;

INSERT INTO hephaestus.mastery_scales VALUES ('00000000-0000-7000-8b00-0000000000b1', '00000000-0000-7000-8b00-0000000000b1', 1, 'Bench', now());
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
  ('00000000-0000-7000-8b00-0000000000b1', 0, 'attempted', 0, false), ('00000000-0000-7000-8b00-0000000000b1', 1, 'familiar', 0.5, false),
  ('00000000-0000-7000-8b00-0000000000b1', 2, 'proficient', 0.8, false), ('00000000-0000-7000-8b00-0000000000b1', 3, 'mastered', 0.95, true);
INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id)
  VALUES ('00000000-0000-7000-8b00-0000000000b2', 'bench', 'Bench', '00000000-0000-7000-8b00-0000000000b1');
INSERT INTO hephaestus.skills (id, framework_id, code, title, position)
  SELECT pg_temp.uid('8b01', i), '00000000-0000-7000-8b00-0000000000b2', 'skill-' || i, 'Skill ' || i, i FROM generate_series(0, 199) i;
INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ('00000000-0000-7000-8b00-0000000000b3', 'bench-path', 'Bench path');
INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ('00000000-0000-7000-8b00-0000000000b4', '00000000-0000-7000-8b00-0000000000b3', 1);
-- Assessment steps must refer to assessments (a foreign key since migration 20261201210200).
INSERT INTO hephaestus.assessments (id, title) SELECT pg_temp.uid('8b04', i), 'Assessment ' || i FROM generate_series(9, 199, 10) i;
-- Content steps must refer to content items (a foreign key since migration 20261202000400).
INSERT INTO hephaestus.content_items (id, key, kind, title) SELECT pg_temp.uid('8b03', i), 'bench/lesson-' || i, 'lesson', 'Lesson ' || i FROM generate_series(4, 199, 10) i;
INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids, unlock_rule, estimated_minutes)
  SELECT pg_temp.uid('8b02', i), '00000000-0000-7000-8b00-0000000000b4', pg_temp.k(i), kind,
         CASE kind WHEN 'skill' THEN pg_temp.uid('8b01', i) WHEN 'content' THEN pg_temp.uid('8b03', i) ELSE pg_temp.uid('8b04', i) END,
         initcap(kind) || ' ' || i, i,
         CASE kind WHEN 'content' THEN '{}' ELSE ARRAY[pg_temp.uid('8b01', i)] END,
         CASE WHEN i % 10 <> 7 THEN NULL
              WHEN i < 17 OR (i / 10) % 4 = 0 THEN jsonb_build_object('mastery', jsonb_build_object('skill', pg_temp.uid('8b01', i - 1), 'atLeast', 'proficient'))
              WHEN (i / 10) % 4 = 1 THEN jsonb_build_object('mastery', jsonb_build_object('skill', pg_temp.uid('8b01', i - 2), 'minProbability', 0.8))
              WHEN (i / 10) % 4 = 2 THEN jsonb_build_object('score', jsonb_build_object('step', pg_temp.k(i - 8), 'min', 0.4, 'max', 0.7))
              ELSE jsonb_build_object('any', jsonb_build_array(
                     jsonb_build_object('completed', jsonb_build_object('steps', jsonb_build_array(pg_temp.k(i - 3)))),
                     jsonb_build_object('all', jsonb_build_array(
                       jsonb_build_object('mastery', jsonb_build_object('skill', pg_temp.uid('8b01', i - 1), 'atLeast', 'familiar')),
                       jsonb_build_object('score', jsonb_build_object('step', pg_temp.k(i - 8), 'min', 0.5))))))
         END,
         5 + i % 20
  FROM generate_series(0, 199) i, LATERAL (SELECT CASE WHEN i % 10 = 4 THEN 'content' WHEN i % 10 = 9 THEN 'assessment' ELSE 'skill' END AS kind) x;
ALTER TABLE hephaestus.path_step_prerequisites DISABLE TRIGGER path_step_prerequisites_acyclic;
INSERT INTO hephaestus.path_step_prerequisites (path_version_id, step_id, prerequisite_step_id)
  SELECT '00000000-0000-7000-8b00-0000000000b4', pg_temp.uid('8b02', i), pg_temp.uid('8b02', p)
  FROM generate_series(1, 199) i, LATERAL (SELECT i - 1 AS p UNION ALL SELECT i - 6 WHERE i % 4 = 0 AND i >= 8) x;
ALTER TABLE hephaestus.path_step_prerequisites ENABLE TRIGGER path_step_prerequisites_acyclic;
UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = '00000000-0000-7000-8b00-0000000000b4';

CREATE TEMP TABLE saved_constraints AS
  SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def, contype
  FROM pg_constraint WHERE conrelid = 'hephaestus.learner_skill_mastery'::regclass AND contype IN ('p', 'f');
DO $$ DECLARE c record; BEGIN
  FOR c IN SELECT * FROM saved_constraints ORDER BY contype DESC LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
  END LOOP; END $$;

CREATE TEMP TABLE bench_steps AS
  SELECT step_key, kind, position FROM hephaestus.path_steps WHERE path_version_id = '00000000-0000-7000-8b00-0000000000b4';
INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, step_notes, enrolled_at, updated_at)
  SELECT e.id, ('00000000-0000-7000-8b05-' || substr(md5(e.id::text), 1, 12))::uuid, '00000000-0000-7000-8b00-0000000000b3',
         '00000000-0000-7000-8b00-0000000000b4', 'active', x.status, x.scores, x.notes, now() - interval '60 days', now() - interval '1 day'
  FROM (SELECT id, abs(hashtext(id::text)) % 120 AS h FROM hephaestus.users WHERE roles = '{learner}') e,
  LATERAL (
    SELECT array_agg(c.code ORDER BY s.position) AS status,
           array_agg(CASE WHEN s.kind = 'assessment' AND s.position < e.h THEN ((e.h * 37 + s.position) % 100) / 100.0 END::real ORDER BY s.position) AS scores,
           coalesce(jsonb_object_agg(s.step_key, jsonb_build_object(
               'reason', CASE c.code WHEN 4 THEN 'skipped by an educator: already known' WHEN 3 THEN 'completed' WHEN 2 THEN 'started' END,
               'updatedAt', now() - make_interval(mins => 200 - s.position))) FILTER (WHERE c.code <> 0), '{}') AS notes
    FROM bench_steps s,
    LATERAL (SELECT CASE WHEN s.position < e.h AND (e.h + s.position) % 53 = 0 AND s.kind <> 'assessment' THEN 4
                         WHEN s.position < e.h THEN 3
                         WHEN s.position = e.h AND e.h % 2 = 0 THEN 2
                         WHEN s.position <= e.h + 3 THEN 1
                         ELSE 0 END::smallint AS code) c) x;
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count, last_evidence_at, updated_at)
  SELECT u.id, pg_temp.uid('8b01', ((u.h + 10 * k) % 200)::int), v, r, (ARRAY['attempted', 'familiar', 'proficient', 'mastered'])[r + 1], r = 3, 1 + k % 5,
         now() - make_interval(days => k), now() - make_interval(days => k)
  FROM (SELECT id, abs(hashtext(id::text)) % 120 AS h FROM hephaestus.users WHERE roles = '{learner}') u, generate_series(0, 19) k,
       LATERAL (SELECT ((u.h * 13 + k * 29) % 100) / 100.0 AS v) x,
       LATERAL (SELECT CASE WHEN v >= 0.95 THEN 3 WHEN v >= 0.8 THEN 2 WHEN v >= 0.5 THEN 1 ELSE 0 END AS r) y;

DO $$ DECLARE c record; BEGIN
  FOR c IN SELECT * FROM saved_constraints ORDER BY contype DESC, tbl DESC LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.tbl, c.conname, c.def);
  END LOOP; END $$;
SQL
t2=$(date +%s)
psql_super hephaestus -c "VACUUM (ANALYZE) hephaestus.enrollments, hephaestus.learner_skill_mastery, hephaestus.path_steps, hephaestus.users"
psql_super hephaestus -c "CHECKPOINT"
psql_super hephaestus -c "ALTER SYSTEM RESET max_wal_size" -c "SELECT pg_reload_conf()" >/dev/null
t3=$(date +%s)
SEED_LINE="users (seed verb) $((t1 - t0)) s, catalog + enrollments + steps + mastery + constraints $((t2 - t1)) s, VACUUM ANALYZE + CHECKPOINT $((t3 - t2)) s"
SIZES=$(psql_super hephaestus -F '|' -c "SELECT (SELECT count(*) FROM hephaestus.enrollments), (SELECT sum(cardinality(step_status)) FROM hephaestus.enrollments),
  (SELECT count(*) FROM hephaestus.learner_skill_mastery), pg_size_pretty(pg_total_relation_size('hephaestus.enrollments')),
  pg_size_pretty(pg_database_size('hephaestus'))")
IFS='|' read -r N_ENR N_STEPS N_MASTERY STEPS_SIZE DB_SIZE <<<"$SIZES"
echo "seeded: $SEED_LINE; $N_ENR enrollments ($STEPS_SIZE with their progress), $N_STEPS step states, $N_MASTERY mastery rows, database $DB_SIZE"

# A sample of learners spread over the id space for the HTTP run and the same SQL; every learner for re-evaluation.
psql_super hephaestus <<SQL
CREATE TABLE public.bench_all AS SELECT row_number() OVER (ORDER BY learner_id) AS n, learner_id, id AS enrollment_id FROM hephaestus.enrollments;
CREATE TABLE public.bench_next AS SELECT row_number() OVER (ORDER BY md5(learner_id::text)) AS n, learner_id, enrollment_id FROM public.bench_all ORDER BY md5(learner_id::text) LIMIT $NEXT_LEARNERS;
CREATE UNIQUE INDEX ON public.bench_all (n); CREATE UNIQUE INDEX ON public.bench_next (n);
GRANT SELECT ON public.bench_all, public.bench_next TO hephaestus_app;
ANALYZE public.bench_all, public.bench_next;
SQL
psql_super hephaestus -F ' ' -c "SELECT b.learner_id, b.enrollment_id, u.email FROM public.bench_next b JOIN hephaestus.users u ON u.id = b.learner_id ORDER BY b.n" > "$OUT/next-learners.txt"
cut -d' ' -f3 "$OUT/next-learners.txt" > "$OUT/next-emails.txt"
(cd "$OUT/app" && "$APP" token --users-file "$OUT/next-emails.txt" 2>/dev/null) > "$OUT/next-tokens.txt"
python3 - "$OUT/next-tokens.txt" "$OUT/next-learners.txt" "$OUT/next.txt" <<'PY'
import sys
tokens = dict(line.split() for line in open(sys.argv[1]) if line.strip())
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[2]):
        learner, enrollment, email = line.split()
        out.write(f"{learner} {enrollment} {tokens[email]}\n")
PY
export NEXT_FILE="$OUT/next.txt"
# The profile read in the same run (the cheapest read, issue 13's yardstick for `next`): an admin reading learners of the
# sample, as bench/run.sh does.
TOKEN=$(token bench-next-admin@example.org admin); export TOKEN
cut -d' ' -f1 "$NEXT_FILE" > "$OUT/next-ids.txt"; export IDS_FILE="$OUT/next-ids.txt"
# The constant-rate run's requests: "<path> <token>", shuffled.
awk '{print "/api/v1/learners/" $1 "/enrollments/" $2 "/next " $3}' "$NEXT_FILE" | shuf > "$OUT/next-rate.txt"

# One request first: the server parses every stored unlock rule and fails on an invalid one.
read -r L E T < "$NEXT_FILE"
status=$(curl -s -o "$OUT/next-sample.json" -w '%{http_code}' -H "Authorization: Bearer $T" "$BASE/api/v1/learners/$L/enrollments/$E/next")
if [ "$status" != 200 ]; then echo "GET /next answered $status"; cat "$OUT/next-sample.json"; tail -n 50 "$WORK/service.log"; exit 1; fi
echo "sample /next: $(head -c 400 "$OUT/next-sample.json")…"

psql_super postgres -c "CREATE DATABASE pgbench"
PGPASSWORD="$PG_SUPER_PASSWORD" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1

# The endpoint's round trip: actor + the enrollment row (its progress arrays included) + the learner's mastery, one compound
# query (the service sends one batch), as the application login for a random learner of the sample.
SUB="(SELECT learner_id FROM public.bench_next WHERE n = :n)"
cat > "$OUT/next.sql" <<SQL
\set n random(1, $NEXT_LEARNERS)
SELECT set_config('hephaestus.user_id', (SELECT learner_id::text FROM public.bench_next WHERE n = :n), true), set_config('hephaestus.roles', '{learner}', true) \; SELECT learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, step_status, step_scores, inserted_steps::text FROM hephaestus.enrollments WHERE learner_id = $SUB AND id = (SELECT enrollment_id FROM public.bench_next WHERE n = :n) \; SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $SUB;
SQL
# ProgressEngine.ReevaluateAsync's transaction for a random learner of all, in the service's round trips (BEGIN and the
# actor; the lock of the active enrollments with their progress arrays and the mastery in one batch; the write of a
# changed step state and its note; the end). With COMMIT (durable, as alone) and with ROLLBACK
# (the re-evaluation's own database time: in the service it runs inside the submission's transaction, whose commit is
# counted there).
SUBA="(SELECT learner_id FROM public.bench_all WHERE n = :n)"
for end in COMMIT ROLLBACK; do
cat > "$OUT/reevaluate-$end.sql" <<SQL
\set n random(1, $LEARNERS)
\set k random(0, 198)
BEGIN \; SELECT set_config('hephaestus.user_id', (SELECT learner_id::text FROM public.bench_all WHERE n = :n), true), set_config('hephaestus.roles', '{learner}', true), set_config('hephaestus.operation', 'learner_record', true);
SELECT learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, step_status, step_scores, inserted_steps::text FROM hephaestus.enrollments WHERE learner_id = $SUBA AND status = 'active' ORDER BY id FOR UPDATE \; SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $SUBA;
UPDATE hephaestus.enrollments SET step_status[:k + 1] = 1, step_notes = step_notes || jsonb_build_object('step-' || lpad(:k::text, 3, '0'), jsonb_build_object('reason', NULL, 'updatedAt', now())), updated_at = now() WHERE learner_id = $SUBA AND id = (SELECT enrollment_id FROM public.bench_all WHERE n = :n);
$end;
SQL
done

# The same re-evaluation with prepared statements (pgbench -M prepared: no compound statements, so one round trip per
# statement): the service auto-prepares its statements, so this is its database time without parse and plan.
sed -e 's/ \\; /;\n/g' "$OUT/reevaluate-ROLLBACK.sql" > "$OUT/reevaluate-prepared-ROLLBACK.sql"


c=$CONCURRENCY
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
table="$OUT/next-table.md"
wrk_run next "$c" "$BENCH_DIR/lua/next.lua"
next_rps=$(printf '%.0f' "$WRK_RPS") next_p50=$(to_ms "$WRK_P50") next_p99=$(to_ms "$WRK_P99")
next_avg=$(to_ms "$(awk '$1=="Latency" {print $2; exit}' "$OUT/next-c$c.wrk.txt")")
wrk_run read "$c" "$BENCH_DIR/lua/read-profile.lua"
read_rps=$(printf '%.0f' "$WRK_RPS") read_p50=$(to_ms "$WRK_P50") read_p99=$(to_ms "$WRK_P99")
read_avg=$(to_ms "$(awk '$1=="Latency" {print $2; exit}' "$OUT/read-c$c.wrk.txt")")
# Half of the peak just measured, held for RATE_SECONDS after 10 s at that rate that are not counted (the generator's own
# JIT and first connections: it measures from when each request was due, so its own start-up would count).
half_rate=$(( next_rps / 2 ))
"$OUT/rateload/RateLoad" url="$BASE" requests="$OUT/next-rate.txt" rate="$half_rate" warmup=10 seconds="$RATE_SECONDS" | tee "$OUT/next-rate-result.txt"
rate_field() { tr ' ' '\n' < "$OUT/next-rate-result.txt" | awk -F= -v k="$1" '$1==k {print $2}'; }
rate_achieved=$(rate_field achieved_rate) rate_failures=$(rate_field failures)
rate_avg=$(rate_field avg) rate_p50=$(rate_field p50) rate_p99=$(rate_field p99) rate_p999=$(rate_field p999) rate_max=$(rate_field max)
if [ "$rate_failures" != 0 ]; then echo "constant-rate run: $rate_failures requests failed"; exit 1; fi
pgb select-only "$c" pgbench postgres "$PG_SUPER_PASSWORD" -S
s_tps=$PGB_TPS s_avg=$PGB_AVG s_p50=$PGB_P50 s_p99=$PGB_P99
pgb next-same-sql "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/next.sql"
q_tps=$PGB_TPS q_avg=$PGB_AVG q_p50=$PGB_P50 q_p99=$PGB_P99
pgb next-same-sql-superuser "$c" hephaestus postgres "$PG_SUPER_PASSWORD" -f "$OUT/next.sql"
u_tps=$PGB_TPS u_avg=$PGB_AVG u_p50=$PGB_P50 u_p99=$PGB_P99
# The same statements one round trip each inside BEGIN … COMMIT (-M prepared takes no compound statements), with the
# simple protocol (parsed and planned every time) and prepared (as the service runs them), as the application login and
# as the superuser: what planning costs apart from what the policies cost when they run.
{ sed -n 1p "$OUT/next.sql"; echo "BEGIN;"; sed -n '2,$p' "$OUT/next.sql" | sed -e 's/ \\; /;\n/g'; echo "COMMIT;"; } > "$OUT/next-tx.sql"
declare -A TX
for mode in simple prepared; do
  pgb "next-tx-$mode" "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -M "$mode" -f "$OUT/next-tx.sql"
  TX[app-$mode]="$PGB_TPS $PGB_AVG $PGB_P50 $PGB_P99"
  pgb "next-tx-$mode-superuser" "$c" hephaestus postgres "$PG_SUPER_PASSWORD" -M "$mode" -f "$OUT/next-tx.sql"
  TX[superuser-$mode]="$PGB_TPS $PGB_AVG $PGB_P50 $PGB_P99"
done
declare -A RE
for end in ROLLBACK COMMIT; do
  for cc in 1 "$c"; do
    pgb "reevaluate-$end" "$cc" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/reevaluate-$end.sql"
    RE[$end-$cc]="$PGB_TPS $PGB_AVG $PGB_P50 $PGB_P99"
    if [ "$end-$cc" = "ROLLBACK-1" ]; then awk '/statement latencies/,0' "$OUT/reevaluate-$end-c1.pgbench.txt" > "$OUT/reevaluate-statements.txt"; fi
  done
done

pgb reevaluate-prepared-ROLLBACK 1 hephaestus hephaestus "$PG_APP_PASSWORD" -M prepared -f "$OUT/reevaluate-prepared-ROLLBACK.sql"
p1_tps=$PGB_TPS p1_avg=$PGB_AVG p1_p50=$PGB_P50 p1_p99=$PGB_P99
# Sum of the three statements' average latencies (lock and read, mastery, merge), without BEGIN, actor and ROLLBACK.
p1_sum=$(awk '/statement latencies/ {on=1; next} on && /(SELECT learner_id, id|SELECT skill_id|UPDATE)/ {s += $1} END {printf "%.3f", s}' "$OUT/reevaluate-prepared-ROLLBACK-c1.pgbench.txt")

# Where the database time goes: the reads and the merge, one learner, as the application login.
read -r L E <<<"$(psql_super hephaestus -F ' ' -c 'SELECT learner_id, enrollment_id FROM public.bench_all WHERE n = (SELECT max(n) / 2 FROM public.bench_all)')"
for _ in 1 2; do PGPASSWORD="$PG_APP_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U hephaestus -d hephaestus -q > "$OUT/next-explain.txt" <<SQL
BEGIN;
SELECT set_config('hephaestus.user_id', '$L', true), set_config('hephaestus.roles', '{learner}', true), set_config('hephaestus.operation', 'learner_record', true);
EXPLAIN (ANALYZE, BUFFERS) SELECT learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, step_status, step_scores, inserted_steps::text FROM hephaestus.enrollments WHERE learner_id = '$L' AND id = '$E';
EXPLAIN (ANALYZE, BUFFERS) SELECT learner_id, id, step_status, step_scores FROM hephaestus.enrollments WHERE learner_id = '$L' AND status = 'active' ORDER BY id FOR UPDATE;
EXPLAIN (ANALYZE, BUFFERS) SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = '$L';
EXPLAIN (ANALYZE, BUFFERS) UPDATE hephaestus.enrollments SET step_status[101] = 1, step_notes = step_notes || '{"step-100": {"updatedAt": "2026-11-25T00:00:00Z"}}'::jsonb, updated_at = now() WHERE learner_id = '$L' AND id = '$E';
ROLLBACK;
SQL
done
explain_steps=$(grep -m1 "Execution Time" "$OUT/next-explain.txt" | sed 's/^ *//')
explain_buffers=$(grep -m1 "Buffers" "$OUT/next-explain.txt" | sed 's/^ *//')

read -r r1_tps r1_avg r1_p50 r1_p99 <<<"${RE[ROLLBACK-1]}"; read -r r8_tps r8_avg r8_p50 r8_p99 <<<"${RE[ROLLBACK-$c]}"
read -r c1_tps c1_avg c1_p50 c1_p99 <<<"${RE[COMMIT-1]}"; read -r c8_tps c8_avg c8_p50 c8_p99 <<<"${RE[COMMIT-$c]}"
ratio_s=$(ratio "$next_rps" "$s_tps"); ratio_q=$(ratio "$next_rps" "$q_tps"); ratio_r=$(ratio "$next_rps" "$read_rps")
verdict() { python3 -c "import sys; print('met' if float(sys.argv[1]) $2 float(sys.argv[2]) else 'NOT met')" "$1" "$3"; }
{
  echo "### Next best steps and re-evaluation at scale (issue 3)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS NEXT_LEARNERS=$NEXT_LEARNERS CONCURRENCY=$c DURATION=$DURATION bench/next.sh\` on $(machine_line)"
  echo "(2 cores shared by the service, PostgreSQL, wrk/pgbench and other work: load average before measuring $LOAD_BEFORE;
measurements run one after another, same server, same run)."
  echo
  echo "Data: $N_ENR enrollments on one published 200-step path (DAG of prerequisites, 10% of steps with unlock rules), $N_STEPS"
  echo "step states in the enrollments' progress arrays (enrollments: $STEPS_SIZE with indexes and TOAST), $N_MASTERY mastery rows; database $DB_SIZE. Seed: $SEED_LINE."
  echo "HTTP: wrk on \`GET …/enrollments/{id}/next\` (default limits), a random learner of $NEXT_LEARNERS per request with the learner's own token."
  echo "Latencies in ms; pgbench percentiles from its per-transaction log."
  echo
  echo "| measurement | clients | req/s or tps | avg | p50 | p99 | next ÷ this |"
  echo "|---|---|---|---|---|---|---|"
  echo "| \`next\` through the API (wrk) | $c | $next_rps | $next_avg | $next_p50 | $next_p99 | |"
  echo "| profile read through the API (wrk; an admin reading learners of the sample) | $c | $read_rps | $read_avg | $read_p50 | $read_p99 | $ratio_r |"
  echo "| \`next\` at a constant $half_rate req/s (half its peak above; open loop, $RATE_SECONDS s after 10 s not counted; p99.9 $rate_p999, max $rate_max) | — | $rate_achieved | $rate_avg | $rate_p50 | $rate_p99 | |"
  echo "| \`pgbench -S\` (scale 10) | $c | $s_tps | $s_avg | $s_p50 | $s_p99 | $ratio_s |"
  echo "| \`next\`'s SQL via pgbench (actor + enrollment row with its 200 step states + mastery, one round trip) | $c | $q_tps | $q_avg | $q_p50 | $q_p99 | $ratio_q |"
  echo "| the same SQL as the superuser (diagnostic: row-level security bypassed) | $c | $u_tps | $u_avg | $u_p50 | $u_p99 | $(ratio "$next_rps" "$u_tps") |"
  for who in app superuser; do
    for mode in simple prepared; do
      read -r t_tps t_avg t_p50 t_p99 <<<"${TX[$who-$mode]}"
      echo "| the same statements in BEGIN … COMMIT, one round trip each, $mode protocol, as $([ "$who" = app ] && echo "the application login" || echo "the superuser") | $c | $t_tps | $t_avg | $t_p50 | $t_p99 | |"
    done
  done
  echo "| re-evaluation transaction, ending in ROLLBACK (its own DB time) | 1 | $r1_tps | $r1_avg | $r1_p50 | $r1_p99 | |"
  echo "| re-evaluation transaction, ending in ROLLBACK | $c | $r8_tps | $r8_avg | $r8_p50 | $r8_p99 | |"
  echo "| re-evaluation, prepared statements (-M prepared, one round trip each), ROLLBACK; sum of the 3 statements' averages: $p1_sum ms | 1 | $p1_tps | $p1_avg | $p1_p50 | $p1_p99 | |"
  echo "| re-evaluation transaction, ending in COMMIT (durable) | 1 | $c1_tps | $c1_avg | $c1_p50 | $c1_p99 | |"
  echo "| re-evaluation transaction, ending in COMMIT | $c | $c8_tps | $c8_avg | $c8_p50 | $c8_p99 | |"
  echo
  echo "Goals (issue 13): \`next\` at least 0.8× the profile read: **$(verdict "$ratio_r" '>=' 0.8)** ($ratio_r×); p99 under 10 ms at half its"
  echo "peak rate under constant-rate load: **$(verdict "$rate_p99" '<' 10)** ($rate_p99 ms at $half_rate req/s)."
  echo "Goals (issue 3): \`next\` p99 under 10 ms at $c clients: **$(verdict "$next_p99" '<' 10)** ($next_p99 ms);"
  echo "throughput at least 0.3× \`pgbench -S\`: **$(verdict "$ratio_s" '>=' 0.3)** ($ratio_s×);"
  echo "re-evaluation under 2 ms of database time (1 client, without the commit): **$(verdict "$r1_avg" '<' 2)** as the service batches it
(average $r1_avg ms, p99 $r1_p99 ms, parse and plan included); **$(verdict "$p1_sum" '<' 2)** on the sum of the prepared statements' averages ($p1_sum ms)."
  echo
  echo "Enrollment read (EXPLAIN ANALYZE, warm): $explain_steps; $explain_buffers."
  echo "Raw outputs (wrk, pgbench with per-statement latencies, EXPLAIN) of the last run are in bench/out/ (not committed)."
} > "$table"
cat "$table"
write_section next "$table"
hold_if_asked
