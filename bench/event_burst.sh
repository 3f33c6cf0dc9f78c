#!/usr/bin/env bash
# New connections as fast as the lab makes them, and whether netmon-ingest's event stream keeps
# up, counted against `conntrack -E -e NEW` running alongside.
#
#   sudo bench/event_burst.sh [BUILD_DIR] [FLOWS_PER_CLIENT] [EVENT_BUFFER]
#
# Builds the namespace router (tests/lab/lab.sh), runs netmon-ingest in it with a 60 s interval
# (so that only events, and resyncs after lost events, can bring the flows in), starts
# `conntrack -E -e NEW` on the same flows, and has two LAN devices open FLOWS_PER_CLIENT (20000)
# UDP flows each, every one from a new source port. Then it compares, before any scheduled
# cycle: the flows in the kernel's table, the NEW events conntrack -E printed, the rows netmon
# has, and its overruns and resyncs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
flows=${2:-20000}
buffer=${3:-8388608}
[ "$(id -u)" = 0 ] || { echo "event_burst: needs root" >&2; exit 77; }
# shellcheck source=../tests/lab/lab.sh
source tests/lab/lab.sh
LAB=nmeb$$
dir=$(mktemp -d)
pids=()
cleanup() {
  lab_down  # kills what runs in the namespaces, which the shells in pids only started
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
lab_up 2 >/dev/null
lab_serve
R=$(lab_router)
printf 'local_subnets: [10.0.0.0/24]\ndatabase: %s/netmon.db\nsource: netlink\nnetlink:\n  event_buffer: %s\n' \
  "$dir" "$buffer" >"$dir/netmon.yml"
lab_in "$R" "$build/collector/netmon-ingest" --config "$dir/netmon.yml" run --interval 60 2>"$dir/ingest.log" &
pids+=($!)
lab_in "$R" conntrack -E -e NEW -p udp --orig-port-dst 9 >"$dir/events.txt" 2>"$dir/events.err" &
pids+=($!)
sleep 1

started=$(date +%s.%N)
lab_traffic 1 burst 192.0.2.10 9 "$flows" &
one=$!
lab_traffic 2 burst 203.0.113.20 9 "$flows" &
two=$!
wait "$one" "$two"
ended=$(date +%s.%N)
sleep 3  # events drain; a resync, if one was needed, runs

kernel=$(lab_in "$R" conntrack -L -p udp --orig-port-dst 9 2>/dev/null | grep -c 'dport=9 ' || true)
seen=$(grep -c NEW "$dir/events.txt" || true)
rows=$(sqlite3 "$dir/netmon.db" "SELECT count(*) FROM connections WHERE dst_port = 9")
overruns=$(sqlite3 "$dir/netmon.db" "SELECT coalesce((SELECT value FROM meta WHERE key = 'event_overruns_total'), 0)")
resyncs=$(sqlite3 "$dir/netmon.db" "SELECT coalesce((SELECT value FROM meta WHERE key = 'resyncs_total'), 0)")
cycles=$(sqlite3 "$dir/netmon.db" "SELECT value FROM meta WHERE key = 'cycles_total'")
rate=$(echo "2 * $flows / ($ended - $started)" | bc)
echo "flows made:                   $((2 * flows)) in $(printf '%.2f' "$(echo "$ended - $started" | bc)") s ($rate/s)"
echo "in the kernel's table:        $kernel"
echo "conntrack -E -e NEW printed:  $seen $(grep -o 'ENOBUFS' "$dir/events.err" | head -n1 | sed 's/.*/(it reported ENOBUFS: lost events)/')"
echo "netmon rows:                  $rows"
echo "netmon event overruns:        $overruns, resyncs: $resyncs, cycles: $cycles (1 at start + resyncs)"
if [ "$rows" -ge "$kernel" ]; then
  echo "result: every flow in the table is in netmon's database"
else
  echo "result: netmon is missing $((kernel - rows)) flows"
fi
