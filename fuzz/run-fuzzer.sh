#!/usr/bin/env bash
# Runs one libFuzzer binary from its seed corpus for SECONDS with a fixed seed; fails on any
# crash, leak, timeout or broken property. New inputs go to WORK/corpus (emptied first, so that
# every run starts from the seeds alone), a crashing input to WORK/crash-*.
#   fuzz/run-fuzzer.sh BINARY SEED_CORPUS WORK SECONDS [more libFuzzer flags...]
set -euo pipefail
binary=$1 seeds=$2 work=$3 seconds=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus"
status=0
"$binary" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
  -timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds" \
  >"$work/log" 2>&1 || status=$?
grep -aE '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$work/log" || true
if [ "$status" != 0 ]; then
  tail -n 60 "$work/log"
  echo "run-fuzzer: $(basename "$binary") failed (exit $status); input saved as:" $(ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-* 2>/dev/null) >&2
  exit 1
fi
