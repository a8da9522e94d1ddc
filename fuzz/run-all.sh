#!/usr/bin/env bash
# Runs the fuzz targets coverage-guided, one at a time, on the stable
# toolchain (no cargo-fuzz, no nightly): libfuzzer-sys links libFuzzer, and
# the SanitizerCoverage pass is asked for through RUSTFLAGS, as cargo-fuzz
# does (minus AddressSanitizer, which needs nightly; the code under test
# forbids `unsafe`).
#
# Usage: fuzz/run-all.sh [target ...]      (default: every target)
#   FUZZ_SECONDS=600   time per target (libFuzzer -max_total_time)
#   FUZZ_NICE=19       niceness of the fuzzer processes
#   FUZZ_FRESH=1       start each working corpus from the seeds again (0: keep
#                      what earlier runs found)
#
# Everything it writes is under fuzz/artifacts/ (not committed):
#   bin/<target>           the instrumented binary that ran
#   corpus/<target>/       the working corpus (a copy of fuzz/corpus/<target>
#                          plus what libFuzzer found)
#   crashes/<target>/      crash-*, timeout-*, oom-* reproducers
#   logs/<target>.log      libFuzzer's output
#   summary.txt            one line per target: execs, exec/s, cov, ft,
#                          corpus size, crashes found by this run
# A crash input becomes a regression test by copying it into
# fuzz/corpus/<target>/ (tests/fuzz_corpus.rs runs every file there).
#
# Runs are serialized with a lock, so two invocations never fuzz at once.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-600}"
niceness="${FUZZ_NICE:-19}"
fresh="${FUZZ_FRESH:-1}"
all=(canonical sign_verify verify raw_request profile credentials_json sts chunked eventstream)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions=on -Coverflow-checks=on \
 --cfg fuzzing ${RUSTFLAGS:-}"

mkdir -p artifacts/bin artifacts/corpus artifacts/crashes artifacts/logs
# --target keeps RUSTFLAGS off build scripts and proc macros, and the
# instrumented build in its own directory under fuzz/target/.
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
nice -n "$niceness" cargo build --release --locked --target "$triple" "${bins[@]}"
for t in "${targets[@]}"; do
  # Run a copy, so a later build cannot replace a binary that is running.
  cp "target/$triple/release/$t" "artifacts/bin/$t"
done

exec 9>artifacts/run.lock
flock 9

for t in "${targets[@]}"; do
  corpus="artifacts/corpus/$t"
  crashes="artifacts/crashes/$t"
  log="artifacts/logs/$t.log"
  if [ "$fresh" = 1 ]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus" "$crashes"
  before="$(ls "$crashes" | wc -l)"
  cp -n "corpus/$t"/* "$corpus"/ 2>/dev/null || true
  dict=()
  if [ -f "dict/$t.dict" ]; then dict=("-dict=dict/$t.dict"); fi
  echo "== $t: ${seconds}s from $(ls "$corpus" | wc -l) seeds ($(date -u +%H:%M:%S))"
  set +e
  nice -n "$niceness" "artifacts/bin/$t" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" \
    >"$log" 2>&1
  status=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  last="$(grep -E '#[0-9]+.*cov: ' "$log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  found=$(( $(ls "$crashes" | wc -l) - before ))
  line="$t seconds=$seconds execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=$(ls "$corpus" | wc -l) crashes=$found exit=$status"
  echo "$line"
  echo "$(date -u +%FT%TZ) $line" >>artifacts/summary.txt
done
