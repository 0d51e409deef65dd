#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang with ASan + UBSan + coverage), replays the
# committed seed corpus of each (regression), then fuzzes each for FUZZ_SECONDS (default 30).
# New inputs and any findings (crash-*, leak-*, timeout-*, oom-*) go to build/fuzz/; logs there too.
# Exits non-zero if any target crashes. Usage: tools/fuzz.sh [target...]   (default: every fuzz_*)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
MAX_LEN="${FUZZ_MAX_LEN:-4096}"   # bounded input size: the interesting structure is all in the header
OUT=build/fuzz/findings
mkdir -p "$OUT"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in tests/fuzz/fuzz_*.cc; do targets+=("$(basename "$src" .cc)"); done
fi

status=0
for t in "${targets[@]}"; do
  bin="build/fuzz/tests/fuzz/$t"
  seeds="tests/fuzz/corpus/$t"
  work="build/fuzz/corpus/$t"
  log="$OUT/$t.log"
  mkdir -p "$work" "$OUT/$t"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")

  echo "== $t: replaying $(ls "$seeds" | wc -l) seed inputs" >&2
  if ! "$bin" -runs=0 -artifact_prefix="$OUT/$t/" "$seeds" >"$OUT/$t.replay.log" 2>&1; then
    echo "FAIL: $t crashed on its seed corpus; see $OUT/$t.replay.log" >&2
    status=1
    continue
  fi

  echo "== $t: fuzzing for ${SECONDS_PER_TARGET}s (max_len $MAX_LEN)" >&2
  # -rss_limit_mb: hostile inputs must not make the parser allocate more than this.
  if "$bin" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$OUT/$t/" "$work" "$seeds" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    echo "ok: $t: $runs runs, $speed exec/s, no crash" >&2
  else
    echo "FAIL: $t found a crash; see $log and $OUT/$t/" >&2
    grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log" >&2 || true
    status=1
  fi
done
exit $status
