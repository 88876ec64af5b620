#!/usr/bin/env bash
# Assessment submission (score, result, evidence, mastery, progress: one durable transaction) through the API,
# side by side with pgbench's TPC-B-like script and with pgbench running the submission's own statements.
#   bench/submit.sh               (LEARNERS=2000 ATTEMPTS_PER_LEARNER=60 CONCURRENCY="8" DURATION=15s)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LEARNERS=${LEARNERS:-2000}
ATTEMPTS_PER_LEARNER=${ATTEMPTS_PER_LEARNER:-60}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-15s}

need_tools
mkdir -p "$OUT"
build_app
start_service
seed "$LEARNERS"

arrange_submissions "$ATTEMPTS_PER_LEARNER"
export ATTEMPTS_FILE="$OUT/attempts.txt"

psql_super postgres -c "CREATE DATABASE pgbench"
PGPASSWORD="$PG_SUPER_PASSWORD" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1

# The statements one submission issues, in order, as the application login. Differences from the service, for
# honesty: the result insert uses ON CONFLICT so that pgbench can run one attempt more than once, and the JSON it
# writes is a constant; the round trips are the same.
cat > "$OUT/submit.sql" <<'SQL'
\set n random(1, 100000)
BEGIN;
SELECT set_config('hephaestus.user_id', (SELECT learner_id::text FROM public.bench_attempts WHERE n = :n), true), set_config('hephaestus.roles', '{learner}', true), set_config('hephaestus.operation', 'learner_record', true);
SELECT pg_try_advisory_xact_lock(hashtextextended((SELECT learner_id::text FROM public.bench_attempts WHERE n = :n) || ':' || :n, 0));
SELECT request_hash, response_status, response_body FROM hephaestus.idempotency_keys WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND key = :n::text;
SELECT id, learner_id, assessment_id, number, status, started_at, deadline_at, submitted_at, item_version_ids FROM hephaestus.attempts WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND id = (SELECT attempt_id FROM public.bench_attempts WHERE n = :n) FOR UPDATE;
SELECT v.id, v.definition::text, (SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)::text FROM hephaestus.attempt_item_definitions((SELECT learner_id FROM public.bench_attempts WHERE n = :n), (SELECT attempt_id FROM public.bench_attempts WHERE n = :n)) v;
SELECT item_version_id, response::text FROM hephaestus.attempt_responses WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND attempt_id = (SELECT attempt_id FROM public.bench_attempts WHERE n = :n);
SELECT a.title, a.settings::text, a.created_at, p.item_id, p.item_version, p.pool_skill_id, p.pool_count FROM hephaestus.assessments a LEFT JOIN hephaestus.assessment_parts p ON p.assessment_id = a.id WHERE a.id = '00000000-0000-7000-8000-000000000006' ORDER BY p.position;
INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, passed, item_scores, reason) SELECT learner_id, gen_random_uuid(), attempt_id, 1, 1, 1, 1, NULL, '[]', 'submitted' FROM public.bench_attempts WHERE n = :n ON CONFLICT DO NOTHING;
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id) SELECT learner_id, '00000000-0000-7000-8000-000000000003' FROM public.bench_attempts WHERE n = :n ON CONFLICT DO NOTHING;
SELECT skill_id, state::text, evidence_count, value FROM hephaestus.learner_skill_mastery WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND skill_id = ANY (ARRAY['00000000-0000-7000-8000-000000000003'::uuid]) ORDER BY skill_id FOR UPDATE;
SELECT s.id, s.code, coalesce(s.mastery_method, f.mastery_method), coalesce(s.mastery_parameters, f.mastery_parameters)::text, (SELECT json_agg(json_build_object('rank', l.rank, 'name', l.name, 'threshold', l.threshold, 'isMastery', l.is_mastery) ORDER BY l.rank) FROM hephaestus.mastery_levels l WHERE l.scale_id = f.scale_id)::text FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id WHERE s.id = ANY (ARRAY['00000000-0000-7000-8000-000000000003'::uuid]);
INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, weight, observed_at, source, attempt_id, result_id, item_version_id, skill_seq) SELECT b.learner_id, gen_random_uuid(), '00000000-0000-7000-8000-000000000003', 1, 1, now(), 'item_response', b.attempt_id, r.id, '00000000-0000-7000-8000-000000000005', 1000000 + :n * 10 + (random() * 9)::int FROM public.bench_attempts b JOIN hephaestus.results r ON r.learner_id = b.learner_id AND r.attempt_id = b.attempt_id WHERE b.n = :n LIMIT 1 ON CONFLICT DO NOTHING;
UPDATE hephaestus.learner_skill_mastery SET value = 0.5, evidence_count = evidence_count + 1, state = '{}', updated_at = now() WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND skill_id = '00000000-0000-7000-8000-000000000003';
UPDATE hephaestus.attempts SET status = status WHERE learner_id = (SELECT learner_id FROM public.bench_attempts WHERE n = :n) AND id = (SELECT attempt_id FROM public.bench_attempts WHERE n = :n);
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
  # No warm-up run here: every request consumes an attempt. The first second or so includes JIT warm-up.
  out=$(wrk -t "$THREADS" -c "$c" -d "$DURATION" --latency -s "$BENCH_DIR/lua/submit.lua" "$BASE" 2>&1)
  echo "$out" > "$OUT/submit-c$c.wrk.txt"
  if echo "$out" | grep -q "Non-2xx"; then echo "$out"; echo "non-2xx responses: see $OUT/submit-c$c.wrk.txt"; exit 1; fi
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  pgbench_run tpcb "$c" pgbench postgres "$PG_SUPER_PASSWORD"
  echo "| submit | $c | $rps | $p50 | $p99 | pgbench TPC-B-like (default) | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$rps" "$PGB_TPS") |" >> "$table"
  pgbench_run submit-same-sql "$c" hephaestus hephaestus "$PG_APP_PASSWORD" -f "$OUT/submit.sql"
  echo "| submit | $c | $rps | $p50 | $p99 | the submission's statements | $PGB_TPS | ${PGB_LAT} ms | $(ratio "$rps" "$PGB_TPS") |" >> "$table"
done
submitted=$(psql_super hephaestus -c "SELECT count(*) FROM hephaestus.results WHERE reason = 'submitted' AND item_scores <> '[]'")
echo >> "$table"
echo "Submissions recorded by the service in this run: $submitted (each with its evidence row and mastery update)." >> "$table"
cat "$table"
write_section submit "$table"
