#!/usr/bin/env bash
# Shared parts of the benchmark scripts: build, start the service on a fresh embedded database, seed, mint a token,
# run wrk and pgbench, and write a marked section of docs/benchmarks.md. Source it; do not run it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT="$BENCH_DIR/out"
APP="$OUT/app/hephaestus"
HTTP_PORT=${HTTP_PORT:-5099}
BASE="http://127.0.0.1:$HTTP_PORT"

need_tools() {
  if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk"; apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
  fi
  PGBIN=$(dirname "$(command -v pgbench 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)")
  export PATH="$PGBIN:$PATH"
}

build_app() {
  echo "building the service (Release)"
  dotnet publish "$REPO/src/Hephaestus.Server" -c Release -o "$OUT/app" --nologo -v quiet >/dev/null
}

# Starts the service on a fresh embedded cluster in a temporary folder; stop_service (trap) cleans everything up.
start_service() {
  WORK=$(mktemp -d /tmp/hephaestus-bench.XXXXXX)
  chmod 755 "$WORK"
  export Embedded__DataDirectory="$WORK/pg" Urls="$BASE" Logging__LogLevel__Default=Warning Logging__LogLevel__Hephaestus=Warning
  # The benchmarks drive one token at up to ~5,000 req/s (far past the default 1,000 per user): the per-user rate is
  # raised so the limiter stays in the measured path but never refuses (docs/operations.md, "Rate limits").
  export RateLimits__PerUser__PermitsPerSecond=1000000 RateLimits__PerUser__Burst=1000000
  (cd "$OUT/app" && exec "$APP" >"$WORK/service.log" 2>&1) &
  SERVICE_PID=$!
  trap stop_service EXIT
  for _ in $(seq 1 120); do
    if curl -fs "$BASE/health/ready" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fs "$BASE/health/ready" >/dev/null || { echo "service did not become ready"; cat "$WORK/service.log"; exit 1; }
  PG_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Port"])' "$WORK/pg/hephaestus.owner.json")
  PG_SUPER_PASSWORD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SuperuserPassword"])' "$WORK/pg/hephaestus.secrets")
  PG_APP_PASSWORD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AppPassword"])' "$WORK/pg/hephaestus.secrets")
  echo "service ready on $BASE, PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_service() {
  if [ -n "${SERVICE_PID:-}" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true
  fi
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# hold_if_asked: with HOLD=1, keeps the service and its database after measuring (for EXPLAIN and profiles on the same
# data) until the file it names is removed; prints how to connect.
hold_if_asked() {
  [ "${HOLD:-0}" = 1 ] || return 0
  touch "$WORK/hold"
  echo "holding: service $BASE (pid $SERVICE_PID), PostgreSQL 127.0.0.1:$PG_PORT, postgres password $PG_SUPER_PASSWORD," \
       "application login hephaestus password $PG_APP_PASSWORD; rm $WORK/hold to stop"
  while [ -e "$WORK/hold" ]; do sleep 5; done
}

# psql as the superuser (arranging) or as the application login (measuring: row-level security applies).
psql_super() { PGPASSWORD="$PG_SUPER_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "${1:-hephaestus}" -Atq -v ON_ERROR_STOP=1 "${@:2}"; }

seed() { (cd "$OUT/app" && "$APP" seed --learners "$1"); }

token() { (cd "$OUT/app" && "$APP" token --user "$1" --role "$2" 2>/dev/null | tail -n 1); }

# fetch_status URL TOKEN FILE: GETs URL with the bearer token into FILE and prints the HTTP status (000 when no answer),
# never failing the script: the analytics benches record a failing endpoint in its row and go on to the next.
fetch_status() { curl -sS -o "$3" -w '%{http_code}' -H "Authorization: Bearer $2" "$1" || true; }

# failure_cell STATUS FILE: "STATUS title" for a table cell, the title from the problem details in FILE (if any).
failure_cell() {
  local title
  title=$(python3 -c 'import json, sys
try: print(json.load(open(sys.argv[1])).get("title", ""))
except Exception: print("")' "$2" 2>/dev/null || true)
  echo "$1${title:+ $title}" | tr '|' '/'
}

# wrk_run NAME CONCURRENCY LUA -> sets WRK_RPS WRK_P50 WRK_P99 (ms)
wrk_run() {
  local out
  # Warm-up (discarded): JIT tiering, the connection pool and prepared statements settle first.
  # shellcheck disable=SC2086 # WRK_ARGS: extra options (e.g. --timeout 60s), split on purpose
  wrk -t "${WRK_THREADS:-$(( $2 < 2 ? $2 : 2 ))}" -c "$2" -d 5s ${WRK_ARGS:-} -s "$3" "$BASE" >/dev/null 2>&1
  # shellcheck disable=SC2086
  out=$(wrk -t "${WRK_THREADS:-$(( $2 < 2 ? $2 : 2 ))}" -c "$2" -d "$DURATION" ${WRK_ARGS:-} --latency -s "$3" "$BASE" 2>&1)
  echo "$out" > "$OUT/$1-c$2.wrk.txt"
  WRK_RPS=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  WRK_P50=$(echo "$out" | awk '$1=="50%" {print $2}')
  WRK_P99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  if [ -n "$errors" ]; then echo "wrk $1: $errors non-2xx responses"; echo "$out"; exit 1; fi
}

# pgbench_run NAME CONCURRENCY DATABASE USER PASSWORD [pgbench args] -> sets PGB_TPS PGB_LAT (ms, average)
pgbench_run() {
  local name=$1 c=$2 db=$3 user=$4 password=$5; shift 5
  local out
  out=$(PGPASSWORD="$password" pgbench -h 127.0.0.1 -p "$PG_PORT" -U "$user" -c "$c" -j 2 -T "${DURATION%s}" -n "$@" "$db" 2>&1)
  echo "$out" > "$OUT/$name-c$c.pgbench.txt"
  PGB_TPS=$(echo "$out" | awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}' | head -n 1)
  PGB_LAT=$(echo "$out" | awk -F'= ' '/latency average/ {split($2, a, " "); print a[1]}')
}

# pgb NAME CLIENTS DATABASE USER PASSWORD [args] -> PGB_TPS PGB_AVG PGB_P50 PGB_P99 (ms, from the per-transaction log)
pgb() {
  local name=$1 c=$2 db=$3 user=$4 password=$5; shift 5
  local dir="$OUT/pglog-$name-c$c"; rm -rf "$dir"; mkdir -p "$dir"
  local out
  out=$(cd "$dir" && PGPASSWORD="$password" pgbench -h 127.0.0.1 -p "$PG_PORT" -U "$user" -c "$c" -j "$(( c < 2 ? c : 2 ))" -T "${DURATION%s}" -n -r -l "$@" "$db" 2>&1)
  echo "$out" > "$OUT/$name-c$c.pgbench.txt"
  if echo "$out" | grep -q "number of failed transactions: [1-9]\|aborted"; then echo "$out"; exit 1; fi
  PGB_TPS=$(echo "$out" | awk -F'= ' '/^tps/ {split($2, a, " "); printf "%.0f", a[1]}' | head -n 1)
  read -r PGB_AVG PGB_P50 PGB_P99 < <(cat "$dir"/pgbench_log.* | python3 -c '
import sys
v = sorted(int(l.split()[2]) for l in sys.stdin if l.strip())
if not v: print("n/a n/a n/a"); sys.exit()
q = lambda p: v[min(len(v) - 1, int(p * len(v)))] / 1000
print(f"{sum(v) / len(v) / 1000:.3f} {q(0.50):.3f} {q(0.99):.3f}")')
  rm -rf "$dir"
}
to_ms() { python3 -c "import sys,re; m=re.match(r'([\d.]+)(us|ms|s)', sys.argv[1]); v=float(m[1]); print(f'{v/1000 if m[2]==\"us\" else v*1000 if m[2]==\"s\" else v:.2f}')" "$1"; }

ratio() { python3 -c "import sys; print('n/a' if float(sys.argv[2]) == 0 else f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# write_section MARKER FILE: replaces <!-- bench:MARKER:begin --> … <!-- bench:MARKER:end --> in docs/benchmarks.md.
write_section() {
  python3 - "$REPO/docs/benchmarks.md" "$1" "$2" <<'PY'
import sys, re, os
path, marker, body_file = sys.argv[1:4]
body = open(body_file).read().rstrip() + "\n"
begin, end = f"<!-- bench:{marker}:begin -->", f"<!-- bench:{marker}:end -->"
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
block = f"{begin}\n{body}{end}"
if begin in text:
    text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
}

# seed_events N LEARNERS: N learning events by SQL as the superuser (arranging, not measuring), spread evenly over the
# first LEARNERS learners and the last 30 days (the migration's daily partitions), then ANALYZE. Used by events.sh and
# timeline-plan.sh, so both measure the same data. A large seed writes much WAL: max_wal_size is raised for it.
seed_events() {
psql_super hephaestus -v n="$1" -v learners="$2" <<'SQL'
ALTER SYSTEM SET max_wal_size = '16GB';
SELECT pg_reload_conf() \g /dev/null
CREATE TEMP TABLE l AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM hephaestus.users WHERE 'learner' = ANY (roles) LIMIT :learners;
INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id)
  SELECT l.id, now() - interval '29 days' + make_interval(secs => (g * 2505600.0 / :n)), gen_random_uuid(), 'native', 'seed-' || g,
         (ARRAY['viewed', 'answered', 'completed', 'started'])[1 + g % 4], 'page', 'page-' || g % 500
  FROM generate_series(0, :n - 1) g JOIN l ON l.k = g % (SELECT count(*) FROM l);
ANALYZE hephaestus.learning_events;
SQL
}

machine_line() {
  echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, PostgreSQL $(psql_super hephaestus -c 'SHOW server_version' | cut -d' ' -f1), .NET $(dotnet --version), $(date -u +%Y-%m-%d)"
}

# arrange_submissions ATTEMPTS_PER_LEARNER: a scored assessment and, for every seeded learner, that many prepared open
# attempts with a saved answer; writes "$OUT/attempts.txt" (lines "<learnerId> <attemptId> <token>", learners
# interleaved) for lua/submit.lua. Used by submit.sh and pgbouncer.sh.
arrange_submissions() {
# A framework, a skill, one single-choice item aligned to it, an assessment; then prepared open attempts with a saved
# answer for every seeded learner (as the superuser: arranging, not measuring).
psql_super hephaestus <<'SQL'
INSERT INTO hephaestus.mastery_scales VALUES ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000a1', 1, 'Default', now());
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
  ('00000000-0000-7000-8000-0000000000a1', 0, 'attempted', 0, false), ('00000000-0000-7000-8000-0000000000a1', 1, 'familiar', 0.5, false),
  ('00000000-0000-7000-8000-0000000000a1', 2, 'proficient', 0.8, false), ('00000000-0000-7000-8000-0000000000a1', 3, 'mastered', 0.95, true);
INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id) VALUES ('00000000-0000-7000-8000-000000000002', 'math', 'Math', '00000000-0000-7000-8000-0000000000a1');
INSERT INTO hephaestus.skills (id, framework_id, code, title) VALUES ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000002', 'fractions', 'Fractions');
INSERT INTO hephaestus.items (id, code) VALUES ('00000000-0000-7000-8000-000000000004', 'q1');
INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points) VALUES ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000004', 1, 'single_choice',
  '{"type":"single_choice","prompt":"1/2 + 1/4?","points":1,"options":[{"id":"a","text":"2/6"},{"id":"b","text":"3/4"}],"correctOptionId":"b"}', 1);
INSERT INTO hephaestus.item_version_skills VALUES ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000003', 1);
INSERT INTO hephaestus.assessments (id, title, settings) VALUES ('00000000-0000-7000-8000-000000000006', 'Quiz', '{"feedback":"score"}');
INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings) VALUES ('00000000-0000-7000-8000-000000000006', 1, '{"feedback":"score"}');
INSERT INTO hephaestus.assessment_parts (assessment_id, version, position, item_id) VALUES ('00000000-0000-7000-8000-000000000006', 1, 0, '00000000-0000-7000-8000-000000000004');
SQL
psql_super hephaestus -v n="$1" <<'SQL'
CREATE TABLE public.bench_attempts AS
  SELECT row_number() OVER () AS n, u.id AS learner_id, u.email,
         ('00000000-0000-7000-' || lpad(to_hex(k), 4, '0') || '-' || substr(md5(u.id::text), 1, 12))::uuid AS attempt_id, k
  FROM hephaestus.users u, generate_series(1, :n) AS k WHERE u.roles = '{learner}';
INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids)
  SELECT learner_id, attempt_id, '00000000-0000-7000-8000-000000000006', k, ARRAY['00000000-0000-7000-8000-000000000005'::uuid] FROM public.bench_attempts;
INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response)
  SELECT learner_id, attempt_id, '00000000-0000-7000-8000-000000000005', CASE WHEN k % 3 = 0 THEN '{"optionId":"a"}' ELSE '{"optionId":"b"}' END::jsonb FROM public.bench_attempts;
CREATE UNIQUE INDEX ON public.bench_attempts (n);
GRANT SELECT ON public.bench_attempts TO hephaestus_app;
ANALYZE;
SQL
psql_super hephaestus -c "SELECT email FROM hephaestus.users WHERE roles = '{learner}' ORDER BY id" > "$OUT/learner-emails.txt"
(cd "$OUT/app" && "$APP" token --users-file "$OUT/learner-emails.txt" 2>/dev/null) > "$OUT/learner-tokens.txt"
# Attempts interleaved across learners (k-major), so consecutive submissions are mostly different learners.
psql_super hephaestus -F ' ' -c "SELECT learner_id, attempt_id, email FROM public.bench_attempts ORDER BY k, learner_id" > "$OUT/attempts-by-email.txt"
python3 - "$OUT/learner-tokens.txt" "$OUT/attempts-by-email.txt" "$OUT/attempts.txt" <<'PY'
import sys
tokens = dict(line.split() for line in open(sys.argv[1]) if line.strip())
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[2]):
        learner, attempt, email = line.split()
        out.write(f"{learner} {attempt} {tokens[email]}\n")
PY
}
