#!/usr/bin/env bash
# Analytics figures (issue 12). This is the skeleton the analytics sections grow into; today it holds one section:
# replica lag under ingestion load. The service starts its embedded PostgreSQL with a streaming replica
# (Embedded__Replica=true); pgbench writes on the primary at each concurrency while the lag is sampled every 0.5 s from
# three places: what Hephaestus reports (/health/ready replicaLagSeconds, the figure analytics answers carry), the
# primary's own view (pg_stat_replication.replay_lag) and the WAL still to replay (bytes).
#   bench/analytics.sh              (LEARNERS=100000 CONCURRENCY="8 32" DURATION=30s ROWS_PER_TX=100 by default)
#   LEARNERS=200 CONCURRENCY=2 DURATION=5s WRITE_DOCS=0 bench/analytics.sh     (a tiny run: proves it works)
# Second section, performance across modules and programs (issue 12, part 2): generated paths, progress, mastery, scores and
# events for every seeded learner, each /analytics/performance endpoint RUNS times (p95 by curl) beside a naive query of
# the same figures (psql \timing, server side: the per-row view enrollment_step_states, results unpacked, events scanned).
# Third section, content effectiveness and learning patterns (issue 12, parts 3 and 4): every endpoint (RUNS requests
# each, p95 by curl) on LEARNERS seeded learners with EVIDENCE rows per learner and skill, beside the naive query (the
# same read with index scans disabled) in the same run.
#   SECTIONS="lag performance effectiveness" (default: all three); a tiny run of one:
#   LEARNERS=200 RUNS=5 SECTIONS=performance WRITE_DOCS=0 bench/analytics.sh
# Writes its tables into docs/benchmarks.md unless WRITE_DOCS=0. Traffic stays on 127.0.0.1; the script stops by itself.
# An endpoint that fails (a 503 past the statement timeout, say) is recorded in its row as its status and the problem's
# title, the script goes on, and it exits non-zero at the end naming the failures. HOLD=1 keeps the database afterwards.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-100000}
CONCURRENCY=${CONCURRENCY:-"8 32"}
DURATION=${DURATION:-30s}
ROWS_PER_TX=${ROWS_PER_TX:-100}
WRITE_DOCS=${WRITE_DOCS:-1}
SECTIONS=${SECTIONS:-"lag performance effectiveness"}
RUNS=${RUNS:-20}
FAILED=()   # endpoints that answered other than 200: recorded in their rows, and the script exits non-zero at the end

need_tools
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$APP" ] || build_app
export Embedded__Replica=true
start_service
seed "$LEARNERS"

if [[ " $SECTIONS " == *" lag "* ]]; then
# Ingestion: batches of rows into a table of its own on the primary (the events issue's COPY path replaces this once
# it exists); the replica replays every byte of it.
psql_super hephaestus -c "CREATE TABLE IF NOT EXISTS public.bench_ingest (id bigserial PRIMARY KEY, learner_id uuid, at timestamptz DEFAULT now(), payload jsonb)"
cat > "$OUT/ingest.sql" <<SQL
INSERT INTO public.bench_ingest (learner_id, payload)
SELECT gen_random_uuid(), jsonb_build_object('verb', 'answered', 'n', g, 'pad', repeat('x', 200)) FROM generate_series(1, $ROWS_PER_TX) g;
SQL

# sample_lag FILE: until the file $FILE.stop exists, one line every 0.5 s: reported_s replay_lag_s bytes_behind
sample_lag() {
  local file=$1
  : > "$file"
  while [ ! -e "$file.stop" ]; do
    reported=$(curl -fs "$BASE/health/ready" | python3 -c 'import json,sys; v=json.load(sys.stdin).get("replicaLagSeconds"); print("nan" if v is None else v)' || echo nan)
    primary=$(psql_super postgres -c "SELECT coalesce(extract(epoch FROM replay_lag), 0), pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication WHERE application_name = 'hephaestus_replica'" | tr '|' ' ')
    echo "$reported ${primary:-nan nan}" >> "$file"
    sleep 0.5
  done
}

summary() { python3 - "$1" <<'PY'
import sys, math
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def col(i, digits=3):
    v = sorted(float(r[i]) for r in rows if len(r) > i and r[i] != "nan")
    if not v: return "n/a", "n/a"
    return f"{v[min(len(v) - 1, int(0.95 * len(v)))]:.{digits}f}", f"{v[-1]:.{digits}f}"
rep, rl, by = col(0), col(1), col(2, 0)
print(f"{len(rows)} | {rep[0]} | {rep[1]} | {rl[0]} | {rl[1]} | {by[0]} | {by[1]}")
PY
}

table="$OUT/analytics-table.md"
{
  echo "### Replica lag under ingestion load (issue 12)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS CONCURRENCY=\"$CONCURRENCY\" DURATION=$DURATION ROWS_PER_TX=$ROWS_PER_TX bench/analytics.sh\` on $(machine_line)."
  echo "Embedded primary and streaming replica on one machine; pgbench inserts $ROWS_PER_TX rows (~250 B) per transaction on the primary."
  echo "Lag sampled every 0.5 s: as Hephaestus reports it (what analytics answers carry), as the primary sees it (pg_stat_replication.replay_lag), and in WAL bytes not yet replayed."
  echo
  echo "| clients | ingest tps | rows/s | samples | reported lag p95 (s) | max | replay_lag p95 (s) | max | bytes behind p95 | max |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$table"

for c in $CONCURRENCY; do
  lag="$OUT/lag-c$c.txt"; rm -f "$lag.stop"
  sample_lag "$lag" & SAMPLER=$!
  pgbench_run ingest "$c" hephaestus postgres "$PG_SUPER_PASSWORD" -f "$OUT/ingest.sql"
  touch "$lag.stop"; wait "$SAMPLER"
  rows=$(python3 -c "print(round(float('$PGB_TPS') * $ROWS_PER_TX))")
  echo "| $c | $(printf '%.0f' "$PGB_TPS") | $rows | $(summary "$lag") |" >> "$table"
done

cat "$table"
if [ "$WRITE_DOCS" = 1 ]; then write_section analytics-replica-lag "$table"; fi
fi


# --- Performance across modules and programs (issue 12, part 2) ------------------------------------------------------
if [[ " $SECTIONS " == *" performance "* ]]; then
TOKEN=$(token bench-perf@example.com analyst)
ADMIN=$(token bench-perf-admin@example.com admin)
# Ten one-point items (SQL), one assessment over them (API): every learner gets one scored attempt below.
psql_super hephaestus <<'SQL'
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
INSERT INTO hephaestus.items (id) SELECT pg_temp.uid('0201', j) FROM generate_series(1, 10) j;
INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points)
SELECT pg_temp.uid('0202', j), pg_temp.uid('0201', j), 1, 'single_choice',
       jsonb_build_object('type', 'single_choice', 'prompt', 'Item ' || j, 'points', 1, 'correctOptionId', 'a',
                          'options', '[{"id":"a","text":"A"},{"id":"b","text":"B"}]'::jsonb), 1
FROM generate_series(1, 10) j;
SQL
PARTS=$(python3 -c "print(','.join('{\"itemId\":\"00000000-0000-7000-0201-%012x\"}' % j for j in range(1, 11)))")
QUIZ=$(curl -sS -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -X POST "$BASE/api/v1/assessments" \
  -d "{\"title\":\"Performance bench\",\"parts\":[$PARTS]}" | python3 -c "import sys, json; print(json.load(sys.stdin)['id'])")

# A framework of 4 modules × 5 skills; a path of 20 skill steps and the assessment; every seeded learner enrolled with
# 0..20 steps completed (one a day, the last ones this week), a mastery row per skill, one scored attempt, and 10 events
# with durations over the last 10 days.
t0=$(date +%s)
psql_super hephaestus -v quiz="$QUIZ" <<'SQL'
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES (pg_temp.uid('0101', 1), pg_temp.uid('0101', 1), 1, 'Bench');
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
    (pg_temp.uid('0101', 1), 0, 'not_started', 0, false), (pg_temp.uid('0101', 1), 1, 'attempted', 0.01, false),
    (pg_temp.uid('0101', 1), 2, 'familiar', 0.5, false), (pg_temp.uid('0101', 1), 3, 'proficient', 0.8, false),
    (pg_temp.uid('0101', 1), 4, 'mastered', 0.95, true);
INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id) VALUES (pg_temp.uid('0102', 1), 'bench-perf', 'Bench', pg_temp.uid('0101', 1));
INSERT INTO hephaestus.skills (id, framework_id, code, title) SELECT pg_temp.uid('0103', m), pg_temp.uid('0102', 1), 'm' || m, 'Module ' || m FROM generate_series(1, 4) m;
INSERT INTO hephaestus.skills (id, framework_id, parent_id, code, title)
SELECT pg_temp.uid('0104', j), pg_temp.uid('0102', 1), pg_temp.uid('0103', (j - 1) / 5 + 1), 's' || j, 'Skill ' || j FROM generate_series(1, 20) j;
INSERT INTO hephaestus.learning_paths (id, code, title) VALUES (pg_temp.uid('0105', 1), 'bench-perf', 'Bench path');
INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES (pg_temp.uid('0106', 1), pg_temp.uid('0105', 1), 1);
INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids)
SELECT pg_temp.uid('0107', j), pg_temp.uid('0106', 1), 's' || j, 'skill', pg_temp.uid('0104', j), 'Step ' || j, j - 1, ARRAY[pg_temp.uid('0104', j)]
FROM generate_series(1, 20) j
UNION ALL SELECT pg_temp.uid('0107', 21), pg_temp.uid('0106', 1), 'quiz', 'assessment', :'quiz', 'Quiz', 20, ARRAY[pg_temp.uid('0104', 20)];
UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = pg_temp.uid('0106', 1);
CREATE TEMP TABLE bench_learners AS
SELECT id, row_number() OVER (ORDER BY id)::int AS n, (hashint4(hashtext(id::text)) & 65535) % 22 AS done
FROM hephaestus.users WHERE roles = ARRAY['learner'] AND external_subject LIKE 'seed|%';
INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, step_notes, completed_at)
SELECT b.id, gen_random_uuid(), pg_temp.uid('0105', 1), pg_temp.uid('0106', 1), CASE WHEN b.done = 21 THEN 'completed' ELSE 'active' END,
       ARRAY(SELECT (CASE WHEN j <= b.done THEN 3 WHEN j = b.done + 1 THEN 1 ELSE 0 END)::smallint FROM generate_series(1, 21) j ORDER BY j),
       array_fill(NULL::real, ARRAY[21]),
       coalesce((SELECT jsonb_object_agg(CASE WHEN j = 21 THEN 'quiz' ELSE 's' || j END,
                                         jsonb_build_object('reason', 'bench', 'updatedAt', now() - (b.done - j) * interval '1 day'))
                 FROM generate_series(1, b.done) j), '{}'),
       CASE WHEN b.done = 21 THEN now() END
FROM bench_learners b;
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count, last_evidence_at)
SELECT b.id, pg_temp.uid('0104', j), v, CASE WHEN v >= 0.95 THEN 4 WHEN v >= 0.8 THEN 3 WHEN v >= 0.5 THEN 2 ELSE 1 END,
       CASE WHEN v >= 0.95 THEN 'mastered' WHEN v >= 0.8 THEN 'proficient' WHEN v >= 0.5 THEN 'familiar' ELSE 'attempted' END,
       v >= 0.95, 3, now() - ((hashint4(b.n * 100 + j) & 65535) % 60) * interval '1 day'
FROM bench_learners b, generate_series(1, 20) j, LATERAL (SELECT round(((hashint4(b.n * 31 + j) & 65535) / 65536.0)::numeric, 5) AS v) x;
INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, assessment_version, number, status, item_version_ids, submitted_at)
SELECT b.id, pg_temp.uid('0204', b.n), :'quiz', 1, 1, 'submitted', ARRAY(SELECT pg_temp.uid('0202', j) FROM generate_series(1, 10) j ORDER BY j), now()
FROM bench_learners b;
WITH marks AS (
    SELECT b.id, b.n, j, CASE WHEN (hashint4(b.n * 1000 + j) & 65535) < 40000 THEN 1 ELSE 0 END AS x FROM bench_learners b, generate_series(1, 10) j
)
INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
SELECT id, pg_temp.uid('0205', n), pg_temp.uid('0204', n), 1, round(sum(x)::numeric / 10, 6), sum(x), 10,
       jsonb_agg(jsonb_build_object('itemVersionId', pg_temp.uid('0202', j), 'score', x, 'points', x, 'maxPoints', 1, 'correct', x = 1) ORDER BY j), 'submitted'
FROM marks GROUP BY id, n;
INSERT INTO hephaestus.item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks)
SELECT learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks FROM hephaestus.item_analysis_counted(NULL, :'quiz');
DO $$ BEGIN PERFORM hephaestus.create_event_partition((now() - d * interval '1 day')::date) FROM generate_series(0, 10) d; END $$;
INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, verb, object_type, object_id, duration_ms)
SELECT b.id, now() - k * interval '1 day', gen_random_uuid(), 'native', 'experienced', 'skill', pg_temp.uid('0104', (b.n + k) % 20 + 1)::text,
       (hashint4(b.n * 17 + k) & 65535) * 10
FROM bench_learners b, generate_series(1, 10) k;
VACUUM ANALYZE;
SQL
PERF_SEED_SECONDS=$(( $(date +%s) - t0 ))
VERSION=00000000-0000-7000-0106-000000000001
read -r COHORT_A COHORT_B < <(psql_super hephaestus -c "SELECT string_agg(id::text, ' ') FROM (SELECT id FROM hephaestus.cohorts ORDER BY id LIMIT 2) c")
SINCE=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%SZ)

# The naive queries: the same figures from the per-row view enrollment_step_states, results unpacked, events scanned whole.
declare -A NAIVE_SQL=(
  [mastery]="SELECT m.skill_id, count(*), count(*) FILTER (WHERE m.mastered), avg(m.value) FROM (SELECT DISTINCT learner_id FROM hephaestus.enrollment_step_states WHERE path_version_id = '$VERSION') p JOIN hephaestus.learner_skill_mastery m USING (learner_id) GROUP BY m.skill_id"
  [steps]="SELECT step_key, count(*) FILTER (WHERE status <> 'locked'), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'skipped') FROM hephaestus.enrollment_step_states WHERE path_version_id = '$VERSION' GROUP BY step_key"
  [scores]="WITH best AS (SELECT DISTINCT ON (a.learner_id) r.score FROM hephaestus.attempts a CROSS JOIN LATERAL (SELECT r.score FROM hephaestus.results r WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id ORDER BY r.revision DESC LIMIT 1) r WHERE a.assessment_id = '$QUIZ' ORDER BY a.learner_id, r.score DESC) SELECT count(*), avg(score), percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score) FROM best"
  [time]="SELECT object_id, count(DISTINCT learner_id), sum(duration_ms), avg(duration_ms) FROM hephaestus.learning_events WHERE duration_ms IS NOT NULL AND occurred_at >= '$SINCE' GROUP BY object_id"
  [progress]="SELECT date_trunc('week', updated_at), count(*) FROM hephaestus.enrollment_step_states WHERE path_version_id = '$VERSION' AND status = 'completed' GROUP BY 1"
  [compare]="SELECT m.cohort_id, s.step_key, count(*) FILTER (WHERE s.status = 'completed') FROM hephaestus.cohort_members m JOIN hephaestus.enrollment_step_states s ON s.learner_id = m.user_id WHERE m.cohort_id IN ('$COHORT_A', '$COHORT_B') AND s.path_version_id = '$VERSION' GROUP BY 1, 2"
)
declare -A URLS=(
  [mastery]="mastery?pathVersionId=$VERSION"
  [steps]="steps?pathVersionId=$VERSION"
  [scores]="scores?pathVersionId=$VERSION"
  [time]="time?pathVersionId=$VERSION&since=$SINCE"
  [progress]="progress?pathVersionId=$VERSION"
  [compare]="cohorts/compare?cohortA=$COHORT_A&cohortB=$COHORT_B&pathVersionId=$VERSION"
)
p95() { python3 -c "import sys; v = sorted(float(x) for x in sys.argv[1:]); print(f'{v[min(len(v) - 1, int(0.95 * len(v)))]:.0f}')" "$@"; }

perf_table="$OUT/analytics-performance.md"
{
  echo "### Performance across modules and programs (issue 12, part 2)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS RUNS=$RUNS SECTIONS=performance bench/analytics.sh\` on $(machine_line)."
  echo "Every seeded learner enrolled in one path version (20 skill steps and an assessment, 0..21 completed), 20 mastery rows,"
  echo "one scored attempt and 10 events each; seeded by SQL in ${PERF_SEED_SECONDS} s. Scope: the whole path version (every learner);"
  echo "compare: two seeded cohorts. API p95 of $RUNS sequential requests by curl (analyst token, read where each answer says it was read); naive: psql \\\\timing, p95 of $RUNS."
  echo
  echo "| endpoint | API p95 (ms) | naive p95 (ms) | API under 500 ms |"
  echo "|---|---|---|---|"
} > "$perf_table"
for panel in mastery steps scores time progress compare; do
  url="$BASE/api/v1/analytics/performance/${URLS[$panel]}"
  status=$(fetch_status "$url" "$TOKEN" "$OUT/performance-$panel.json")   # warm-up, kept for a look
  api=(); naive=()
  for _ in $(seq 1 "$RUNS"); do
    # A panel that failed its warm-up is not timed (each try would wait for the statement timeout); its naive query is.
    [ "$status" = 200 ] && api+=("$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$url" | python3 -c 'import sys; print(float(sys.stdin.read()) * 1000)')")
    naive+=("$(printf '\\timing on\n%s \\g /dev/null\n' "${NAIVE_SQL[$panel]}" | psql_super hephaestus | awk '/^Time:/ {print $2}' | tail -n 1)")
  done
  n=$(p95 "${naive[@]}")
  if [ "$status" = 200 ]; then
    a=$(p95 "${api[@]}")
    echo "| $panel | $a | $n | $([ "$a" -lt 500 ] && echo yes || echo NO) |" >> "$perf_table"
  else
    echo "$panel answered $status"; cat "$OUT/performance-$panel.json"; echo
    FAILED+=("performance/$panel")
    echo "| $panel | failed: $(failure_cell "$status" "$OUT/performance-$panel.json") | $n | NO |" >> "$perf_table"
  fi
done
cat "$perf_table"
if [ "$WRITE_DOCS" = 1 ]; then write_section analytics-performance "$perf_table"; fi
fi

# --- Content effectiveness and learning patterns (issue 12, parts 3 and 4) ----------------------------------------------
if [[ " $SECTIONS " == *" effectiveness "* ]]; then
# Arranged with SQL as the superuser (not measured): two skills, a content item with two versions aligned to both, every
# seeded learner shown one version 30 days ago and holding EVIDENCE observations per skill over the last 60 days with
# their mastery rows, an enrollment in one path each (a mix of statuses and progress), and two attempts each at a
# one-item assessment. Then each endpoint RUNS times as an analyst (the whole population: the path; and one cohort).
RUNS=${RUNS:-20}
EVIDENCE=${EVIDENCE:-10}
ANALYST=$(token bench-analyst@example.com analyst)
AUTHOR=$(token bench-author@example.com author)
psql_super hephaestus <<'SQL'
INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES ('00000000-0000-7000-00e0-000000000001', '00000000-0000-7000-00e0-000000000001', 1, 'Bench');
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
    ('00000000-0000-7000-00e0-000000000001', 0, 'not_started', 0, false), ('00000000-0000-7000-00e0-000000000001', 1, 'mastered', 0.95, true);
INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id)
VALUES ('00000000-0000-7000-00e0-000000000002', 'bench-effect', 'Bench', '00000000-0000-7000-00e0-000000000001');
INSERT INTO hephaestus.skills (id, framework_id, code, title) VALUES
    ('00000000-0000-7000-00e0-000000000003', '00000000-0000-7000-00e0-000000000002', 'bench-e1', 'E1'),
    ('00000000-0000-7000-00e0-000000000004', '00000000-0000-7000-00e0-000000000002', 'bench-e2', 'E2');
INSERT INTO hephaestus.content_items (id, key, kind, title) VALUES ('00000000-0000-7000-00e0-000000000005', 'bench/effect', 'lesson', 'Bench lesson');
INSERT INTO hephaestus.content_item_skills SELECT '00000000-0000-7000-00e0-000000000005', id FROM hephaestus.skills WHERE code LIKE 'bench-e%';
INSERT INTO hephaestus.content_bodies (sha256, size_bytes) VALUES (repeat('a', 64), 1), (repeat('b', 64), 1);
INSERT INTO hephaestus.content_versions (id, content_item_id, version, body_sha256, media_type, origin, status, published_at) VALUES
    ('00000000-0000-7000-00e0-000000000006', '00000000-0000-7000-00e0-000000000005', 1, repeat('a', 64), 'text/plain', 'human', 'retired', now()),
    ('00000000-0000-7000-00e0-000000000007', '00000000-0000-7000-00e0-000000000005', 2, repeat('b', 64), 'text/plain', 'human', 'published', now());
CREATE TEMP TABLE bench_learners AS
    SELECT user_id AS id, row_number() OVER (ORDER BY user_id) AS n FROM hephaestus.cohort_members WHERE member_role = 'learner';
INSERT INTO hephaestus.content_exposures (learner_id, id, content_version_id, shown_at)
SELECT id, gen_random_uuid(), CASE WHEN n % 2 = 0 THEN '00000000-0000-7000-00e0-000000000006'::uuid ELSE '00000000-0000-7000-00e0-000000000007'::uuid END,
       now() - interval '30 days' - make_interval(mins => (hashint8(n) & 1023)::int)
FROM bench_learners;
SQL
psql_super hephaestus -v evidence="$EVIDENCE" <<'SQL'
CREATE TEMP TABLE bench_learners AS
    SELECT user_id AS id, row_number() OVER (ORDER BY user_id) AS n FROM hephaestus.cohort_members WHERE member_role = 'learner';
INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
SELECT l.id, gen_random_uuid(), s.id, ((hashint8(l.n * 100 + k) & 1) = 0 OR k > :evidence / 2)::int,
       now() - interval '60 days' + make_interval(days => (60 * k / (:evidence + 1))::int), 'event', k
FROM bench_learners l CROSS JOIN hephaestus.skills s CROSS JOIN generate_series(1, :evidence) k WHERE s.code LIKE 'bench-e%';
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, mastered, evidence_count, last_evidence_at)
SELECT l.id, s.id, 0.5, (l.n % 3 = 0), :evidence, now() - make_interval(days => (l.n % 30)::int)
FROM bench_learners l CROSS JOIN hephaestus.skills s WHERE s.code LIKE 'bench-e%';
INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ('00000000-0000-7000-00e0-000000000008', 'bench-path', 'Bench path');
INSERT INTO hephaestus.path_versions (id, path_id, version, status, published_at)
VALUES ('00000000-0000-7000-00e0-000000000009', '00000000-0000-7000-00e0-000000000008', 1, 'published', now());
INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, updated_at)
SELECT id, gen_random_uuid(), '00000000-0000-7000-00e0-000000000008', '00000000-0000-7000-00e0-000000000009',
       CASE WHEN n % 7 = 0 THEN 'withdrawn' ELSE 'active' END,
       ARRAY(SELECT CASE WHEN k <= n % 6 THEN 3 ELSE 0 END FROM generate_series(1, 5) k)::smallint[], array_fill(NULL::real, ARRAY[5]),
       now() - make_interval(days => (n % 40)::int)
FROM bench_learners;
SQL
BENCH_ITEM=$(curl -sS -H "Authorization: Bearer $AUTHOR" -H 'Content-Type: application/json' "$BASE/api/v1/items" -d '{"definition":{"type":"single_choice","prompt":"Pick b","points":1,"correctOptionId":"b","options":[{"id":"a","text":"A"},{"id":"b","text":"B"},{"id":"c","text":"C"}]},"skills":[{"skillId":"00000000-0000-7000-00e0-000000000003","weight":1}]}')
BENCH_ITEM_ID=$(echo "$BENCH_ITEM" | python3 -c "import sys, json; print(json.load(sys.stdin)['itemId'])")
BENCH_ITEM_VERSION=$(echo "$BENCH_ITEM" | python3 -c "import sys, json; print(json.load(sys.stdin)['versionId'])")
BENCH_ASSESSMENT=$(curl -sS -H "Authorization: Bearer $AUTHOR" -H 'Content-Type: application/json' "$BASE/api/v1/assessments" \
  -d "{\"title\":\"Bench patterns\",\"parts\":[{\"itemId\":\"$BENCH_ITEM_ID\"}]}" | python3 -c "import sys, json; print(json.load(sys.stdin)['id'])")
psql_super hephaestus -v assessment="$BENCH_ASSESSMENT" -v version="$BENCH_ITEM_VERSION" <<'SQL'
CREATE TEMP TABLE bench_learners AS
    SELECT user_id AS id, row_number() OVER (ORDER BY user_id) AS n FROM hephaestus.cohort_members WHERE member_role = 'learner';
CREATE TEMP TABLE bench_attempts AS
    SELECT l.id AS learner_id, gen_random_uuid() AS attempt_id, a AS number,
           (ARRAY['a', 'b', 'c'])[1 + (hashint8(l.n * 10 + CASE WHEN l.n % 4 = 0 THEN 1 ELSE a END) & 65535) % 3] AS option
    FROM bench_learners l CROSS JOIN generate_series(1, 2) a;
INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, assessment_version, number, status, item_version_ids, submitted_at)
SELECT learner_id, attempt_id, :'assessment', 1, number, 'submitted', ARRAY[:'version'::uuid], now() FROM bench_attempts;
INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response)
SELECT learner_id, attempt_id, :'version', jsonb_build_object('optionId', option) FROM bench_attempts;
INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
SELECT learner_id, gen_random_uuid(), attempt_id, 1, (option = 'b')::int, (option = 'b')::int, 1,
       jsonb_build_array(jsonb_build_object('itemVersionId', :'version', 'score', (option = 'b')::int, 'points', (option = 'b')::int, 'maxPoints', 1,
                                            'correct', option = 'b')), 'submitted'
FROM bench_attempts;
VACUUM ANALYZE;
SQL
COHORT=$(psql_super hephaestus -c "SELECT cohort_id FROM hephaestus.cohort_members WHERE member_role = 'learner' GROUP BY cohort_id ORDER BY cohort_id LIMIT 1")
PATH_ID=00000000-0000-7000-00e0-000000000008
ITEM=00000000-0000-7000-00e0-000000000005

# p95 URL: RUNS timed requests after one warm-up (JIT, plans); a warm-up that fails prints "failed: STATUS title" instead
# (and returns 1) and is not timed further.
p95() {
  local status; status=$(fetch_status "$1" "$ANALYST" "$OUT/effectiveness-last.json")
  if [ "$status" != 200 ]; then echo "failed: $(failure_cell "$status" "$OUT/effectiveness-last.json")"; return 1; fi
  for _ in $(seq 1 "$RUNS"); do curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $ANALYST" "$1"; done |
    python3 -c 'import sys; v = sorted(float(x) * 1000 for x in sys.stdin); print(f"{v[min(len(v) - 1, int(0.95 * len(v)))]:.0f}")'
}
# naive SQL: the statement timed by psql with index scans disabled (the plan a missing index leaves), median of 3.
naive() {
  for _ in 1 2 3; do
    printf 'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;\n\\timing on\n%s \\g /dev/null\n' "$1" |
      psql_super hephaestus | awk '/^Time:/ {print $2}' | tail -n 1
  done | python3 -c 'import sys, statistics; print(f"{statistics.median(float(x) for x in sys.stdin):.0f}")'
}
NAIVE_EFFECT="SELECT DISTINCT ON (x.learner_id) x.learner_id, x.content_version_id, x.shown_at, e.skill_id, e.score FROM hephaestus.content_exposures x
  JOIN hephaestus.content_versions v ON v.id = x.content_version_id AND v.content_item_id = '$ITEM'
  LEFT JOIN hephaestus.evidence e ON e.learner_id = x.learner_id AND e.observed_at <= x.shown_at + interval '14 days'
  ORDER BY x.learner_id, x.shown_at"
NAIVE_STUCK="SELECT m.skill_id, count(*), count(*) FILTER (WHERE m.evidence_count >= 5 AND NOT m.mastered) FROM hephaestus.enrollments e
  JOIN hephaestus.learner_skill_mastery m ON m.learner_id = e.learner_id WHERE e.path_id = '$PATH_ID' GROUP BY m.skill_id"

A="$BASE/api/v1/analytics"
effect_table="$OUT/analytics-effectiveness.md"
{
  echo "### Content effectiveness and learning patterns (issue 12, parts 3 and 4)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS RUNS=$RUNS EVIDENCE=$EVIDENCE bench/analytics.sh\` on $(machine_line)."
  echo "$LEARNERS learners, each shown one of two versions of a content item aligned to two skills, $EVIDENCE evidence rows per learner and skill,"
  echo "one path enrollment and two attempts each. p95 of $RUNS requests (curl, analyst); naive: the core statement with index scans disabled (psql, median of 3)."
  echo
  echo "| endpoint | group | p95 ms | naive ms | goal < 500 ms |"
  echo "|---|---|---|---|---|"
  # A failing endpoint is recorded in its row and in FAILED.
  row() {
    local ms
    if ms=$(p95 "$3"); then echo "| $1 | $2 | $ms | $4 | $([ "$ms" -lt 500 ] && echo met || echo NOT met) |"
    else echo "$1 ($2): $ms" >&2; FAILED+=("$1 ($2)"); echo "| $1 | $2 | $ms | $4 | NOT met |"; fi
  }
  row "content effectiveness" "all learners" "$A/content/items/$ITEM/effectiveness" "$(naive "$NAIVE_EFFECT")"
  row "effectiveness recommendation" "all learners" "$A/content/items/$ITEM/effectiveness/recommendation" "(as above)"
  for panel in stuck time-to-mastery early-quits repeated-wrong-answers at-risk; do
    naive_ms="-"; [ "$panel" = stuck ] && naive_ms=$(naive "$NAIVE_STUCK")
    row "patterns/$panel" "path ($LEARNERS)" "$A/patterns/$panel?pathId=$PATH_ID" "$naive_ms"
    row "patterns/$panel" "one cohort" "$A/patterns/$panel?cohortId=$COHORT" "-"
  done
} > "$effect_table"
cat "$effect_table"
if [ "$WRITE_DOCS" = 1 ]; then write_section analytics-effectiveness "$effect_table"; fi
fi

hold_if_asked
if [ "${#FAILED[@]}" -gt 0 ]; then echo "failed: ${FAILED[*]}"; exit 1; fi
