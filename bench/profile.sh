#!/usr/bin/env bash
# CPU profiles of `next` and of the profile read on the service bench/next.sh holds, each under wrk at 8 connections:
# 15 s of warm-up, then 15 s of `dotnet-trace collect --profile dotnet-sampled-thread-time` in the middle of a 25 s run;
# each profile summarized by component (bench/profile-summary.py) and per request (CPU ms sampled ÷ requests in the window).
#   SKIP_BUILD=1 HOLD=1 LEARNERS=20000 DURATION=5s RATE_SECONDS=5 bench/next.sh     (in another shell; prints "holding: …")
#   bench/profile.sh PID DATA_DIRECTORY        (the service's pid and its Embedded__DataDirectory, from that line)
# Needs dotnet-trace (`dotnet tool install -g dotnet-trace`). Writes bench/out/profile/ (not committed).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
PID=${1:?usage: bench/profile.sh PID DATA_DIRECTORY}
DATA_DIRECTORY=${2:?usage: bench/profile.sh PID DATA_DIRECTORY}
OUT="$BENCH_DIR/out/profile"; mkdir -p "$OUT"
TRACE=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
cd "$BENCH_DIR"
export NEXT_FILE="$BENCH_DIR/out/next.txt" IDS_FILE="$BENCH_DIR/out/next-ids.txt"
TOKEN=$(cd out/app && Embedded__DataDirectory="$DATA_DIRECTORY" ./hephaestus token --user bench-next-admin@example.org --role admin 2>/dev/null | tail -n 1)
export TOKEN
for endpoint in next read-profile; do
  wrk -t2 -c8 -d15s -s "lua/$endpoint.lua" "http://127.0.0.1:${HTTP_PORT:-5099}" > /dev/null
  wrk -t2 -c8 -d25s -s "lua/$endpoint.lua" "http://127.0.0.1:${HTTP_PORT:-5099}" > "$OUT/$endpoint.wrk.txt" &
  load=$!
  sleep 5
  "$TRACE" collect -p "$PID" --profile dotnet-sampled-thread-time --duration 00:00:00:15 -o "$OUT/$endpoint.nettrace" > "$OUT/$endpoint.trace.log" 2>&1
  wait "$load"
  rm -f "$OUT/$endpoint".speedscope.json
  "$TRACE" convert --format speedscope "$OUT/$endpoint.nettrace" > /dev/null 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$endpoint.wrk.txt")
  echo "== $endpoint: $rps req/s (wrk, 25 s); profile of 15 s in its middle"
  python3 "$BENCH_DIR/profile-summary.py" "$OUT/$endpoint.speedscope.json" "$rps" 15
done
