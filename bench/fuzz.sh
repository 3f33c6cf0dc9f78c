#!/usr/bin/env bash
# The long fuzz run: each libFuzzer target of fuzz/ for MINUTES (default 5), one after the other,
# niced, from its seed corpus, with a fixed seed. Builds the clang fuzz build into BUILD_DIR
# (default build-fuzz) first. Keeps what each run found in BUILD_DIR/fuzz-long/<target>/ (corpus/,
# crash-* and the log) and prints one line per target: executions, executions per second,
# coverage (edges, features), corpus size and crashes. Results: docs/PERFORMANCE.md.
#   bench/fuzz.sh [MINUTES] [BUILD_DIR] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
build=${2:-build-fuzz}
shift 2 || shift $# || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parser netlink config request_params query_string auth dns_answers)

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DNETMON_FUZZ=ON -DNETMON_BUILD_TESTS=OFF -DNETMON_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice cmake --build "$build" -j"$(nproc)" --target netmon_fuzzers >/dev/null

failed=0
printf '%-16s %12s %10s %8s %8s %8s %8s\n' target execs execs/s cov ft corpus crashes
for target in "${targets[@]}"; do
  work="$build/fuzz-long/$target"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  status=0
  nice "$build/fuzz/fuzz_$target" -seed=1 -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "fuzz/corpus/$target" >"$work/log" 2>&1 || status=$?
  last=$(grep -aE '^#[0-9]+[[:space:]]' "$work/log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/corpus" -type f | wc -l)
  crashes=$(find "$work" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' -o -maxdepth 1 -name 'leak-*' | wc -l)
  printf '%-16s %12s %10s %8s %8s %8s %8s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
  if [ "$status" != 0 ]; then
    failed=1
    echo "  $target failed (exit $status): see $work/log" >&2
  fi
done
exit "$failed"
