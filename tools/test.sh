#!/usr/bin/env bash
# `npm test`: everything from a fresh Debian bookworm machine, fail-fast, with a timing summary.
#   bash tools/test.sh              all stages
#   bash tools/test.sh js wasm      only the named stages (setup always runs first)
# Stages: setup native wasm wasm-threads js native-asan fuzz. Builds are incremental and -j2 (2-core CI).
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"  # Emscripten's linker needs Debian's acorn
JOBS="${DDPM_JOBS:-2}"

ALL_STAGES=(native wasm wasm-threads js native-asan fuzz)
if [ $# -gt 0 ]; then STAGES=("$@"); else STAGES=("${ALL_STAGES[@]}"); fi

declare -a SUMMARY=()
T_START=$SECONDS

# CPU seconds (user + sys) used so far by finished child processes, into $CPU: with the wall time it
# shows how much of a stage was work and how much was waiting for a CPU on a shared machine. `times`
# must run in this shell (a subshell would report its own, empty, children), hence the file.
TIMES_FILE=$(mktemp)
trap 'rm -f "$TIMES_FILE"' EXIT
child_cpu() {
  times > "$TIMES_FILE"
  CPU=$(tail -1 "$TIMES_FILE" | awk '{ n = 0; for (i = 1; i <= 2; ++i) { split($i, p, "m"); n += p[1] * 60 + p[2] }
                                       printf "%d", n }')
}

summary() {
  echo
  echo "== npm test: timing =="
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  child_cpu
  printf '  %-14s %5ds wall %6ds cpu\n' total $((SECONDS - T_START)) "$CPU"
}

# stage NAME CMD...: runs CMD, records its time, and stops everything on failure.
stage() {
  local name=$1; shift
  echo
  echo "== [$name] $* =="
  local t0=$SECONDS c0 rc=0
  child_cpu
  c0=$CPU
  "$@" || rc=$?
  child_cpu
  if [ "$rc" = 0 ]; then
    SUMMARY+=("$(printf '%-14s %5ds wall %6ds cpu  ok' "$name" $((SECONDS - t0)) $((CPU - c0)))")
  else
    SUMMARY+=("$(printf '%-14s %5ds wall %6ds cpu  FAILED (exit %d)' "$name" $((SECONDS - t0)) $((CPU - c0)) "$rc")")
    summary
    echo
    echo "npm test: stage '$name' failed: $*" >&2
    exit 1
  fi
}

# Configure once (a fresh build dir), then build and run ctest for a preset.
cmake_stage() {
  local preset=$1
  if [ ! -f "build/$preset/build.ninja" ]; then cmake --preset "$preset" || return; fi
  cmake --build --preset "$preset" -j"$JOBS" || return
  ctest --preset "$preset" -j"$JOBS" --timeout 600 --no-tests=error || return
}

js_stage() {
  node tools/build.mjs || return
  # A test skips itself when its tool is missing (playwright-core, chromium, typescript): fine for a
  # quick `npm run test:js`, but here a skip would hide a broken install, so any skip fails the stage.
  local tap=build/js-tests.tap
  mkdir -p build
  node --test --test-reporter=spec --test-reporter-destination=stdout \
       --test-reporter=tap --test-reporter-destination="$tap" tests/js/ || return
  local skipped
  skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" | tail -1)
  if [ "${skipped:-missing}" != 0 ]; then
    echo "npm test: ${skipped:-an unknown number of} JS tests were skipped:" >&2
    grep -E '# SKIP' "$tap" >&2 || true
    return 1
  fi
}

fuzz_stage() {
  if [ -f tools/fuzz.sh ]; then
    bash tools/fuzz.sh
  else
    echo "tools/fuzz.sh not present: skipped"
  fi
}

stage setup bash tools/setup.sh
for s in "${STAGES[@]}"; do
  case "$s" in
    native|wasm|wasm-threads|native-asan) stage "$s" cmake_stage "$s" ;;
    js) stage js js_stage ;;
    fuzz) stage fuzz fuzz_stage ;;
    setup) ;;
    *) echo "npm test: unknown stage '$s' (stages: ${ALL_STAGES[*]})" >&2; exit 2 ;;
  esac
done
summary
echo "npm test: all stages passed"
