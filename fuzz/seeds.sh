#!/usr/bin/env bash
# Regenerates the seed corpora (fuzz/corpus/*/seed-*). See FUZZING.md.
#
# - seedgen (fuzz/seedgen) writes everything that needs the fixed cast's keys: command lines,
#   tokens, a fixed-cast journal, the fixed trust file, a minimal workflow. Deterministic.
# - The demo journal and its trust file come from `authority-lane demo --journal`, which
#   generates fresh keys on every run: these seeds change whenever this script runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
corpus="$root/fuzz/corpus"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Share the main crate's target directory: the dependencies are built once.
cargo run --release --quiet --target-dir "$root/target" \
    --manifest-path fuzz/seedgen/Cargo.toml -- "$corpus"

cargo run --release --quiet --bin authority-lane -- demo --journal "$tmp/demo.jsonl" >/dev/null
jr="$corpus/journal_replay"
cp "$tmp/demo.jsonl" "$jr/seed-demo.jsonl"
head -n 1 "$tmp/demo.jsonl" >"$jr/seed-demo-genesis-only.jsonl"
head -n 6 "$tmp/demo.jsonl" >"$jr/seed-demo-first-6.jsonl"
# A torn tail: the first 6 records and 100 bytes of the 7th.
{ head -n 6 "$tmp/demo.jsonl"; sed -n 7p "$tmp/demo.jsonl" | head -c 100; } >"$jr/seed-demo-torn-tail.jsonl"
cp "$tmp/demo.trust.json" "$corpus/documents_load/seed-trust-demo.json"

for dir in "$corpus"/*/; do
    for f in "$dir"seed-*; do
        size=$(wc -c <"$f")
        if ((size >= 65536)); then
            echo "seed $f is $size bytes (limit 64 KiB)" >&2
            exit 1
        fi
    done
done
ls -l "$corpus"/*/
