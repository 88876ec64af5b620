#!/usr/bin/env bash
# What a timeline page costs in PostgreSQL's own terms (issue 11): EXPLAIN (ANALYZE, BUFFERS) of the first page of 50 of
# one learner as the service reads it (EventStore.TimelineSelect: no time bound, so every daily partition is in the
# plan), beside the same read bounded to the newest day (which the planner prunes to one or two partitions), on EVENTS
# events over LEARNERS learners and the last 30 days. It answers whether an unbounded read pays per partition: buffer
# counts do not depend on the machine's load; times do. Fresh embedded database; 127.0.0.1 only; stops by itself.
#   bench/timeline-plan.sh   (EVENTS=3000000 LEARNERS=1000 by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
EVENTS=${EVENTS:-3000000}
LEARNERS=${LEARNERS:-1000}

need_tools
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || build_app
start_service
seed "$LEARNERS" >/dev/null
seed_events "$EVENTS" "$LEARNERS"
LEARNER=$(psql_super hephaestus -c "SELECT id FROM hephaestus.users WHERE 'learner' = ANY (roles) ORDER BY id LIMIT 1")
PARTITIONS=$(psql_super hephaestus -c "SELECT count(*) FROM pg_inherits WHERE inhparent = 'hephaestus.learning_events'::regclass")
SELECT_LIST="id, occurred_at, stored_at, source, client_event_id, verb, object_type, object_id, result, context"
plan() { # NAME WHERE -> prints "buffers execution-ms" of the first page, from the third of three runs (cache warm)
  local sql="EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT $SELECT_LIST FROM hephaestus.learning_events WHERE learner_id = '$LEARNER' $2 ORDER BY occurred_at DESC, id DESC LIMIT 51"
  psql_super hephaestus -c "$sql" >/dev/null; psql_super hephaestus -c "$sql" >/dev/null
  psql_super hephaestus -c "$sql" > "$OUT/timeline-plan-$1.json"
  python3 -c "import json,sys; p=json.load(open(sys.argv[1]))[0]; n=p['Plan']; print(n['Shared Hit Blocks']+n['Shared Read Blocks'], round(p['Execution Time'],3))" "$OUT/timeline-plan-$1.json"
}
read -r OLD_BUFFERS OLD_MS <<< "$(plan unbounded "")"
read -r NEW_BUFFERS NEW_MS <<< "$(plan first-day "AND occurred_at >= now() - interval '1 day'")"
NODE=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[0]['Plan']['Plans'][0]['Node Type'])" "$OUT/timeline-plan-unbounded.json")
ROWS=$(psql_super hephaestus -c "SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = '$LEARNER' AND occurred_at >= now() - interval '1 day'")
cat <<EOF2
timeline first page of one learner, $EVENTS events over $LEARNERS learners and 30 days ($PARTITIONS partitions):
  as the service reads it (unbounded; the plan's node over the partitions: $NODE): $OLD_BUFFERS buffers, execution $OLD_MS ms
  bounded to the newest day ($ROWS rows in it): $NEW_BUFFERS buffers, execution $NEW_MS ms
EOF2
