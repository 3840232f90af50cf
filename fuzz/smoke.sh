#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 60; the first argument
# overrides), one after the other, then prints a summary per target. Exits non-zero if any
# target found a crash, a failed property, a leak or a timeout. See FUZZING.md.
#
#   fuzz/smoke.sh [SECS]                   AddressSanitizer (cargo-fuzz's default)
#   SANITIZER=none fuzz/smoke.sh [SECS]    no sanitizer: about 6x the executions per second,
#                                          built in fuzz/target/nosan
#
# The checked-in seeds (fuzz/corpus/TARGET) and the kept crash inputs (fuzz/regressions/TARGET)
# are read, never written: new inputs go to fuzz/target/smoke[-none]/corpus/TARGET, logs to
# fuzz/target/smoke[-none]/TARGET.log, crash inputs to fuzz/artifacts/TARGET/.
set -euo pipefail

secs="${1:-60}"
sanitizer="${SANITIZER:-address}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# cargo-fuzz needs nightly flags (-Zsanitizer); this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"

build=(-s "$sanitizer")
out="fuzz/target/smoke"
if [[ $sanitizer != address ]]; then
    build+=(--target-dir "fuzz/target/nosan")
    out="fuzz/target/smoke-$sanitizer"
fi
cargo fuzz build "${build[@]}"
mkdir -p "$out"

failed=()
summary=()
for target in $(cargo fuzz list); do
    scratch="$out/corpus/$target"
    mkdir -p "$scratch"
    dirs=("$scratch" "fuzz/corpus/$target")
    if [[ -d "fuzz/regressions/$target" ]]; then
        dirs+=("fuzz/regressions/$target")
    fi
    log="$out/$target.log"
    echo "== $target: ${secs}s (log: $log)"
    status=ok
    if ! cargo fuzz run "${build[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$secs" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
        status=FAILED
        failed+=("$target")
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    summary+=("$(printf '%-16s %-6s runs=%-10s secs=%-5s exec/s=%-7s %s' \
        "$target" "$status" "${runs:-?}" "${elapsed:-?}" "${rate:-?}" "${done_line:-}")")
    if [[ $status != ok ]]; then
        grep -E 'panicked|SUMMARY|ERROR|Test unit written' "$log" | head -n 20 || true
    fi
done

echo
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
