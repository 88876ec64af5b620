#!/usr/bin/env bash
# Analytics figures (issue 12). This is the skeleton the analytics sections grow into; today it holds one section:
# replica lag under ingestion load. The service starts its embedded PostgreSQL with a streaming replica
# (Embedded__Replica=true); pgbench writes on the primary at each concurrency while the lag is sampled every 0.5 s from
# three places: what Hephaestus reports (/health/ready replicaLagSeconds, the figure analytics answers carry), the
# primary's own view (pg_stat_replication.replay_lag) and the WAL still to replay (bytes).
#   bench/analytics.sh              (LEARNERS=100000 CONCURRENCY="8 32" DURATION=30s ROWS_PER_TX=100 by default)
#   LEARNERS=200 CONCURRENCY=2 DURATION=5s RUNS=3 WRITE_DOCS=0 bench/analytics.sh     (a tiny run: proves it works)
# Section "content effectiveness and patterns": every endpoint of parts 3 and 4 (RUNS requests each, p95 by curl) on
# LEARNERS seeded learners with EVIDENCE rows per learner and skill, beside the naive query (the same read with index
# scans disabled) in the same run.
# Writes its table into docs/benchmarks.md unless WRITE_DOCS=0. Traffic stays on 127.0.0.1; the script stops by itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-100000}
CONCURRENCY=${CONCURRENCY:-"8 32"}
DURATION=${DURATION:-30s}
ROWS_PER_TX=${ROWS_PER_TX:-100}
WRITE_DOCS=${WRITE_DOCS:-1}

need_tools
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$APP" ] || build_app
export Embedded__Replica=true
start_service
seed "$LEARNERS"

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

# --- Content effectiveness and learning patterns (issue 12, parts 3 and 4) ----------------------------------------------
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

# p95 URL: RUNS timed requests after one warm-up (JIT, plans); fails on a non-2xx answer.
p95() {
  curl -fsS -o /dev/null -H "Authorization: Bearer $ANALYST" "$1" || { echo "failed: $1"; exit 1; }
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
  row() { local ms; ms=$(p95 "$3"); echo "| $1 | $2 | $ms | $4 | $([ "$ms" -lt 500 ] && echo met || echo NOT met) |"; }
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
