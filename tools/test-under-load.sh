#!/usr/bin/env bash
# The suite under load: `npm test` RUNS times in a row (default 3) while LOAD CPU-bound processes
# (default 2: `yes > /dev/null`, default priority) compete for the cores. Stops at the first red
# run; each run's output goes to test-under-load-<n>.log in LOG_DIR (default: a temporary folder).
#   bash tools/test-under-load.sh            RUNS=1 LOAD=4 bash tools/test-under-load.sh
set -u
runs=${RUNS:-3}
load=${LOAD:-2}
logs=${LOG_DIR:-$(mktemp -d)}
hogs=()
stop_load() { [ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}" 2>/dev/null; }
trap stop_load EXIT
for _ in $(seq "$load"); do
  yes > /dev/null &
  hogs+=($!)
done
echo "$load CPU-bound processes running (pids ${hogs[*]}); logs in $logs"
for run in $(seq "$runs"); do
  started=$(date +%s)
  npm test > "$logs/test-under-load-$run.log" 2>&1
  code=$?
  echo "run $run: exit $code in $(( $(date +%s) - started )) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if [ "$code" -ne 0 ]; then
    grep -E "Test Files|Tests |FAIL" "$logs/test-under-load-$run.log" | tail -n 20
    exit "$code"
  fi
done
echo "all $runs runs green"
