#!/usr/bin/env bash
# Item analysis (issue 12): Moodle's statistics of one assessment with ATTEMPTS counted attempts of ITEMS items, through
# the API, beside the naive query (no running sums: every counted attempt read from results and its item scores
# unpacked from jsonb) in the same run, on one fresh embedded database.
#   bench/analytics-items.sh   (ATTEMPTS=100000 ITEMS=20 RUNS=5; DOCS=0 leaves docs/benchmarks.md alone, for a small trial run)
# A read that fails is recorded in its row (status and the problem's title); the script goes on and exits non-zero.
# Goal: the item analysis of an assessment with 100,000 attempts answers in under 1 s.
# Data is generated with SQL as the superuser (arranging, not measuring): learners, one submitted attempt each with a
# result whose item scores follow a 2PL model (ability from a hash of the learner, difficulties evenly from −2 to 2), and
# their contributions inserted the way the migration backfills them (so the trigger builds the running sums).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ATTEMPTS=${ATTEMPTS:-100000}
ITEMS=${ITEMS:-20}
RUNS=${RUNS:-5}
DOCS=${DOCS:-${WRITE_DOCS:-1}}   # WRITE_DOCS=0 works too, as in bench/analytics.sh

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service
TOKEN=$(token bench-items@example.com admin)
api() { curl -sS -H "Authorization: Bearer $TOKEN" "$@"; }
median() { python3 -c "import sys, statistics; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.0f}')" "$@"; }

# --- Items through SQL (no skills needed), the assessment through the API -------------------------------------------
psql_super hephaestus -v items="$ITEMS" <<'SQL'
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
INSERT INTO hephaestus.items (id) SELECT pg_temp.uid('0001', j) FROM generate_series(1, :items) j;
INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points)
SELECT pg_temp.uid('0002', j), pg_temp.uid('0001', j), 1, 'single_choice',
       jsonb_build_object('type', 'single_choice', 'prompt', 'Item ' || j, 'points', 1, 'correctOptionId', 'a',
                          'options', '[{"id":"a","text":"A"},{"id":"b","text":"B"},{"id":"c","text":"C"},{"id":"d","text":"D"}]'::jsonb), 1
FROM generate_series(1, :items) j;
SQL
PARTS=$(python3 -c "import sys; print(','.join('{\"itemId\":\"00000000-0000-7000-0001-%012x\"}' % j for j in range(1, int(sys.argv[1]) + 1)))" "$ITEMS")
ASSESSMENT=$(api -X POST -H 'Content-Type: application/json' "$BASE/api/v1/assessments" -d "{\"title\":\"Item analysis bench\",\"parts\":[$PARTS]}" \
  | python3 -c "import sys, json; print(json.load(sys.stdin)['id'])")

# --- Learners, attempts, results, contributions ------------------------------------------------------------------------
t0=$(date +%s)
psql_super hephaestus -v attempts="$ATTEMPTS" -v items="$ITEMS" -v assessment="$ASSESSMENT" <<'SQL'
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
INSERT INTO hephaestus.users (id, external_subject, email, display_name)
SELECT pg_temp.uid('0003', i), 'bench|items-' || i, 'items-' || i || '@bench.test', 'Learner ' || i FROM generate_series(1, :attempts) i;
INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, assessment_version, number, status, item_version_ids, submitted_at)
SELECT pg_temp.uid('0003', i), pg_temp.uid('0004', i), :'assessment', 1, 1, 'submitted',
       ARRAY(SELECT pg_temp.uid('0002', j) FROM generate_series(1, :items) j ORDER BY j), now()
FROM generate_series(1, :attempts) i;
-- Right with probability 1 / (1 + e^−(θ − b)): θ uniform in −2..2 from a hash of the learner, b evenly from −2 to 2.
WITH marks AS (
    SELECT i, j, CASE WHEN (hashint4(i * 1000 + j) & 65535) / 65536.0
                           < 1 / (1 + exp(-(((hashint4(i) & 65535) / 65535.0 - 0.5) * 4 - (-2 + 4.0 * (j - 1) / greatest(:items - 1, 1)))))
                      THEN 1 ELSE 0 END AS x
    FROM generate_series(1, :attempts) i, generate_series(1, :items) j
)
INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
SELECT pg_temp.uid('0003', i), pg_temp.uid('0005', i), pg_temp.uid('0004', i), 1, round(sum(x)::numeric / :items, 6), sum(x), :items,
       jsonb_agg(jsonb_build_object('itemVersionId', pg_temp.uid('0002', j), 'score', x, 'points', x, 'maxPoints', 1, 'correct', x = 1) ORDER BY j),
       'submitted'
FROM marks GROUP BY i;
INSERT INTO hephaestus.item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks)
SELECT learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks
FROM hephaestus.item_analysis_counted(NULL, :'assessment');
VACUUM ANALYZE;
SQL
SEED_SECONDS=$(( $(date +%s) - t0 ))

# --- Measure ------------------------------------------------------------------------------------------------------------
URL="$BASE/api/v1/analytics/assessments/$ASSESSMENT/item-analysis"
# Warm-ups (JIT, pool, plans), the answers kept for a look. A read that fails is recorded in its row (status and the
# problem's title) and not timed; the naive query still is, and the script exits non-zero at the end.
FULL_STATUS=$(fetch_status "$URL" "$TOKEN" "$OUT/item-analysis.json")
LIVE_STATUS=$(fetch_status "$URL?orderStatistics=false" "$TOKEN" "$OUT/item-analysis-live.json")
if [ "$FULL_STATUS" = 200 ]; then
  COUNTED=$(python3 -c "import sys, json; print(json.load(open(sys.argv[1]))['test']['attempts'])" "$OUT/item-analysis.json")
  [ "$COUNTED" = "$ATTEMPTS" ] || { echo "the analysis counted $COUNTED attempts, expected $ATTEMPTS"; exit 1; }
fi
FULL=(); LIVE=(); NAIVE=()
for _ in $(seq 1 "$RUNS"); do
  [ "$FULL_STATUS" = 200 ] && FULL+=("$(api -o /dev/null -w '%{time_total}' "$URL" | python3 -c 'import sys; print(float(sys.stdin.read()) * 1000)')")
  [ "$LIVE_STATUS" = 200 ] && LIVE+=("$(api -o /dev/null -w '%{time_total}' "$URL?orderStatistics=false" | python3 -c 'import sys; print(float(sys.stdin.read()) * 1000)')")
  # The naive query: no running sums, no contributions table; the counted attempts from attempts and results (latest
  # revision, the policy's pick), item scores unpacked from jsonb, the moment sums and the median in one statement.
  NAIVE+=("$(psql_super hephaestus -v assessment="$ASSESSMENT" <<'SQL' | awk '/^Time:/ {print $2}' | tail -n 1
\timing on
WITH counted AS (
    SELECT r.points AS total, r.item_scores
    FROM hephaestus.attempts a
    JOIN hephaestus.assessments s ON s.id = a.assessment_id
    CROSS JOIN LATERAL (SELECT r.points, r.score, r.item_scores FROM hephaestus.results r
                        WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id ORDER BY r.revision DESC LIMIT 1) r
    WHERE a.assessment_id = :'assessment'
), marks AS (
    SELECT c.total, (e ->> 'itemVersionId')::uuid AS item, (e ->> 'points')::numeric AS x FROM counted c, jsonb_array_elements(c.item_scores) e
)
SELECT (SELECT json_agg(s) FROM (SELECT item, count(*), sum(x), sum(x * x), sum(x * total), sum(total), sum(total * total)
                                FROM marks GROUP BY item) s),
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM counted) \g /dev/null
SQL
)")
done
CONTRIB_SIZE=$(psql_super hephaestus -c "SELECT pg_size_pretty(pg_total_relation_size('hephaestus.item_analysis_attempts'))")

table="$OUT/analytics-items.md"
{
  echo "## Item analysis (issue 12)"
  echo
  echo "Command: \`ATTEMPTS=$ATTEMPTS ITEMS=$ITEMS RUNS=$RUNS bench/analytics-items.sh\` on $(machine_line)."
  echo "One assessment, $ATTEMPTS learners with one submitted attempt each, $ITEMS single-choice items (2PL-like marks), seeded by SQL in ${SEED_SECONDS} s"
  echo "(contributions $CONTRIB_SIZE). Medians of $RUNS runs, ms, measured by curl (API) and psql \\timing (naive, server side)."
  echo
  echo "| what | median ms | runs |"
  echo "|---|---|---|"
  # cell STATUS FILE TIMES...: the median, or the failure (status and the problem's title).
  cell() { if [ "$1" = 200 ]; then echo "$(median "${@:3}") | ${*:3}"; else echo "failed: $(failure_cell "$1" "$2") | -"; fi; }
  echo "| API item analysis, all figures (sums + one read of the counted attempts for median and discriminative efficiency) | $(cell "$FULL_STATUS" "$OUT/item-analysis.json" "${FULL[@]}") |"
  echo "| API item analysis, orderStatistics=false (running sums only) | $(cell "$LIVE_STATUS" "$OUT/item-analysis-live.json" "${LIVE[@]}") |"
  echo "| naive SQL: moment sums and median from attempts and results (no running sums, no Cov_max) | $(median "${NAIVE[@]}") | ${NAIVE[*]} |"
  echo
  if [ "$FULL_STATUS" = 200 ]; then full=$(median "${FULL[@]}"); else full=1000; fi
  echo "Goal under 1,000 ms for $ATTEMPTS attempts: **$([ "$full" -lt 1000 ] && echo met || echo NOT met)** (all figures)."
} > "$table"
cat "$table"
if [ "$DOCS" = "1" ]; then write_section analytics-items "$table"; fi
hold_if_asked
if [ "$FULL_STATUS" != 200 ] || [ "$LIVE_STATUS" != 200 ]; then echo "failed: item analysis answered $FULL_STATUS (all figures), $LIVE_STATUS (sums only)"; exit 1; fi
exit 0
