#!/usr/bin/env bash
# tests/fuzz/run.sh [RUNS] [HARNESS...] - build the libFuzzer harnesses with
# clang + ASan + UBSan and run each for RUNS executions (default 1,000,000)
# on a copy of its seed corpus, one after the other.
#
# The repository's seed corpus is never written to: libFuzzer adds every
# input that finds new coverage to the corpus directory it is given, so it
# gets a copy under $FST_FUZZ_DIR.  A crash, leak, UBSan report, timeout or
# OOM makes libFuzzer write crash-*/leak-*/timeout-*/oom-* there and exit
# non-zero, and this script exits non-zero with it.
#
# Environment:
#   FST_FUZZ_BUILD  meson build directory   (default /tmp/fst-fuzz-build)
#   FST_FUZZ_DIR    corpora, logs, crashes  (default /tmp/fst-fuzz)
#   FST_GRAMMAR_SO  tree-sitter-python's extension module (found with the
#                   python on PATH when unset; the extract harness needs it)
#   CC              must be clang (default clang): libFuzzer is clang's
set -euo pipefail

runs=${1:-1000000}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(extract frame cache)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FST_FUZZ_BUILD:-/tmp/fst-fuzz-build}
work=${FST_FUZZ_DIR:-/tmp/fst-fuzz}
python=${PYTHON:-python}

# Largest input per harness.  The extract harness parses its input with
# tree-sitter on every execution, so its cost grows with the input: at
# 4 KB libFuzzer's inputs drift to a few KB and it slows to ~200 exec/s; at
# 1 KB it runs ~1,000 exec/s here, and 1 KB is still larger than
# every seed file (all constructs the extractor handles fit in it).
# Frames and cache documents are cheap to parse: the default 4 KB.
declare -A max_len=([extract]=1024 [frame]=4096 [cache]=4096)

if [ -z "${FST_GRAMMAR_SO:-}" ]; then
  FST_GRAMMAR_SO=$("$python" -c 'import tree_sitter_python._binding as b; print(b.__file__)')
fi
export FST_GRAMMAR_SO

# debugoptimized (-O2 -g): about twice the executions per second of -O0,
# with usable stack traces.
if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} meson setup "$build" "$root" -Dunit_tests=true -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C "$build" >/dev/null

# UBSan only prints by default: make every report a crash libFuzzer saves.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
# ASan's default 256 MB quarantine of freed memory made the extract harness
# (many small tree-sitter allocations per run) slow down from ~1,600 to ~600
# exec/s within 30 s as the quarantine filled; 16 MB still catches
# use-after-free of anything freed during the same execution.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}

mkdir -p "$work"
status=0
for name in "${harnesses[@]}"; do
  corpus="$work/corpus-$name"
  rm -rf "$corpus"
  # -L: corpus/extract links to the extraction fixtures (one copy of each seed).
  cp -rL "$here/corpus/$name" "$corpus"
  log="$work/$name.log"
  echo "fuzz_$name: $runs runs, -max_len=${max_len[$name]}, corpus $corpus, log $log"
  start=$(date +%s)
  if "$build/tests/fuzz/fuzz_$name" -runs="$runs" -max_len="${max_len[$name]}" \
      -print_final_stats=1 -artifact_prefix="$work/$name-" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  end=$(date +%s)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  echo "fuzz_$name: $result, ${execs:-?} executions in $((end - start)) s; ${done_line:-no DONE line}"
  if [ "$result" = FAILED ]; then
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done
exit $status
