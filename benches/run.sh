#!/usr/bin/env bash
# Regenerates every figure in benches/RESULTS.md, in one command:
#
#   benches/run.sh
#
# Steps: machine info; criterion benches `signing` (W1..W5, sigv4 vs
# aws-sigv4 vs floor, and the two-thread case) and `stages`; the allocation
# table (`alloc_count`); time and page faults by batch size
# (`batch_faults`); both sides of the tuned thresholds (`thresholds`);
# the allocation budget test; and, if valgrind is
# installed, callgrind instruction counts per W1 signature. Raw outputs and
# a summary (summary.md, the tables of RESULTS.md) go to $OUT
# (default target/bench-results). Needs python3 for the summary.
#
# Environment: WARMUP / MEASURE (criterion seconds, default 1 / 3),
# N (callgrind signatures per run, default 1000), OUT.
#
# Timings on a shared machine are noisy: compare ratios within one run.
# Allocation and instruction counts are deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."

WARMUP=${WARMUP:-1}
MEASURE=${MEASURE:-3}
N=${N:-1000}
OUT=${OUT:-target/bench-results}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any)"
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket|Hypervisor vendor):'
    if grep -qw sha_ni /proc/cpuinfo; then echo "SHA-NI: yes"; else echo "SHA-NI: no"; fi
    rustc --version
} | tee "$OUT/machine.txt"

cargo bench --bench signing -- --warm-up-time "$WARMUP" --measurement-time "$MEASURE" |
    tee "$OUT/signing.txt"
cargo bench --bench stages -- --warm-up-time "$WARMUP" --measurement-time "$MEASURE" |
    tee "$OUT/stages.txt"
cargo bench --bench alloc_count | tee "$OUT/alloc_count.txt"
cargo bench --bench batch_faults | tee "$OUT/batch_faults.txt"
cargo bench --features tools --bench thresholds -- --warm-up-time "$WARMUP" --measurement-time "$MEASURE" |
    tee "$OUT/thresholds.txt"
cargo test --test alloc_budget 2>&1 | tee "$OUT/alloc_budget.txt" || true

: >"$OUT/callgrind.txt"
if command -v valgrind >/dev/null; then
    BIN=$(cargo bench --bench callgrind_w1 --no-run --message-format=json 2>/dev/null |
        grep -o '"executable":"[^"]*callgrind_w1[^"]*"' | tail -1 | cut -d'"' -f4)
    total() { grep -E '^(summary|totals):' "$1" | head -1 | awk '{print $2}'; }
    sha() {
        callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null |
            { grep 'compress256' || true; } | awk '{gsub(",", "", $1); s += $1} END {print s + 0}'
    }
    for w in W1 W4 W5; do
        for who in ours aws clone; do
            for n in 0 "$N"; do
                valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$w.$who.$n" \
                    "$BIN" "$who" "$n" "$w" 2>/dev/null
            done
            per=$((($(total "$OUT/cg.$w.$who.$N") - $(total "$OUT/cg.$w.$who.0")) / N))
            sha_per=$((($(sha "$OUT/cg.$w.$who.$N") - $(sha "$OUT/cg.$w.$who.0")) / N))
            echo "$w $who instructions_per_signature=$per sha256_compress=$sha_per" |
                tee -a "$OUT/callgrind.txt"
        done
    done
    # The issue's measure: instructions outside SHA-256 compression per
    # signature. Cloning and dropping the request (`clone`) is in both
    # signers' loops, so it is taken out of both.
    for w in W1 W4 W5; do
        awk -v w="$w" '
            $1 == w { split($3, t, "="); split($4, s, "="); out[$2] = t[2] - s[2] }
            END {
                o = out["ours"] - out["clone"]; a = out["aws"] - out["clone"]
                printf "%s outside_sha_less_clone sigv4=%d aws-sigv4=%d ratio=%.2f\n", w, o, a, a / o
            }' "$OUT/callgrind.txt" | tee -a "$OUT/callgrind.txt"
    done
    callgrind_annotate --inclusive=no "$OUT/cg.W1.ours.$N" 2>/dev/null | sed -n 1,60p \
        >"$OUT/callgrind_W1_ours_top.txt"
    callgrind_annotate --inclusive=no "$OUT/cg.W1.aws.$N" 2>/dev/null | sed -n 1,60p \
        >"$OUT/callgrind_W1_aws_top.txt"
fi

python3 - "$TARGET_DIR/criterion" "$OUT" <<'EOF'
import json, os, re, sys

crit, out = sys.argv[1], sys.argv[2]

def median(group, function):
    path = os.path.join(crit, group, function, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]

def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"

allocs = {}
with open(os.path.join(out, "alloc_count.txt")) as f:
    for line in f:
        m = re.match(r"\| (W\d) [^|]*\| ([^|]+) \| [^|]+ \| ([^|]+) \|", line)
        if m:
            allocs.setdefault(m.group(1), (m.group(2).strip(), m.group(3).strip()))

lines = ["| workload | sigv4 median | aws-sigv4 median | aws/sigv4 | floor | sigv4/floor | view | view/floor | allocs sigv4 | allocs aws-sigv4 |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
# What bounds the targets: `http_apply` is http's share of any signer's
# time; 6x aws-sigv4 is out of reach wherever it is below the floor.
bounds = ["", "| workload | http_apply | floor + http_apply | sigv4/(floor + http_apply) | 1.5x floor - floor | aws-sigv4/6 | aws-sigv4/floor |",
          "|---|---:|---:|---:|---:|---:|---:|"]
for w in ["W1", "W2", "W3", "W4", "W5"]:
    ours, theirs, floor, http, view = (median(w, f) for f in ("sigv4", "aws-sigv4", "floor", "http_apply", "view"))
    a = allocs.get(w, ("?", "?"))
    lines.append(f"| {w} | {fmt(ours)} | {fmt(theirs)} | {theirs / ours:.2f}x | {fmt(floor)} | "
                 f"{ours / floor:.1f}x | {fmt(view)} | {view / floor:.2f}x | {a[0]} | {a[1]} |")
    bounds.append(f"| {w} | {fmt(http)} | {fmt(floor + http)} | {ours / (floor + http):.2f}x | "
                  f"{fmt(0.5 * floor)} | {fmt(theirs / 6)} | {theirs / floor:.1f}x |")
lines += bounds
one, two = median("threads_W1", "1 thread"), median("threads_W1", "2 threads")
lines += ["", "| threads/W1 (time per 2 signatures) | median |", "|---|---:|",
          f"| 1 thread, 2N signatures | {fmt(one)} |", f"| 2 threads, N each | {fmt(two)} |",
          f"| throughput ratio (2 threads / 1 thread) | {one / two:.2f}x |"]
lines += ["", "| stage | W1 median | W5 median |", "|---|---:|---:|"]
for stage in ["payload_hash", "canonical_request_hash", "string_to_sign", "key_derive_cold",
              "key_cached", "signature", "cache_sign", "core_total", "signer_sign"]:
    lines.append(f"| {stage} | {fmt(median('stages_W1', stage))} | {fmt(median('stages_W5', stage))} |")
lines += ["", "Batch size and page faults (`batch_faults`; the criterion benches use 8):", ""]
with open(os.path.join(out, "batch_faults.txt")) as f:
    lines += [line.rstrip("\n") for line in f if line.startswith("|")]
text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(text)
print(text)
EOF
cat "$OUT/callgrind.txt"
echo "results in $OUT/"
