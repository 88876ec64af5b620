#!/usr/bin/env bash
# Assessment submission (score, result, evidence, mastery, progress: one durable transaction) through the API,
# side by side with pgbench's TPC-B-like script and with pgbench running the submission's own statements.
#   bench/submit.sh               (LEARNERS=2000 ATTEMPTS_PER_LEARNER=60 CONCURRENCY="8" DURATION=15s WARM_SECONDS=10)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-2000}
ATTEMPTS_PER_LEARNER=${ATTEMPTS_PER_LEARNER:-60}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-15s}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service
seed "$LEARNERS"

arrange_submissions "$ATTEMPTS_PER_LEARNER"
# The warm-up (WARM_SECONDS, before the first measured run) submits from the last fifth of the prepared attempts, a file of
# its own, so that the measured run never meets an attempt already submitted (each can be submitted once).
WARM_SECONDS=${WARM_SECONDS:-10}
ATTEMPT_LINES=$(wc -l < "$OUT/attempts.txt")
head -n $(( ATTEMPT_LINES - ATTEMPT_LINES / 5 )) "$OUT/attempts.txt" > "$OUT/attempts-measured.txt"
tail -n $(( ATTEMPT_LINES / 5 )) "$OUT/attempts.txt" > "$OUT/attempts-warm.txt"
export ATTEMPTS_FILE="$OUT/attempts-measured.txt"

psql_super postgres -c "CREATE DATABASE pgbench"
PGPASSWORD="$PG_SUPER_PASSWORD" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1

# The statements one submission issues, in order and in the same round trips, as the application login (row-level
# security applies). Derived from the service itself: pg_stat_statements (with pg_stat_statements.track_planning on)
# across 50 sequential submissions of this script's data, one call of each statement per submission, grouped into round
# trips as the code batches them (AttemptStore.Submission, LearnerRecord, MasteryRecorder, ProgressEngine). Each `\;`
# joins statements into one round trip; a round trip ends at a line without it. What differs, for honesty:
#   - pgbench picks an attempt the service left open (its own copy of the open attempts, a sequence handing each out
#     once), so every write is real: the attempt closes, the result, evidence and idempotency key are new rows, the
#     mastery row moves (value, evidence count, state), item analysis counts the attempt (its sums move);
#   - the values computed in C# (score, mastery value and state, response body) are SQL stand-ins of the same size and
#     kind; the JSON is what the service writes for this item;
#   - pgbench's simple protocol plans every statement on every run, while the service's prepared statements keep their
#     plans (Npgsql auto-prepares): this baseline pays planning the service does not;
#   - Npgsql's connection reset (7 statements prepended to a pooled connection's first query) and the request's
#     authentication (resolve_actor) are left out: not the submission's work.
cat > "$OUT/submit.sql" <<'SQL'
BEGIN \;
SELECT b.learner_id AS learner, b.attempt_id AS attempt, gen_random_uuid() AS result, gen_random_uuid() AS evidence, CASE WHEN b.k % 3 = 0 THEN 0 ELSE 1 END AS score, CASE WHEN b.k % 3 = 0 THEN 'false' ELSE 'true' END AS correct,
       set_config('hephaestus.user_id', b.learner_id::text, true), set_config('hephaestus.roles', '{learner}', true), set_config('hephaestus.operation', 'learner_record', true)
FROM public.bench_pgbench_attempts b WHERE b.n = (SELECT nextval('public.bench_pgbench_next')) \gset
SELECT pg_try_advisory_xact_lock(hashtextextended(':learner'::uuid::text || ':' || ':attempt', 0)) \;
SELECT request_hash, response_status, response_body FROM hephaestus.idempotency_keys WHERE learner_id = ':learner' AND key = ':attempt' \;
SELECT id, learner_id, assessment_id, number, status, started_at, deadline_at, submitted_at, item_version_ids, assessment_version, due_at, late FROM hephaestus.attempts WHERE learner_id = ':learner' AND id = ':attempt' FOR UPDATE \;
SELECT v.id, v.definition, (SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id) FROM hephaestus.attempt_item_definitions(':learner', ':attempt') v \;
SELECT r.item_version_id, r.response FROM hephaestus.attempt_responses r JOIN hephaestus.attempts a ON a.learner_id = r.learner_id AND a.id = r.attempt_id WHERE r.learner_id = ':learner' AND r.attempt_id = ':attempt' AND (a.deadline_at IS NULL OR r.saved_at <= a.deadline_at) \;
SELECT v.settings, a.due_at FROM hephaestus.attempts t JOIN hephaestus.assessment_versions v ON v.assessment_id = t.assessment_id AND v.version = t.assessment_version JOIN hephaestus.assessments a ON a.id = t.assessment_id WHERE t.learner_id = ':learner' AND t.id = ':attempt';
SET LOCAL hephaestus.operation = 'learner_record' \;
INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, passed, item_scores, reason) VALUES (':learner', ':result', ':attempt', 1, :score, :score, 1, NULL, '[{"score": :score, "points": :score, "correct": :correct, "maxPoints": 1, "itemVersionId": "00000000-0000-7000-8000-000000000005"}]', 'submitted') \;
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id) SELECT ':learner', s FROM unnest(ARRAY['00000000-0000-7000-8000-000000000003']::uuid[]) AS s ORDER BY s ON CONFLICT DO NOTHING \;
SELECT skill_id, state::text, evidence_count, value FROM hephaestus.learner_skill_mastery WHERE learner_id = ':learner' AND skill_id = ANY (ARRAY['00000000-0000-7000-8000-000000000003']::uuid[]) ORDER BY skill_id FOR UPDATE \;
SELECT s.id, s.code, coalesce(s.mastery_method, f.mastery_method), coalesce(s.mastery_parameters, f.mastery_parameters)::text, (SELECT json_agg(json_build_object('rank', l.rank, 'name', l.name, 'threshold', l.threshold, 'isMastery', l.is_mastery) ORDER BY l.rank) FROM hephaestus.mastery_levels l WHERE l.scale_id = f.scale_id)::text FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id WHERE s.id = ANY (ARRAY['00000000-0000-7000-8000-000000000003']::uuid[]) \aset
INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, weight, observed_at, due_at, source, attempt_id, result_id, item_version_id, rubric_assessment_id, skill_seq, event_id) SELECT ':learner', u.* FROM unnest(ARRAY[':evidence']::uuid[], ARRAY['00000000-0000-7000-8000-000000000003']::uuid[], ARRAY[:score]::numeric[], ARRAY[1]::numeric[], ARRAY[now()]::timestamptz[], ARRAY[NULL]::timestamptz[], ARRAY['item_response']::text[], ARRAY[':attempt']::uuid[], ARRAY[':result']::uuid[], ARRAY['00000000-0000-7000-8000-000000000005']::uuid[], ARRAY[NULL]::uuid[], ARRAY[:evidence_count + 1]::int[], ARRAY[NULL]::uuid[]) AS u \;
UPDATE hephaestus.learner_skill_mastery m SET value = u.value, level_rank = u.level_rank, level_name = u.level_name, mastered = u.mastered, evidence_count = u.evidence_count, last_evidence_at = u.last_at, method = u.method, state = u.state::jsonb, updated_at = now() FROM unnest(ARRAY['00000000-0000-7000-8000-000000000003']::uuid[], ARRAY[round((coalesce(nullif(':value', '')::numeric, 0) * :evidence_count + :score) / (:evidence_count + 1), 5)]::numeric[], ARRAY[1]::smallint[], ARRAY['familiar']::text[], ARRAY[false]::boolean[], ARRAY[:evidence_count + 1]::int[], ARRAY[now()]::timestamptz[], ARRAY['bkt']::text[], ARRAY[json_build_object('max', 1, 'sum', :evidence_count + :score, 'count', :evidence_count + 1, 'latest', :score, 'decaying', 0.35, 'olderMean', 1, 'weightSum', :evidence_count + 1, 'masterySum', :evidence_count, 'weightedSum', :evidence_count + :score, 'lastOrderKey', now(), 'masteryCount', :evidence_count, 'bktProbability', random(), 'lastObservedAt', now())::text]::text[]) AS u (skill_id, value, level_rank, level_name, mastered, evidence_count, last_at, method, state) WHERE m.learner_id = ':learner' AND m.skill_id = u.skill_id \;
UPDATE hephaestus.attempts SET status = 'submitted', submitted_at = now(), due_at = NULL WHERE learner_id = ':learner' AND id = ':attempt' \;
INSERT INTO hephaestus.idempotency_keys (learner_id, key, scope, request_hash, response_status, response_body) VALUES (':learner', ':attempt', 'submit', sha256(':attempt'::bytea), 201, '{"attemptId":":attempt","resultId":":result","revision":1,"feedback":"score","score": :score,"points": :score,"maxPoints":1,"passed":null,"items":null,"dueAt":null,"late":false}') \;
WITH counted AS (SELECT * FROM hephaestus.item_analysis_counted_attempts WHERE learner_id = ':learner' AND assessment_id = '00000000-0000-7000-8000-000000000006'), gone AS (DELETE FROM hephaestus.item_analysis_attempts c WHERE c.learner_id = ':learner' AND c.assessment_id = '00000000-0000-7000-8000-000000000006' AND NOT EXISTS (SELECT FROM counted k WHERE k.result_id = c.result_id)) INSERT INTO hephaestus.item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks) SELECT k.learner_id, k.assessment_id, k.result_id, k.attempt_id, k.total, k.max_total, k.item_version_ids, k.marks FROM counted k WHERE NOT EXISTS (SELECT FROM hephaestus.item_analysis_attempts c WHERE c.learner_id = ':learner' AND c.assessment_id = '00000000-0000-7000-8000-000000000006' AND c.result_id = k.result_id) \;
SELECT learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, step_status, step_scores, inserted_steps::text, unlocked_steps, xmin FROM hephaestus.enrollments WHERE learner_id = ':learner' AND status = 'active' ORDER BY id FOR UPDATE \;
SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = ':learner' AND EXISTS (SELECT 1 FROM hephaestus.enrollments WHERE learner_id = ':learner' AND status = 'active') \;
SET LOCAL hephaestus.operation = 'learner_record' \;
SELECT a.learner_id, a.assessment_id, s.attempt_policy, array_agg(r.score ORDER BY a.number) FROM hephaestus.attempts a JOIN hephaestus.assessments s ON s.id = a.assessment_id CROSS JOIN LATERAL (SELECT r.score FROM hephaestus.results r WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id ORDER BY r.revision DESC LIMIT 1) r WHERE a.learner_id = ':learner' AND a.assessment_id = '00000000-0000-7000-8000-000000000006' GROUP BY a.learner_id, a.assessment_id, s.attempt_policy;
COMMIT;
SQL

table="$OUT/submit-table.md"
{
  echo "### Assessment submission (issue 4)"
  echo
  echo "Command: \`LEARNERS=$LEARNERS ATTEMPTS_PER_LEARNER=$ATTEMPTS_PER_LEARNER CONCURRENCY=\"$CONCURRENCY\" DURATION=$DURATION bench/submit.sh\` on $(machine_line)."
  echo "Each request submits a different prepared attempt (one item aligned to one skill) with its own Idempotency-Key: score, result,"
  echo "evidence, mastery update and progress re-evaluation in one durable transaction (synchronous_commit on)."
  echo
  echo "| scenario | clients | Hephaestus req/s | p50 | p99 | raw limit | raw tps | raw avg latency | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$table"
for c in $CONCURRENCY; do
  THREADS=$(( c < 2 ? c : 2 )); export THREADS
  if [ -z "${WARMED:-}" ]; then
    ATTEMPTS_FILE="$OUT/attempts-warm.txt" wrk -t "$THREADS" -c "$c" -d "${WARM_SECONDS}s" -s "$BENCH_DIR/lua/submit.lua" "$BASE" >/dev/null 2>&1
    WARMED=1
  fi
  out=$(wrk -t "$THREADS" -c "$c" -d "$DURATION" --latency -s "$BENCH_DIR/lua/submit.lua" "$BASE" 2>&1)
  echo "$out" > "$OUT/submit-c$c.wrk.txt"
  if echo "$out" | grep -q "Non-2xx"; then echo "$out"; echo "non-2xx responses: see $OUT/submit-c$c.wrk.txt"; exit 1; fi
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  pgbench_run tpcb "$c" pgbench postgres "$PG_SUPER_PASSWORD"
  echo "| submit | $c | $rps | $p50 | $p99 | pgbench TPC-B-like (default) | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$rps" "$PGB_TPS") |" >> "$table"
  # pgbench's own copy of the attempts still open after the service's run, each handed out once (a sequence).
  psql_super hephaestus <<'SQL'
DROP TABLE IF EXISTS public.bench_pgbench_attempts; DROP SEQUENCE IF EXISTS public.bench_pgbench_next;
CREATE TABLE public.bench_pgbench_attempts AS
  SELECT row_number() OVER (ORDER BY b.k, b.learner_id) AS n, b.learner_id, b.attempt_id, b.k
  FROM public.bench_attempts b JOIN hephaestus.attempts a ON a.learner_id = b.learner_id AND a.id = b.attempt_id WHERE a.status = 'in_progress';
CREATE UNIQUE INDEX ON public.bench_pgbench_attempts (n);
CREATE SEQUENCE public.bench_pgbench_next;
GRANT SELECT ON public.bench_pgbench_attempts TO hephaestus_app; GRANT USAGE ON SEQUENCE public.bench_pgbench_next TO hephaestus_app;
ANALYZE public.bench_pgbench_attempts;
SQL
  pgbench_run submit-same-sql "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/submit.sql"
  if grep -q "number of failed transactions: [1-9]\|aborted" "$OUT/submit-same-sql-c$c.pgbench.txt"; then cat "$OUT/submit-same-sql-c$c.pgbench.txt"; exit 1; fi
  echo "| submit | $c | $rps | $p50 | $p99 | the submission's statements | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$rps" "$PGB_TPS") |" >> "$table"
done
submitted=$(psql_super hephaestus -c "SELECT count(*) FROM hephaestus.results WHERE reason = 'submitted' AND item_scores <> '[]'")
echo >> "$table"
echo "Submissions recorded by the service in this run: $submitted (each with its evidence row and mastery update)." >> "$table"
cat "$table"
write_section submit "$table"
