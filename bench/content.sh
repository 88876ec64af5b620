#!/usr/bin/env bash
# Content (issue 10), in one run on one fresh embedded database:
#  1. a large body uploaded and downloaded through the API, beside a raw copy of the same bytes on the same disk, with
#     the service's resident memory sampled throughout;
#  2. metadata search by containment over many versions through the API (wrk), beside pgbench running the same SQL;
#  3. publishing under concurrent publishers of one item (exactly one published version afterwards).
#   bench/content.sh   (SIZE_MIB=100 RUNS=5 VERSIONS=1000000 ITEMS=5000 CONCURRENCY=8 DURATION=10s RACES=20 PUBLISHERS=8 LATENCY_CONNECTIONS=2)
# The publish gate is configured off (no human review, no score thresholds): the race measures the publish transaction
# and its one-published rule, not the scoring; the gate's reads are two indexed queries on the version's scores.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-100}
RUNS=${RUNS:-5}
VERSIONS=${VERSIONS:-1000000}
ITEMS=${ITEMS:-5000}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-10s}
RACES=${RACES:-20}
PUBLISHERS=${PUBLISHERS:-8}
# The search's latency is also measured with one connection per core: at CONCURRENCY (8) on 2 shared cores a request
# mostly waits for a core, so that p99 measures the queue as much as the search.
LATENCY_CONNECTIONS=${LATENCY_CONNECTIONS:-2}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
export Content__PublishGate__RequireHumanReview=false Content__PublishGate__MinimumNormalizedMean__accuracy=off \
  Content__PublishGate__MinimumNormalizedMean__safety_bias=off
start_service
TOKEN=$(token bench-content@example.com admin)
export TOKEN
ADMIN_ID=$(psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE email = 'bench-content@example.com'")
api() { curl -sS -H "Authorization: Bearer $TOKEN" "$@"; }
now() { date +%s.%N; }
mibps() { python3 -c "import sys; print(f'{$SIZE_MIB / (float(sys.argv[2]) - float(sys.argv[1])):.0f}')" "$1" "$2"; }
json_field() { python3 -c "import sys, json; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVICE_PID/status"; }
median() { python3 -c "import sys, statistics; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.0f}')" "$@"; }

# --- Data for the search and the races, as the superuser (arranging, not measuring) -----------------------------------
# ITEMS items and VERSIONS versions (version n of item n % ITEMS), all on one small body row. Metadata per version,
# from a hash of n: language one of 10 (uniform), readingLevel 1..12, subject one of 8, two tags of 50, and a rare
# reviewFlag on 1 version in 10,000. A quarter are human-written, the rest generated (provenance columns set).
# The GIN index is dropped for the bulk insert and re-created from its own definition (one build, not 1M updates).
# Races: RACES items with version 1 published and PUBLISHERS approved versions (2..); RACES more with one approved
# version (the same-version race).
t0=$(date +%s)
psql_super hephaestus -v admin="$ADMIN_ID" -v versions="$VERSIONS" -v items="$ITEMS" -v races="$RACES" -v publishers="$PUBLISHERS" <<'SQL'
ALTER SYSTEM SET max_wal_size = '16GB';
SELECT pg_reload_conf() \g /dev/null
SET maintenance_work_mem = '1GB';
CREATE FUNCTION pg_temp.uid(block text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('00000000-0000-7000-' || block || '-' || lpad(to_hex(i), 12, '0'))::uuid $$;
-- A version id as the service makes it (Guid.CreateVersion7: the creation time's milliseconds first), so that id order
-- is creation order and, versions being inserted as they are created, the heap's order too. The column's default
-- (gen_random_uuid, version 4) would scatter id order over the heap: a walk of the primary key would then read one heap
-- page per row, which no installation of the service sees.
CREATE FUNCTION pg_temp.uuid7(at timestamptz, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex(n % 4096), 3, '0')
             || '8' || lpad(to_hex(n), 15, '0'))::uuid $$;
INSERT INTO hephaestus.content_bodies (sha256, size_bytes, stored_by) VALUES (encode(sha256('bench body'), 'hex'), 10, :'admin'::uuid);
INSERT INTO hephaestus.content_items (id, key, kind, title, latest_version, created_by)
  SELECT pg_temp.uid('8c01', i), 'bench/item-' || i, (ARRAY['lesson', 'explanation', 'worked_example', 'hint', 'item_stem'])[1 + i % 5],
         'Bench item ' || i, (:versions - 1 - i) / :items + 1, :'admin'::uuid
  FROM generate_series(0, least(:items, :versions) - 1) i;
CREATE TEMP TABLE saved_index AS SELECT pg_get_indexdef('hephaestus.ix_content_versions_metadata'::regclass) AS def;
DROP INDEX hephaestus.ix_content_versions_metadata;
INSERT INTO hephaestus.content_versions (id, content_item_id, version, body_sha256, media_type, origin, model_id, prompt_template_id,
                                         prompt_template_version, input_tokens, output_tokens, metadata, created_by, created_at)
  SELECT pg_temp.uuid7(created, n), pg_temp.uid('8c01', n % :items), n / :items + 1, encode(sha256('bench body'), 'hex'), 'text/markdown',
         CASE WHEN human THEN 'human' ELSE 'generated' END,
         CASE WHEN NOT human THEN 'model-' || h % 3 END, CASE WHEN NOT human THEN 'lesson-template' END,
         CASE WHEN NOT human THEN 'v' || h % 4 END, CASE WHEN NOT human THEN 500 + h % 1000 END, CASE WHEN NOT human THEN 300 + h % 2000 END,
         jsonb_strip_nulls(jsonb_build_object(
           'language', (ARRAY['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'sv', 'ja'])[1 + h % 10],
           'readingLevel', 1 + (h / 10) % 12,
           'subject', (ARRAY['math', 'reading', 'science', 'history', 'geography', 'art', 'music', 'coding'])[1 + (h / 120) % 8],
           'tags', jsonb_build_array('topic-' || lpad(((h / 960) % 50)::text, 2, '0'), 'topic-' || lpad(((h / 48000) % 50)::text, 2, '0')),
           'reviewFlag', CASE WHEN n % 10000 = 7 THEN (ARRAY['bias', 'outdated'])[1 + (n / 10000) % 2] END)),
         :'admin'::uuid, created
  FROM generate_series(0, :versions - 1) n,
  LATERAL (SELECT hashint8(n) & 9223372036854775807 AS h, n % 4 = 0 AS human, now() - make_interval(secs => :versions - n) AS created) x
  ORDER BY n;
DO $$ BEGIN EXECUTE (SELECT def FROM saved_index); END $$;

INSERT INTO hephaestus.content_items (id, key, kind, title, latest_version, created_by)
  SELECT pg_temp.uid('8c02', r), 'bench/race-' || r, 'lesson', 'Race ' || r, :publishers + 1, :'admin'::uuid FROM generate_series(1, :races) r
  UNION ALL
  SELECT pg_temp.uid('8c03', r), 'bench/race-same-' || r, 'lesson', 'Same-version race ' || r, 1, :'admin'::uuid FROM generate_series(1, :races) r;
INSERT INTO hephaestus.content_versions (content_item_id, version, body_sha256, media_type, origin, status, published_at, created_by)
  SELECT pg_temp.uid('8c02', r), k, encode(sha256('bench body'), 'hex'), 'text/markdown', 'human',
         CASE WHEN k = 1 THEN 'published' ELSE 'approved' END, CASE WHEN k = 1 THEN now() END, :'admin'::uuid
  FROM generate_series(1, :races) r, generate_series(1, :publishers + 1) k
  UNION ALL
  SELECT pg_temp.uid('8c03', r), 1, encode(sha256('bench body'), 'hex'), 'text/markdown', 'human', 'approved', NULL, :'admin'::uuid
  FROM generate_series(1, :races) r;

-- The searches: kinds of query of different selectivity, each with its variants (the API and pgbench draw from them).
CREATE TABLE public.bench_queries (kind text, n int, q text, PRIMARY KEY (kind, n));
INSERT INTO public.bench_queries
  SELECT 'language', row_number() OVER (), jsonb_build_object('language', l)::text FROM unnest(ARRAY['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'sv', 'ja']) l
  UNION ALL
  SELECT 'language+level', row_number() OVER (), jsonb_build_object('language', l, 'readingLevel', r)::text
  FROM unnest(ARRAY['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'sv', 'ja']) l, generate_series(1, 12) r
  UNION ALL
  SELECT 'tag+subject+level', row_number() OVER (), jsonb_build_object('tags', jsonb_build_array('topic-' || lpad(t::text, 2, '0')), 'subject', s, 'readingLevel', r)::text
  FROM generate_series(0, 49) t, unnest(ARRAY['math', 'reading', 'science', 'history']) s, generate_series(1, 12, 3) r
  UNION ALL
  SELECT 'rare key', row_number() OVER (), jsonb_build_object('reviewFlag', f)::text FROM unnest(ARRAY['bias', 'outdated']) f
  UNION ALL
  SELECT 'no match', row_number() OVER (), jsonb_build_object('language', l)::text FROM unnest(ARRAY['la', 'el', 'fi']) l;
GRANT SELECT ON public.bench_queries TO hephaestus_app;
VACUUM ANALYZE hephaestus.content_versions;
ANALYZE;
SQL
t1=$(date +%s)
SEED_LINE="$(( t1 - t0 )) s"
DB_SIZE=$(psql_super hephaestus -c "SELECT pg_size_pretty(pg_database_size('hephaestus'))")
VERSIONS_SIZE=$(psql_super hephaestus -c "SELECT pg_size_pretty(pg_total_relation_size('hephaestus.content_versions'))")
GIN_SIZE=$(psql_super hephaestus -c "SELECT pg_size_pretty(pg_relation_size('hephaestus.ix_content_versions_metadata'))")
KINDS=("language" "language+level" "tag+subject+level" "rare key" "no match")
for kind in "${KINDS[@]}"; do
  slug=${kind//[^a-z]/-}
  psql_super hephaestus -c "SELECT q FROM public.bench_queries WHERE kind = '$kind' ORDER BY n" |
    python3 -c 'import sys, urllib.parse; [print(urllib.parse.quote(l.strip(), safe="")) for l in sys.stdin if l.strip()]' > "$OUT/search-$slug.txt"
done
cat "$OUT"/search-*.txt > "$OUT/search-all.txt"

# --- Warm-up: tiered JIT, the connection pool and the statements settle before anything is measured ----------------
# 15 s of searches (every kind), then one small body up and down, so the transfer path is compiled too.
SEARCH_FILE="$OUT/search-all.txt" wrk -t 2 -c 4 -d 15s -s "$BENCH_DIR/lua/content-search.lua" "$BASE" > "$OUT/content-warmup.wrk.txt" 2>&1
TX="$WORK/transfer"
mkdir -p "$TX"
head -c 1048576 /dev/urandom > "$TX/warm.bin"
api -X POST -T "$TX/warm.bin" -H 'Expect:' -H 'Content-Type: video/mp4' -o "$TX/warm.json" "$BASE/api/v1/content/bodies"
# Makes an item with one version on the body in $1 (an upload's answer); prints the version id.
version_for() {
  local sha item
  sha=$(json_field "$1" sha256)
  item=$(api -X POST -H 'Content-Type: application/json' -d "{\"key\":\"bench/video-$2\",\"kind\":\"video\",\"title\":\"Video $2\"}" \
    "$BASE/api/v1/content/items" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  api -X POST -H 'Content-Type: application/json' \
    -d "{\"body\":{\"sha256\":\"$sha\"},\"mediaType\":\"video/mp4\",\"provenance\":{\"origin\":\"human\"}}" \
    "$BASE/api/v1/content/items/$item/versions" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])'
}
api -o /dev/null "$BASE/api/v1/content/versions/$(version_for "$TX/warm.json" warm)/body"

# --- 1. Transfers ------------------------------------------------------------------------------------------------------
# Each run has fresh random bytes (so the upload is never a dedupe), generated before the clock starts, in the same
# folder as the object store (one disk). Raw write: dd with conv=fsync (the store fsyncs the object before answering);
# raw read: cp of the stored object (the download is not fsynced by curl either). The page cache is warm for both.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 2
IDLE_KB=$(rss_kb)
( while kill -0 "$SERVICE_PID" 2>/dev/null; do rss_kb; sleep 0.05; done ) > "$OUT/content-rss.txt" 2>/dev/null &
SAMPLER=$!
declare -a UP DOWN DOWN_FILE DD CP_W CP_R CAT_R
for i in $(seq 1 "$RUNS"); do
  head -c "$(( SIZE_MIB * 1048576 ))" /dev/urandom > "$TX/src.bin"
  sync
  a=$(now); dd if="$TX/src.bin" of="$TX/raw.bin" bs=1M conv=fsync status=none; b=$(now); DD+=("$(mibps "$a" "$b")")
  a=$(now); cp "$TX/src.bin" "$TX/cp.bin"; b=$(now); CP_W+=("$(mibps "$a" "$b")")
  rm -f "$TX/raw.bin" "$TX/cp.bin"
  a=$(now)
  code=$(api -X POST -T "$TX/src.bin" -H 'Expect:' -H 'Content-Type: video/mp4' -o "$TX/up.json" -w '%{http_code}' "$BASE/api/v1/content/bodies")
  b=$(now)
  [ "$code" = 201 ] || { echo "upload $i answered $code (201 expected: fresh bytes)"; cat "$TX/up.json"; exit 1; }
  UP+=("$(mibps "$a" "$b")")
  vid=$(version_for "$TX/up.json" "$i")
  # The download twice: to a file (what a client keeps), checked against the upload, and to /dev/null. curl writes
  # a file in 16 KiB pieces and is then the slower end (about 300 MiB/s here, where the same response into /dev/null
  # runs at about 1,000), so the service's own rate is the /dev/null one, beside the raw read into /dev/null.
  a=$(now); code=$(api -o "$TX/down.bin" -w '%{http_code}' "$BASE/api/v1/content/versions/$vid/body"); b=$(now)
  [ "$code" = 200 ] || { echo "download $i answered $code"; exit 1; }
  cmp -s "$TX/src.bin" "$TX/down.bin" || { echo "download $i differs from the upload"; exit 1; }
  DOWN_FILE+=("$(mibps "$a" "$b")")
  a=$(now); code=$(api -o /dev/null -w '%{http_code}' "$BASE/api/v1/content/versions/$vid/body"); b=$(now)
  [ "$code" = 200 ] || { echo "download $i answered $code"; exit 1; }
  DOWN+=("$(mibps "$a" "$b")")
  object=$(find "$WORK/objects" -type f -name "*$(json_field "$TX/up.json" sha256)*" | head -n 1)
  [ -n "$object" ] || { echo "stored object of run $i not found under $WORK/objects"; exit 1; }
  a=$(now); cp "$object" "$TX/cp.bin"; b=$(now); CP_R+=("$(mibps "$a" "$b")")
  a=$(now); cat "$object" > /dev/null; b=$(now); CAT_R+=("$(mibps "$a" "$b")")
  rm -f "$TX/cp.bin" "$TX/down.bin"
done
kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
PEAK_KB=$(sort -n "$OUT/content-rss.txt" | tail -n 1)
HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVICE_PID/status")
up=$(median "${UP[@]}") down=$(median "${DOWN[@]}") down_file=$(median "${DOWN_FILE[@]}") cat_r=$(median "${CAT_R[@]}") dd_w=$(median "${DD[@]}") cp_w=$(median "${CP_W[@]}") cp_r=$(median "${CP_R[@]}")
above_mb=$(( (PEAK_KB - IDLE_KB) / 1024 ))
echo "transfers (MiB/s, runs): upload ${UP[*]}; download ${DOWN[*]}; to a file ${DOWN_FILE[*]}; dd fsync ${DD[*]}; cp ${CP_W[*]}; cp of the object ${CP_R[*]}; cat ${CAT_R[*]}"
echo "RSS idle $(( IDLE_KB / 1024 )) MB, peak sampled $(( PEAK_KB / 1024 )) MB, VmHWM $(( HWM_KB / 1024 )) MB"

# --- 2. Metadata search ------------------------------------------------------------------------------------------------
# The API: wrk per kind of query, each request one of the kind's variants, default page (50, so LIMIT 51).
# The raw limit: pgbench (prepared statements, like the service's auto-prepared ones) running the service's
# transaction as the application login: BEGIN, the actor, ContentStore.MetadataSearchSql with the same columns and
# LIMIT, COMMIT. The variant is looked up first (a primary-key read in the same measured transaction); the first
# page's "after" is a NULL literal here and a NULL parameter in the service.
COLUMNS="v.id, v.content_item_id, v.version, v.body_sha256, b.size_bytes, v.media_type, v.derived_from, v.regenerated_from, v.origin, v.model_id, v.prompt_template_id, v.prompt_template_version, v.prompt_sha256, v.generation_parameters, v.grounding_sources, v.input_tokens, v.output_tokens, v.cost_usd, v.latency_ms, v.human_author_id, v.metadata, v.status, v.published_at, v.created_by, v.created_at"
FROM_SQL="FROM hephaestus.content_versions v JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256"
# The service's statement (ContentStore.MetadataSearchSql): ids from content_version_ids_matching, rows through the policy.
search_sql() { echo "SELECT $COLUMNS $FROM_SQL WHERE v.id = ANY (ARRAY(SELECT hephaestus.content_version_ids_matching($1::jsonb, NULL::jsonpath, NULL::uuid, 51))) ORDER BY v.id"; }
# The floor: the plain statement as the superuser (no policy), the planner's own choice of plan, for comparison.
plain_sql() { echo "SELECT $COLUMNS $FROM_SQL WHERE v.metadata @> $1::jsonb ORDER BY v.id LIMIT 51"; }
declare -A S
: > "$OUT/content-search-explain.txt"
for kind in "${KINDS[@]}"; do
  slug=${kind//[^a-z]/-}
  count=$(wc -l < "$OUT/search-$slug.txt")
  # A long timeout: a slow search is a latency to report, not a request wrk drops (its default is 2 s).
  SEARCH_FILE="$OUT/search-$slug.txt" WRK_ARGS="--timeout 60s" wrk_run "content-search-$slug" "$CONCURRENCY" "$BENCH_DIR/lua/content-search.lua"
  api_rps=$(printf '%.1f' "$WRK_RPS") api_p50=$(to_ms "$WRK_P50") api_p99=$(to_ms "$WRK_P99")
  api_n=$(awk '/requests in/ {print $1}' "$OUT/content-search-$slug-c$CONCURRENCY.wrk.txt")
  # None finished within DURATION: wrk prints zeros, which must not read as fast; the pgbench columns give the time.
  if [ "$api_n" = 0 ]; then api_p50="none finished in $DURATION" api_p99="> ${DURATION%s} s"; worst_p99=$(( ${DURATION%s} * 1000 )); fi
  SEARCH_FILE="$OUT/search-$slug.txt" WRK_ARGS="--timeout 60s" wrk_run "content-search-$slug" "$LATENCY_CONNECTIONS" "$BENCH_DIR/lua/content-search.lua"
  lat_p50=$(to_ms "$WRK_P50") lat_p99=$(to_ms "$WRK_P99")
  lat_n=$(awk '/requests in/ {print $1}' "$OUT/content-search-$slug-c$LATENCY_CONNECTIONS.wrk.txt")
  if [ "$lat_n" = 0 ]; then lat_p50="none finished in $DURATION" lat_p99="> ${DURATION%s} s"; worst_lat_p99=$(( ${DURATION%s} * 1000 )); fi
  cat > "$OUT/content-search-$slug.sql" <<SQL
\set n random(1, $count)
SELECT q FROM public.bench_queries WHERE kind = '$kind' AND n = :n \gset
BEGIN;
SELECT set_config('hephaestus.user_id', '$ADMIN_ID', true), set_config('hephaestus.roles', '{admin}', true);
$(search_sql ":q");
COMMIT;
SQL
  pgb "content-search-$slug" "$CONCURRENCY" hephaestus hephaestus "$PG_APP_PASSWORD" -M prepared -f "$OUT/content-search-$slug.sql"
  matches=$(psql_super hephaestus -c "SELECT round(avg((SELECT count(*) FROM hephaestus.content_versions WHERE metadata @> q.q::jsonb))) FROM public.bench_queries q WHERE kind = '$kind'")
  q=$(psql_super hephaestus -c "SELECT q FROM public.bench_queries WHERE kind = '$kind' AND n = 1")
  PGPASSWORD="$PG_APP_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U hephaestus -d hephaestus -Atq > "$OUT/content-search-explain-one.txt" <<SQL
BEGIN;
SELECT set_config('hephaestus.user_id', '$ADMIN_ID', true), set_config('hephaestus.roles', '{admin}', true) \g /dev/null
\echo '--- $kind: $q (the statement of the service, as the application login)'
EXPLAIN (ANALYZE, BUFFERS) $(search_sql "'$q'");
ROLLBACK;
SQL
  echo "--- $kind: the plain statement as the superuser (row-level security bypassed)" >> "$OUT/content-search-explain-one.txt"
  psql_super hephaestus -c "EXPLAIN (ANALYZE, BUFFERS) $(plain_sql "'$q'")" >> "$OUT/content-search-explain-one.txt"
  cat "$OUT/content-search-explain-one.txt" >> "$OUT/content-search-explain.txt"
  example=$(grep -m1 "Execution Time" "$OUT/content-search-explain-one.txt" | sed 's/.*: //')
  owner_time=$(awk '/as the superuser/ {on=1} on && /Execution Time/ {sub(/.*: /, ""); print; exit}' "$OUT/content-search-explain-one.txt")
  owner_plan=$(awk '/as the superuser/ {on=1; next} on && /(Index Scan|Seq Scan)[^(]*content_versions/ {sub(/^ *(->)? */, ""); sub(/ +\(cost.*/, ""); print; exit}' "$OUT/content-search-explain-one.txt")
  S[$kind]="| \`$q\` ($kind, $count variants) | ~$matches | $api_rps ($api_n) | $api_p50 | $api_p99 | $lat_p50 | $lat_p99 | $PGB_TPS | $PGB_P50 | $PGB_P99 | $(ratio "$api_rps" "$PGB_TPS") | $example | $owner_plan, $owner_time |"
done

# --- 3. Publish races --------------------------------------------------------------------------------------------------
# Race A: PUBLISHERS publishers at once, each publishing a different approved version of one item (version 1 is
# published before); each publish retires the published one, so every publisher may succeed, one after another.
# Race B: PUBLISHERS publishers of the same approved version with the same ETag: one wins, the others are refused.
# Each publisher is a curl started in the background; ETags are read before the race starts.
etag() { api -D - -o /dev/null "$BASE/api/v1/content/versions/$1/review" | awk 'tolower($1) == "etag:" {sub(/\r$/, ""); print $2}'; }
publish() { api -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' -H "If-Match: $2" -d '{"to":"published"}' \
  "$BASE/api/v1/content/versions/$1/transitions"; }
race() {  # race VERSION:ETAG … -> status codes on stdout, wall milliseconds in RACE_MS
  local a b pair k=0 pids=()
  a=$(now)
  for pair in "$@"; do k=$(( k + 1 )); publish "${pair%%:*}" "${pair#*:}" > "$TX/race.$k" & pids+=($!); done
  wait "${pids[@]}"
  b=$(now)
  RACE_MS=$(python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.0f}')" "$a" "$b")
}
: > "$OUT/content-race-codes.txt"
declare -a MS_A MS_B
for kind in a b; do
  for r in $(seq 1 "$RACES"); do
    block=$([ $kind = a ] && echo 8c02 || echo 8c03)
    item=$(printf '00000000-0000-7000-%s-%012x' "$block" "$r")
    pairs=()
    if [ $kind = a ]; then
      for v in $(psql_super hephaestus -c "SELECT id FROM hephaestus.content_versions WHERE content_item_id = '$item' AND status = 'approved' ORDER BY version"); do
        pairs+=("$v:$(etag "$v")")
      done
    else
      v=$(psql_super hephaestus -c "SELECT id FROM hephaestus.content_versions WHERE content_item_id = '$item'")
      e=$(etag "$v")
      for _ in $(seq 1 "$PUBLISHERS"); do pairs+=("$v:$e"); done
    fi
    rm -f "$TX"/race.*
    race "${pairs[@]}"
    sed "s/^/$kind /" "$TX"/race.* >> "$OUT/content-race-codes.txt"
    if [ $kind = a ]; then MS_A+=("$RACE_MS"); else MS_B+=("$RACE_MS"); fi
  done
done
histogram() { awk -v k="$1" '$1 == k {n[$2]++} END {s = ""; for (c in n) s = s (s ? ", " : "") n[c] "× " c; print s}' "$OUT/content-race-codes.txt"; }
hist_a=$(histogram a) hist_b=$(histogram b)
read -r items_ok items_total retired events <<<"$(psql_super hephaestus -F ' ' -c "
  SELECT count(*) FILTER (WHERE published = 1), count(*), sum(retired), sum(events) FROM (
    SELECT i.id, count(*) FILTER (WHERE v.status = 'published') AS published, count(*) FILTER (WHERE v.status = 'retired') AS retired,
           (SELECT count(*) FROM hephaestus.content_review_events e JOIN hephaestus.content_versions w ON w.id = e.content_version_id
            WHERE w.content_item_id = i.id) AS events
    FROM hephaestus.content_items i JOIN hephaestus.content_versions v ON v.content_item_id = i.id
    WHERE i.key LIKE 'bench/race-%' GROUP BY i.id) x")"
wall() { python3 -c "import sys, statistics; v = sorted(float(x) for x in sys.argv[1:]); print(f'median {statistics.median(v):.0f} ms, max {v[-1]:.0f} ms')" "$@"; }

# --- The section -------------------------------------------------------------------------------------------------------
verdict() { python3 -c "import sys; print('met' if float(sys.argv[1]) $2 float(sys.argv[2]) else 'NOT met')" "$1" "$3"; }
r_up=$(ratio "$up" "$dd_w") r_down=$(ratio "$down" "$cat_r") r_down_file=$(ratio "$down_file" "$cp_r")
table="$OUT/content-table.md"
{
  echo "### Content: transfers, metadata search, publish races (issue 10)"
  echo
  echo "Command: \`SIZE_MIB=$SIZE_MIB RUNS=$RUNS VERSIONS=$VERSIONS ITEMS=$ITEMS CONCURRENCY=$CONCURRENCY DURATION=$DURATION RACES=$RACES PUBLISHERS=$PUBLISHERS LATENCY_CONNECTIONS=$LATENCY_CONNECTIONS bench/content.sh\`"
  echo "on $(machine_line) (2 cores shared by the service, PostgreSQL, curl/wrk/pgbench and other work; load average before the"
  echo "transfers $LOAD_BEFORE). Embedded default: objects on the local filesystem beside the data directory, the same disk as the"
  echo "raw copies. Warm-up before measuring: 15 s of searches of every kind (wrk, 4 connections) and a 1 MiB body up and down."
  echo "Publish gate configured off (\`Content__PublishGate__RequireHumanReview=false\`, \`…MinimumNormalizedMean__accuracy=off\`, \`…safety_bias=off\`)."
  echo
  echo "**Transfers** of $SIZE_MIB MiB, fresh random bytes each run (no dedupe), median MiB/s of $RUNS runs, curl on 127.0.0.1:"
  echo
  echo "| direction | API (MiB/s) | raw on the same disk (MiB/s) | API ÷ raw | goal ≥ 0.5× |"
  echo "|---|---|---|---|---|"
  echo "| upload (\`POST …/content/bodies\`, hashed, fsynced, recorded) | $up | $dd_w (\`dd conv=fsync\`; \`cp\` without fsync: $cp_w) | $r_up | **$(verdict "$r_up" '>=' 0.5)** |"
  echo "| download (\`GET …/versions/{id}/body\` into /dev/null) | $down | $cat_r (\`cat\` of the stored object into /dev/null) | $r_down | **$(verdict "$r_down" '>=' 0.5)** |"
  echo "| download to a file (curl writes it; for reference) | $down_file | $cp_r (\`cp\` of the stored object) | $r_down_file | |"
  echo
  echo "Runs (MiB/s): upload ${UP[*]}; download ${DOWN[*]}; download to a file ${DOWN_FILE[*]}; dd conv=fsync ${DD[*]}; cp ${CP_W[*]}; cp of the object ${CP_R[*]}; cat of the object ${CAT_R[*]}."
  echo "Service memory (VmRSS sampled every 50 ms through all transfers): idle $(( IDLE_KB / 1024 )) MB after the warm-up, peak"
  echo "$(( PEAK_KB / 1024 )) MB: **$above_mb MB above idle** (goal under 100: **$(verdict "$above_mb" '<' 100)**); VmHWM (peak since start) $(( HWM_KB / 1024 )) MB."
  echo
  echo "**Metadata search** by containment (\`GET …/content/versions?metadata=…\`, first page of 50) over $VERSIONS versions of $ITEMS items"
  echo "(content_versions $VERSIONS_SIZE with indexes, GIN jsonb_path_ops $GIN_SIZE, database $DB_SIZE; seeded by SQL in $SEED_LINE)."
  echo "API: wrk, $CONCURRENCY connections, then $LATENCY_CONNECTIONS, $DURATION per kind each, one staff token. Raw: pgbench -M prepared, $CONCURRENCY clients, the service's transaction"
  echo "(BEGIN, actor, the same SELECT, COMMIT) as the application login (row-level security applies) plus a primary-key read of the query"
  echo "variant; percentiles from its per-transaction log. Latencies in ms. For variant 1: the service's statement's EXPLAIN ANALYZE time as the"
  echo "application login, and the plain statement (\`metadata @> … ORDER BY id LIMIT 51\`) as the superuser, policy bypassed: the planner's own plan and time."
  echo
  echo "| query (kind, variants) | rows matching | API req/s (requests) | API p50 | API p99 | API p50, $LATENCY_CONNECTIONS conns | API p99, $LATENCY_CONNECTIONS conns | raw tps | raw p50 | raw p99 | API ÷ raw | service's statement, ms | plain statement as the superuser (no RLS): scan, ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for kind in "${KINDS[@]}"; do echo "${S[$kind]}"; done
  echo
  worst=$( (for kind in "${KINDS[@]}"; do echo "${S[$kind]}" | awk -F'|' '$6 !~ />/ {gsub(/ /, "", $6); print $6}'; done; echo "${worst_p99:-0}") | sort -g | tail -n 1)
  worst_lat=$( (for kind in "${KINDS[@]}"; do echo "${S[$kind]}" | awk -F'|' '$8 !~ />/ {gsub(/ /, "", $8); print $8}'; done; echo "${worst_lat_p99:-0}") | sort -g | tail -n 1)
  echo "Goal p99 under 20 ms, every kind: at $LATENCY_CONNECTIONS connections (one per core) **$(verdict "$worst_lat" '<' 20)** (worst p99 $worst_lat ms);"
  echo "at $CONCURRENCY connections, where requests queue for the 2 cores, **$(verdict "$worst" '<' 20)** (worst p99 $worst ms$([ -n "${worst_p99:-}" ] && echo "; at least one kind had no request finish within $DURATION"))."
  echo
  echo "**Publish races**: $RACES items × $PUBLISHERS concurrent publishers (curl processes started together), If-Match read before."
  echo
  echo "| race | status codes | wall time per race (all $PUBLISHERS answered) |"
  echo "|---|---|---|"
  echo "| $PUBLISHERS different approved versions of one item (version 1 published before) | $hist_a | $(wall "${MS_A[@]}") |"
  echo "| the same approved version, same ETag, $PUBLISHERS times | $hist_b | $(wall "${MS_B[@]}") |"
  echo
  echo "Afterwards, in SQL: $items_ok of $items_total items with exactly one published version (goal: all: **$([ "$items_ok" = "$items_total" ] && echo met || echo NOT met)**);"
  echo "$retired versions retired, $events review events recorded (one per successful move)."
  echo "Raw outputs (wrk, pgbench, EXPLAIN, RSS samples, status codes) of the last run are in bench/out/ (not committed)."
} > "$table"
cat "$table"
write_section content "$table"
