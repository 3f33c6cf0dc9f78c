#!/usr/bin/env bash
# netmon-web under wrk (16 connections): /connections.json?limit=500 over a database of FLOWS
# (100,000) active connections, against /bench/static, a fixed response of the same size from
# the same server in the same run; then netmon-web itself, idle and while netmon-ingest
# rewrites the database every second. Prints p50, p99, requests/s and RSS.
#
#   bench/web_bench.sh [BUILD_DIR] [FLOWS] [SECONDS] [FLOWS_PER_HOST]   (defaults: build 100000 10 4)
#
# FLOWS_PER_HOST 1 gives as many remote hosts as flows (300000 1: the bounds of issue 10); then
# /hosts.json and random ?q= are driven by wrk too.
# Needs wrk and curl (Debian packages). Results: docs/PERFORMANCE.md, "Web (issue 5)" and
# "Bounds and indexes (issue 10)".
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
flows=${2:-100000}
seconds=${3:-10}
per_host=${4:-4}
command -v wrk >/dev/null || { echo "web_bench.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }

dir=$(mktemp -d /tmp/netmon-web-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # URL: until it answers
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "web_bench.sh: $1 does not answer" >&2; exit 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# wrk URL [SCRIPT]: "p50_ms p99_ms requests_per_second"
measure() {
  # An error page is quick too: only 200s count.
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' "$1")
  [ "$code" = 200 ] || { echo "web_bench.sh: $1 answers $code, not 200" >&2; exit 1; }
  local script=()
  [ -n "${2:-}" ] && script=(-s "$2")
  wrk -t2 -c16 -d2s "${script[@]}" "$1" >/dev/null  # warm-up
  wrk -t2 -c16 -d"${seconds}s" --latency "${script[@]}" "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
    END { printf "%.2f %.2f %.0f\n", p50, p99, rps }'
}
row() { printf "%-58s %8s %8s %9s\n" "$@"; }

echo "web_bench.sh: $flows flows, wrk -t2 -c16 -d${seconds}s, $(nproc) cores" >&2
"$build/bench/web_bench" capture "$dir/table.txt" "$flows" "$per_host"
export NETMON_DB="$dir/netmon.db" NETMON_LOCAL_SUBNETS=10.0.0.0/24,fd00:10::/64 CONNTRACK_INPUT_FILE="$dir/table.txt"
"$build/collector/netmon-ingest" --config config/netmon.yml once 2>/dev/null
size=$(stat -c %s "$NETMON_DB")

"$build/bench/web_bench" cpu "$NETMON_DB"
echo
row "" "p50 ms" "p99 ms" "req/s"
# One request per connection (how cpp-httplib had to run), without the cache, and kept alive
# (1,000 requests a connection: netmon-web's default since it moved to Beast).
for run in "cache 1" "nocache 1" "cache 1000"; do
  read -r mode keepalive <<<"$run"
  port=$(free_port)
  "$build/bench/web_bench" serve "$NETMON_DB" "$port" 4 "$keepalive" "$mode" 2>/dev/null &
  pid=$!; pids+=("$pid")
  wait_for "http://127.0.0.1:$port/bench/static"
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/connections.json?limit=500")
  row "/connections.json?limit=500 ($mode, $keepalive/conn)" "$p50" "$p99" "$rps"
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/bench/static")
  row "/bench/static, same size, same server, same run" "$p50" "$p99" "$rps"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

port=$(free_port)
NETMON_INTERFACES=lo "$build/webui/netmon-web" --config config/netmon.yml --listen "127.0.0.1:$port" 2>/dev/null &
web=$!; pids+=("$web")
wait_for "http://127.0.0.1:$port/healthz"
idle_rss=$(rss_kib "$web")
read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/connections.json?limit=500")
row "netmon-web /connections.json?limit=500" "$p50" "$p99" "$rps"
"$build/collector/netmon-ingest" --config config/netmon.yml run --interval 1 2>/dev/null &
ingest=$!; pids+=("$ingest")
sleep 2
read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/connections.json?limit=500")
row "  the same while netmon-ingest rewrites it every 1 s" "$p50" "$p99" "$rps"
if [ "$per_host" = 1 ]; then
  # A random four-digit q each request, as a client searching would, and /hosts.json.
  cat > "$dir/random_q.lua" <<'LUA'
math.randomseed(7)
request = function() return wrk.format("GET", "/connections.json?q=" .. math.random(1000, 9999)) end
LUA
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/" "$dir/random_q.lua")
  row "  /connections.json?q=<random 4 digits>, while it writes" "$p50" "$p99" "$rps"
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$port/hosts.json")
  row "  /hosts.json, while it writes" "$p50" "$p99" "$rps"
fi
curl -s -o /dev/null "http://127.0.0.1:$port/"
curl -s -o /dev/null "http://127.0.0.1:$port/hosts.json?limit=10000"
curl -s -o /dev/null "http://127.0.0.1:$port/connections.json?limit=10000"
curl -s -o /dev/null "http://127.0.0.1:$port/connections.json?src=10.0.0.7"
echo
echo "database: $((size / 1024)) KiB; /connections.json?limit=500: $(curl -s "http://127.0.0.1:$port/connections.json?limit=500" | wc -c) bytes"
echo "netmon-web RSS: $idle_rss KiB idle, $(rss_kib "$web") KiB now, $(hwm_kib "$web") KiB peak (VmHWM)"
for path in "/connections.json?limit=500" "/connections.json?src=10.0.0.7" "/connections.json?q=443&limit=10000" \
            "/connections.json?q=443" "/connections.json?q=20.1" "/connections.json?q=7919" "/connections.json?q=fffff" \
            "/hosts.json" "/hosts.json?since=3600" "/" "/metrics"; do
  t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$path")
  awk -v path="$path" -v t="$t" 'BEGIN { printf "one request, %-40s %7.2f ms\n", path, t * 1000 }'
done
