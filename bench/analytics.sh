#!/usr/bin/env bash
# Analytics figures (issue 12). This is the skeleton the analytics sections grow into; today it holds one section:
# replica lag under ingestion load. The service starts its embedded PostgreSQL with a streaming replica
# (Embedded__Replica=true); pgbench writes on the primary at each concurrency while the lag is sampled every 0.5 s from
# three places: what Hephaestus reports (/health/ready replicaLagSeconds, the figure analytics answers carry), the
# primary's own view (pg_stat_replication.replay_lag) and the WAL still to replay (bytes).
#   bench/analytics.sh              (LEARNERS=100000 CONCURRENCY="8 32" DURATION=30s ROWS_PER_TX=100 by default)
#   LEARNERS=200 CONCURRENCY=2 DURATION=5s WRITE_DOCS=0 bench/analytics.sh     (a tiny run: proves it works)
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
