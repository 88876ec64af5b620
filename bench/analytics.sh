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
#   SECTIONS="lag performance" (default both); a tiny run of the second only:
#   LEARNERS=200 RUNS=5 SECTIONS=performance WRITE_DOCS=0 bench/analytics.sh
# Writes its tables into docs/benchmarks.md unless WRITE_DOCS=0. Traffic stays on 127.0.0.1; the script stops by itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-100000}
CONCURRENCY=${CONCURRENCY:-"8 32"}
DURATION=${DURATION:-30s}
ROWS_PER_TX=${ROWS_PER_TX:-100}
WRITE_DOCS=${WRITE_DOCS:-1}
SECTIONS=${SECTIONS:-"lag performance"}
RUNS=${RUNS:-20}

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
  status=$(curl -sS -o "$OUT/performance-$panel.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url")   # warm-up, kept for a look
  [ "$status" = 200 ] || { echo "$panel answered $status"; cat "$OUT/performance-$panel.json"; exit 1; }
  api=(); naive=()
  for _ in $(seq 1 "$RUNS"); do
    api+=("$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$url" | python3 -c 'import sys; print(float(sys.stdin.read()) * 1000)')")
    naive+=("$(printf '\\timing on\n%s \\g /dev/null\n' "${NAIVE_SQL[$panel]}" | psql_super hephaestus | awk '/^Time:/ {print $2}' | tail -n 1)")
  done
  a=$(p95 "${api[@]}"); n=$(p95 "${naive[@]}")
  echo "| $panel | $a | $n | $([ "$a" -lt 500 ] && echo yes || echo NO) |" >> "$perf_table"
done
cat "$perf_table"
if [ "$WRITE_DOCS" = 1 ]; then write_section analytics-performance "$perf_table"; fi
fi
