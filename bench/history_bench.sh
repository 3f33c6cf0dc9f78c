#!/usr/bin/env bash
# The history of issue 12 on a synthetic month of a busy home (bench/history_month.cpp): the
# database's size (file, after VACUUM, per table and index from dbstat, rows per step and level),
# then /devices.json?window=30d and a device's 30-day /history.json?step=3600 through the real
# netmon-web on loopback (one request at a time with curl, and wrk with 16 connections, on two
# cores and on one: taskset -c 0), each against /bench/static answering the same bytes from the
# same server in the same run (build/bench/web_bench serve with NETMON_BENCH_STATIC);
# /devices.json without its cache (the first request after a flush), a remote host's
# /history.json (the busiest host and one seen once), and the device and host pages rendered in
# headless Chromium (bench/page_bench.py). Then, with `ingest`, reconcile_bench with
# history on and off, twice each, on two cores and on one.
#
#   bench/history_bench.sh [BUILD_DIR] [DIR] [DAYS] [SECONDS]      (defaults: build /dev/shm 30 10)
#   bench/history_bench.sh ingest [BUILD_DIR]
#
# DIR holds the database (about 2 GB for 30 days); /dev/shm keeps the disk out of the generation
# time, the sizes are the same anywhere. Needs sqlite3, wrk and curl (Debian packages). Results:
# docs/PERFORMANCE.md, "History (issue 12)".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = ingest ]; then
  build=$(realpath "${2:-build}")
  dir=$(mktemp -d /tmp/netmon-history-bench.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  for cpu in "" "taskset -c 0"; do
    for round in 1 2; do
      for mode in history no-history; do
        echo "== ${cpu:-two cores}, round $round, $mode (load $(cut -d' ' -f1 /proc/loadavg))"
        $cpu "$build/bench/reconcile_bench" 262144 4 "$dir" "$mode" | grep -E "warm|idle|cold|RSS|flows:"
      done
    done
  done
  exit 0
fi

build=$(realpath "${1:-build}")
base=${2:-/dev/shm}
days=${3:-30}
seconds=${4:-10}
for tool in sqlite3 wrk curl; do
  command -v "$tool" >/dev/null || { echo "history_bench.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
dir=$(mktemp -d "$base/netmon-history-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
db=$dir/netmon.db
if [ -n "${NETMON_HISTORY_DB:-}" ]; then
  # A month generated before (history_month DB): measured as it is, not removed.
  db=$NETMON_HISTORY_DB
  echo "end_ms $(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'history_flushed_at'")" > "$dir/month.txt"
else
  echo "== generation: $days days"
  "$build/bench/history_month" "$db" "$days" | tee "$dir/month.txt"
fi

echo "== size"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "file $(mib "$(stat -c %s "$db")"), WAL $(mib "$(stat -c %s "$db-wal" 2>/dev/null || echo 0)")"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sqlite3 "$db" "VACUUM INTO '$dir/vacuumed.db'"
echo "after VACUUM (VACUUM INTO a copy): $(mib "$(stat -c %s "$dir/vacuumed.db")")"
rm -f "$dir/vacuumed.db"
sqlite3 -separator ' ' "$db" "SELECT name, count(*), round(sum(pgsize) / 1048576.0, 1), round(sum(unused) / 1048576.0, 1)
  FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC" | awk '{ printf "%-36s %9d pages %9.1f MiB (%.1f MiB unused)\n", $1, $2, $3, $4 }'
sqlite3 -separator ' ' "$db" "SELECT step, CASE WHEN device = X'' THEN 'lan' ELSE 'device' END, count(*) FROM traffic
  GROUP BY 1, 2 ORDER BY 1, 2" | awk '{ printf "traffic step %-6s %-7s %10d rows\n", $1, $2, $3 }'
sqlite3 -separator ' ' "$db" "SELECT step, count(*) FROM host_traffic GROUP BY 1 ORDER BY 1" |
  awk '{ printf "host_traffic step %-6s %10d rows\n", $1, $2 }'
for table in flow_log devices device_hosts device_host_days remote_hosts connections; do
  printf "%-20s %10d rows\n" "$table" "$(sqlite3 "$db" "SELECT count(*) FROM $table")"
done

echo "== queries"
now_s=$(( $(awk '/^end_ms/ { print $2 }' "$dir/month.txt") / 1000 ))
from_s=$(( now_s - days * 86400 ))
device=10.0.0.10  # the busiest device of the model (Zipf rank 1)
history="/history.json?device=$device&step=3600&from=$from_s&to=$now_s"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "history_bench.sh: $1 does not answer" >&2; exit 1
}
measure() {  # [taskset...] URL: "p50_ms p99_ms requests_per_second"
  local url=${*: -1} run=("${@:1:$#-1}")
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
  [ "$code" = 200 ] || { echo "history_bench.sh: $url answers $code, not 200" >&2; exit 1; }
  "${run[@]}" wrk -t2 -c16 -d2s "$url" >/dev/null
  "${run[@]}" wrk -t2 -c16 -d"${seconds}s" --latency "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
    END { printf "%.2f %.2f %.0f\n", p50, p99, rps }'
}
row() { printf "%-64s %8s %8s %9s\n" "$@"; }
curl_ms() { curl -s -o /dev/null -w '%{time_total}' "$1" | awk '{ printf "%.1f", $1 * 1000 }'; }

export NETMON_DB="$db" NETMON_INTERFACES=lo
for cpu in "" "taskset -c 0"; do
  run=()
  [ -n "$cpu" ] && run=(taskset -c 0)
  port=$(free_port)
  "${run[@]}" "$build/webui/netmon-web" --config config/netmon.yml --listen "127.0.0.1:$port" 2>/dev/null &
  web=$!; pids+=("$web")
  wait_for "http://127.0.0.1:$port/healthz"
  echo "-- ${cpu:-two cores}"
  echo "one request (curl), the first after the start: /devices.json?window=30d $(curl_ms "http://127.0.0.1:$port/devices.json?window=30d") ms," \
       "again $(curl_ms "http://127.0.0.1:$port/devices.json?window=30d") ms; 30-day history $(curl_ms "http://127.0.0.1:$port$history") ms," \
       "again $(curl_ms "http://127.0.0.1:$port$history") ms; window=7d $(curl_ms "http://127.0.0.1:$port/devices.json?window=7d") ms"
  curl -s "http://127.0.0.1:$port/devices.json?window=30d" > "$dir/devices.json"
  curl -s "http://127.0.0.1:$port$history" > "$dir/history.json"
  echo "sizes: /devices.json?window=30d $(wc -c < "$dir/devices.json") bytes ($(grep -o '"device":' "$dir/devices.json" | wc -l) devices)," \
       "history $(wc -c < "$dir/history.json") bytes ($(grep -o '"t":' "$dir/history.json" | wc -l) points)"
  row "" "p50 ms" "p99 ms" "req/s"
  read -r p50 p99 rps < <(measure "${run[@]}" "http://127.0.0.1:$port/devices.json?window=30d")
  row "netmon-web /devices.json?window=30d" "$p50" "$p99" "$rps"
  read -r p50 p99 rps < <(measure "${run[@]}" "http://127.0.0.1:$port$history")
  row "netmon-web /history.json?device=$device&step=3600, 30 days" "$p50" "$p99" "$rps"
  kill "$web"; wait "$web" 2>/dev/null || true
  for peer in devices history; do
    port=$(free_port)
    NETMON_BENCH_STATIC="$dir/$peer.json" "${run[@]}" "$build/bench/web_bench" serve "$db" "$port" 2>/dev/null &
    static=$!; pids+=("$static")
    wait_for "http://127.0.0.1:$port/bench/static"
    read -r p50 p99 rps < <(measure "${run[@]}" "http://127.0.0.1:$port/bench/static")
    row "/bench/static, the same bytes as the $peer answer" "$p50" "$p99" "$rps"
    kill "$static"; wait "$static" 2>/dev/null || true
  done

  # /devices.json without its cache: the first request after each flush (every 10 s while the
  # ingest runs). A flush is what moves meta's history_flushed_at, so moving it stands for one.
  port=$(free_port)
  "${run[@]}" "$build/webui/netmon-web" --config config/netmon.yml --listen "127.0.0.1:$port" 2>/dev/null &
  web=$!; pids+=("$web")
  wait_for "http://127.0.0.1:$port/healthz"
  for window in 30d 7d 24h; do
    for _ in $(seq 20); do
      sqlite3 "$db" "UPDATE meta SET value = value + 1 WHERE key = 'history_flushed_at'"
      curl_ms "http://127.0.0.1:$port/devices.json?window=$window"; echo
    done | sort -n | awk -v w="$window" '{ v[++n] = $1 } END { printf "uncached /devices.json?window=%s, 20 runs: p50 %.1f ms, max %.1f ms\n", w, v[int(n / 2) + 1], v[n] }'
  done
  # A remote host's pages: the busiest host of the model (core rank 1) and a host seen once.
  core_host=$(sqlite3 "$db" "SELECT ip FROM remote_hosts ORDER BY connections_seen DESC LIMIT 1")
  once_host=$(sqlite3 "$db" "SELECT ip FROM remote_hosts WHERE connections_seen = 1 ORDER BY last_seen_at DESC LIMIT 1")
  for host in "$core_host" "$once_host"; do
    hex=$(python3 -c "import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).packed.hex())" "$host")
    devices=$(sqlite3 "$db" "SELECT count(*) FROM device_hosts WHERE host = X'$hex'")
    for step in 3600 86400; do
      url="http://127.0.0.1:$port/history.json?host=$host&step=$step&from=$from_s&to=$now_s"
      for _ in $(seq 20); do curl_ms "$url"; echo; done | sort -n |
        awk -v h="$host" -v s="$step" -v d="$devices" '{ v[++n] = $1 } END { printf "/history.json?host=%s (%d devices) step=%s, 30 days, 20 runs: p50 %.1f ms, max %.1f ms\n", h, d, s, v[int(n / 2) + 1], v[n] }'
    done
  done
  read -r p50 p99 rps < <(measure "${run[@]}" "http://127.0.0.1:$port/history.json?host=$core_host&step=3600&from=$from_s&to=$now_s")
  row "netmon-web /history.json?host=$core_host&step=3600, 30 days" "$p50" "$p99" "$rps"
  # The device page, rendered in headless Chromium (when there is one).
  if command -v chromium >/dev/null; then
    # The browser is not pinned: it stands for the LAN device, not the router.
    python3 bench/page_bench.py "http://127.0.0.1:$port" "/device/$device" 20
    python3 bench/page_bench.py "http://127.0.0.1:$port" "/host/$core_host" 10
  fi
  kill "$web"; wait "$web" 2>/dev/null || true
done
