#!/usr/bin/env bash
# bench/table.sh OUTDIR: the markdown table of bench/BENCHMARKS.md from the
# JSON files bench/run.sh wrote in OUTDIR (one per measurement, named by
# it); the rows, targets and verdicts are in bench/table.jq (one jq run).
set -eu
D=$1
jq -s 'map({(.name // "machine"): .}) | add' "$D"/*.json >"$D/.all.json.tmp"
jq -n -r --slurpfile m "$D/.all.json.tmp" -f "$(dirname "$0")/table.jq"
rm -f "$D/.all.json.tmp"
