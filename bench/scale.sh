#!/usr/bin/env bash
# Flat cost as learners grow (issue 13, part 5): every per-learner operation measured at SMALL learners, then on the same
# server after growing the population to LARGE learners, in one run.
#   bench/scale.sh    (SMALL=100000 LARGE=1000000 SAMPLE=3000 CONCURRENCY=8 DURATION=15s by default)
# Operations (wrk, after a 15 s warm-up of the service at each size and wrk_run's own 5 s warm-up per operation):
#   profile read   GET /api/v1/users/{id}, an admin reading learners drawn at random from the whole population;
#   next           GET …/learners/{id}/enrollments/{e}/next, a learner of the sample with their own token;
#   mastery read   GET …/learners/{id}/mastery, the same;
#   submit         POST …/attempts/{a}/submit (durable), each request a different prepared attempt of the sample.
# The sample (SAMPLE learners, tokens minted for them) is drawn at random from the whole population at each size, so the
# rows read are spread over every table as the population grows. Every learner is arranged alike, by SQL as the superuser:
# an enrollment in one published path of 20 skill steps (0..19 completed), 20 mastery rows; the sample's learners get
# ATTEMPTS prepared open attempts with a saved answer at a one-item assessment. Growing = `hephaestus seed` again with
# another --seed (it adds people), the same arrangement for the new learners, VACUUM ANALYZE, CHECKPOINT.
# Writes its table into docs/benchmarks.md unless WRITE_DOCS=0. Traffic stays on 127.0.0.1; the script stops by itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SMALL=${SMALL:-100000}
LARGE=${LARGE:-1000000}
SAMPLE=${SAMPLE:-3000}
ATTEMPTS=${ATTEMPTS:-8}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-15s}
WRITE_DOCS=${WRITE_DOCS:-1}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service
ADMIN=$(token bench-scale@example.org admin)

# The catalog once: a scale, a framework of 20 skills, a published path of 20 skill steps (each on the step before), a
# one-item assessment aligned to the first skill.
psql_super hephaestus <<'SQL'
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
INSERT INTO hephaestus.mastery_scales VALUES (pg_temp.uid('5c00', 1), pg_temp.uid('5c00', 1), 1, 'Scale bench', now());
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
  (pg_temp.uid('5c00', 1), 0, 'attempted', 0, false), (pg_temp.uid('5c00', 1), 1, 'familiar', 0.5, false),
  (pg_temp.uid('5c00', 1), 2, 'proficient', 0.8, false), (pg_temp.uid('5c00', 1), 3, 'mastered', 0.95, true);
INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id) VALUES (pg_temp.uid('5c00', 2), 'scale', 'Scale', pg_temp.uid('5c00', 1));
INSERT INTO hephaestus.skills (id, framework_id, code, title, position)
  SELECT pg_temp.uid('5c01', i), pg_temp.uid('5c00', 2), 'scale-' || i, 'Skill ' || i, i FROM generate_series(0, 19) i;
INSERT INTO hephaestus.learning_paths (id, code, title) VALUES (pg_temp.uid('5c00', 3), 'scale-path', 'Scale path');
INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES (pg_temp.uid('5c00', 4), pg_temp.uid('5c00', 3), 1);
INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids)
  SELECT pg_temp.uid('5c02', i), pg_temp.uid('5c00', 4), 'step-' || i, 'skill', pg_temp.uid('5c01', i), 'Step ' || i, i, ARRAY[pg_temp.uid('5c01', i)]
  FROM generate_series(0, 19) i;
INSERT INTO hephaestus.path_step_prerequisites (path_version_id, step_id, prerequisite_step_id)
  SELECT pg_temp.uid('5c00', 4), pg_temp.uid('5c02', i), pg_temp.uid('5c02', i - 1) FROM generate_series(1, 19) i;
UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = pg_temp.uid('5c00', 4);
INSERT INTO hephaestus.items (id, code) VALUES (pg_temp.uid('5c03', 1), 'scale-q1');
INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points) VALUES (pg_temp.uid('5c04', 1), pg_temp.uid('5c03', 1), 1, 'single_choice',
  '{"type":"single_choice","prompt":"1/2 + 1/4?","points":1,"options":[{"id":"a","text":"2/6"},{"id":"b","text":"3/4"}],"correctOptionId":"b"}', 1);
INSERT INTO hephaestus.item_version_skills VALUES (pg_temp.uid('5c04', 1), pg_temp.uid('5c01', 0), 1);
INSERT INTO hephaestus.assessments (id, title, settings) VALUES (pg_temp.uid('5c05', 1), 'Scale quiz', '{"feedback":"score"}');
INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings) VALUES (pg_temp.uid('5c05', 1), 1, '{"feedback":"score"}');
INSERT INTO hephaestus.assessment_parts (assessment_id, version, position, item_id) VALUES (pg_temp.uid('5c05', 1), 1, 0, pg_temp.uid('5c03', 1));
CREATE TABLE public.scale_attempts (learner_id uuid, attempt_id uuid, email text, k int);
SQL

# grow N SEED: N more learners (the seed verb), then an enrollment and 20 mastery rows for every learner without one.
# Triggers are skipped for the bulk insert (session_replication_role = replica): the foreign keys' checks (the rows refer
# to the catalog above and to learners just read from users, so they hold by construction), the published-version check
# (the version is published) and the mastered_at stamp (set here as the trigger would).
grow() {
  (cd "$OUT/app" && "$APP" seed --learners "$1" --seed "$2") >/dev/null
  psql_super hephaestus <<'SQL'
SET session_replication_role = replica;
SET work_mem = '256MB';
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
CREATE TEMP TABLE fresh AS
  SELECT u.id, abs(hashtext(u.id::text)) % 20 AS h FROM hephaestus.users u
  WHERE u.roles = '{learner}' AND NOT EXISTS (SELECT 1 FROM hephaestus.enrollments e WHERE e.learner_id = u.id);
INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, step_notes, enrolled_at, updated_at)
  SELECT f.id, gen_random_uuid(), pg_temp.uid('5c00', 3), pg_temp.uid('5c00', 4), 'active',
         ARRAY(SELECT CASE WHEN i < f.h THEN 3 WHEN i = f.h THEN 1 ELSE 0 END::smallint FROM generate_series(0, 19) i ORDER BY i),
         array_fill(NULL::real, ARRAY[20]),
         coalesce((SELECT jsonb_object_agg('step-' || i, jsonb_build_object('reason', 'completed', 'updatedAt', now() - make_interval(days => 20 - i)))
                   FROM generate_series(0, f.h - 1) i), '{}'),
         now() - interval '30 days', now() - interval '1 day'
  FROM fresh f;
INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count, last_evidence_at, updated_at, mastered_at)
  SELECT f.id, pg_temp.uid('5c01', k), v, r, (ARRAY['attempted', 'familiar', 'proficient', 'mastered'])[r + 1], r = 3, 1 + k % 5,
         now() - make_interval(days => k), now() - make_interval(days => k), CASE WHEN r = 3 THEN now() - make_interval(days => k) END
  FROM fresh f, generate_series(0, 19) k,
       LATERAL (SELECT ((f.h * 13 + k * 29) % 100) / 100.0 AS v) x,
       LATERAL (SELECT CASE WHEN v >= 0.95 THEN 3 WHEN v >= 0.8 THEN 2 WHEN v >= 0.5 THEN 1 ELSE 0 END AS r) y;
SQL
  psql_super hephaestus -c "VACUUM (ANALYZE)" -c "CHECKPOINT"
}

# sample SIZE: SAMPLE learners drawn at random from everyone, ATTEMPTS prepared attempts each (numbered after any earlier
# ones), their tokens; writes the wrk input files.
sample() {
  psql_super hephaestus -v n="$SAMPLE" -v attempts="$ATTEMPTS" -v size="$1" <<'SQL'
TRUNCATE public.scale_attempts;
INSERT INTO public.scale_attempts
  SELECT s.id, gen_random_uuid(), s.email, k
  FROM (SELECT id, email FROM hephaestus.users WHERE roles = '{learner}' ORDER BY random() LIMIT :n) s, generate_series(1, :attempts) k;
INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids)
  SELECT a.learner_id, a.attempt_id, '00000000-0000-7000-5c05-000000000001',
         k + coalesce((SELECT max(number) FROM hephaestus.attempts p WHERE p.learner_id = a.learner_id AND p.assessment_id = '00000000-0000-7000-5c05-000000000001'), 0),
         ARRAY['00000000-0000-7000-5c04-000000000001'::uuid]
  FROM public.scale_attempts a;
INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response)
  SELECT learner_id, attempt_id, '00000000-0000-7000-5c04-000000000001', CASE WHEN k % 3 = 0 THEN '{"optionId":"a"}' ELSE '{"optionId":"b"}' END::jsonb
  FROM public.scale_attempts;
ANALYZE hephaestus.attempts, hephaestus.attempt_responses;
SQL
  psql_super hephaestus -c "SELECT DISTINCT email FROM public.scale_attempts" > "$OUT/scale-emails.txt"
  (cd "$OUT/app" && "$APP" token --users-file "$OUT/scale-emails.txt" 2>/dev/null) > "$OUT/scale-tokens.txt"
  psql_super hephaestus -F ' ' -c "SELECT a.learner_id, a.attempt_id, a.email, e.id FROM public.scale_attempts a
    JOIN hephaestus.enrollments e ON e.learner_id = a.learner_id ORDER BY a.k, a.learner_id" > "$OUT/scale-sample.txt"
  python3 - "$OUT" <<'PY'
import sys
out = sys.argv[1]
tokens = dict(line.split() for line in open(f"{out}/scale-tokens.txt") if line.strip())
rows = [line.split() for line in open(f"{out}/scale-sample.txt") if line.strip()]
with open(f"{out}/scale-attempts.txt", "w") as attempts, open(f"{out}/scale-next.txt", "w") as nxt, open(f"{out}/scale-mastery.txt", "w") as mastery:
    seen = set()
    for learner, attempt, email, enrollment in rows:
        attempts.write(f"{learner} {attempt} {tokens[email]}\n")
        if learner not in seen:
            seen.add(learner)
            nxt.write(f"{learner} {enrollment} {tokens[email]}\n")
            mastery.write(f"{learner} {tokens[email]}\n")
PY
  psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE roles = '{learner}' ORDER BY random() LIMIT 100000" > "$OUT/scale-ids.txt"
}

declare -A RPS P99
# measure LABEL: the four operations at the current size.
measure() {
  local label=$1
  export TOKEN=$ADMIN IDS_FILE="$OUT/scale-ids.txt" NEXT_FILE="$OUT/scale-next.txt" MASTERY_FILE="$OUT/scale-mastery.txt" ATTEMPTS_FILE="$OUT/scale-attempts.txt"
  echo "warm-up: 15 s of profile reads at $label"
  wrk -t 2 -c "$CONCURRENCY" -d 15s -s "$BENCH_DIR/lua/read-profile.lua" "$BASE" >/dev/null 2>&1
  LOAD[$label]=$(cut -d' ' -f1-3 /proc/loadavg)
  for op in read-profile next mastery; do
    wrk_run "scale-$label-$op" "$CONCURRENCY" "$BENCH_DIR/lua/$op.lua"
    RPS[$label-$op]=$(printf '%.0f' "$WRK_RPS"); P99[$label-$op]=$(to_ms "$WRK_P99")
  done
  # Submissions: no warm-up run (each attempt is submitted once); the first DURATION of the run is measured as it comes.
  export THREADS=2
  local out
  out=$(wrk -t "$THREADS" -c "$CONCURRENCY" -d "$DURATION" --latency -s "$BENCH_DIR/lua/submit.lua" "$BASE" 2>&1)
  echo "$out" > "$OUT/scale-$label-submit.wrk.txt"
  if echo "$out" | grep -q "Non-2xx"; then echo "$out"; echo "submit at $label: non-2xx responses"; exit 1; fi
  RPS[$label-submit]=$(printf '%.0f' "$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
  P99[$label-submit]=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
}
declare -A LOAD SIZE_LINE

t0=$(date +%s)
grow "$SMALL" 11
sample small
SIZE_LINE[small]="$(psql_super hephaestus -c "SELECT count(*) FILTER (WHERE roles = '{learner}') FROM hephaestus.users") learners, database $(psql_super hephaestus -c "SELECT pg_size_pretty(pg_database_size('hephaestus'))"), arranged in $(( $(date +%s) - t0 )) s"
measure small

t0=$(date +%s)
grow "$(( LARGE - SMALL ))" 12
sample large
SIZE_LINE[large]="$(psql_super hephaestus -c "SELECT count(*) FILTER (WHERE roles = '{learner}') FROM hephaestus.users") learners, database $(psql_super hephaestus -c "SELECT pg_size_pretty(pg_database_size('hephaestus'))"), grown in $(( $(date +%s) - t0 )) s"
measure large

table="$OUT/scale.md"
{
  echo "### Flat cost as learners grow (issue 13, part 5)"
  echo
  echo "Command: \`SMALL=$SMALL LARGE=$LARGE SAMPLE=$SAMPLE ATTEMPTS=$ATTEMPTS CONCURRENCY=$CONCURRENCY DURATION=$DURATION bench/scale.sh\` on $(machine_line)."
  echo "One server, one run: measured at ${SIZE_LINE[small]} (load average before measuring ${LOAD[small]}), then grown to"
  echo "${SIZE_LINE[large]} and measured again (load average ${LOAD[large]}). 15 s profile-read warm-up at each size, 5 s per operation"
  echo "(none for submissions: an attempt is submitted once). $CONCURRENCY connections, $DURATION each; latencies in ms."
  echo
  echo "| operation | req/s at $SMALL | p99 | req/s at $LARGE | p99 | cost ratio (small ÷ large req/s) | goal ≤ 1.2 |"
  echo "|---|---|---|---|---|---|---|"
  for op in read-profile next mastery submit; do
    r=$(ratio "${RPS[small-$op]}" "${RPS[large-$op]}")
    echo "| $op | ${RPS[small-$op]} | ${P99[small-$op]} | ${RPS[large-$op]} | ${P99[large-$op]} | $r | $(python3 -c "import sys; print('met' if float(sys.argv[1]) <= 1.2 else 'NOT met')" "$r") |"
  done
  echo
  echo "Raw outputs are in bench/out/ (not committed)."
} > "$table"
cat "$table"
if [ "$WRITE_DOCS" = 1 ]; then write_section scale "$table"; fi
