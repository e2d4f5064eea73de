#!/usr/bin/env bash
# bench/table.sh OUTDIR: the markdown table of bench/BENCHMARKS.md from the
# JSON files bench/run.sh wrote (one per measurement), each row with its
# baseline, its target and whether it was met. A row whose run went wrong
# says how (loadgen's error kinds and non-2xx codes) after its figure.
set -eu
D=$1
# j NAME FILTER: a figure of bench/out/NAME.json; `t` formats microseconds.
j() {
	jq -r 'def t: if . == null then "n/a" elif . >= 10000 then
	    "\(. / 1000 | round) ms" else "\(. | round) µs" end; '"$2" \
	    "$D/$1.json" 2>/dev/null || echo "n/a"
}
# row WHAT FIGURE BASELINE RATIO TARGET MET CMD
row() { printf '| %s | %s | %s | %s | %s | %s | `%s` |\n' "$@"; }
met() { if [ "$1" = true ]; then echo "met"; else echo "**missed**"; fi; }
# diag NAME [FIELD]: "; what went wrong" when something did.
diag() { j "$1" "(.${2:-diag} // \"\") | if . == \"\" then \"\" else \"; \" + . end"; }
us() { j "$1" "$2 | t"; }

echo "Machine: $(j machine .machine). Data: $(j machine .data)."
echo "Run: $(j machine .date), $(j machine .seconds_per_run) s per load run."
echo "The files the commands name (eard.conf, chip.jsonl, ...) are made by"
echo "bench/run.sh in its temporary directory; \`KEEP=1\` keeps it."
echo
echo '| measurement | eard | baseline | ratio | target | | reproduce |'
echo '| --- | --- | --- | --- | --- | --- | --- |'
if [ -f "$D/fsync.json" ]; then
	row "disk: one fdatasync (8 kB)" "$(j fsync '"\(.fdatasync_us | t)"')" "" "" \
	    "(floor of a durable answer)" "" "$(j fsync .cmd)"
fi
for t in "" _tcp; do
	for k in chip weights; do
		for c in 16 64; do
			f=checks_${k}_$c$t
			[ -f "$D/$f.json" ] || continue
			if [ "$c" = 16 ]; then
				ok=$(j "$f" '.ratio >= 0.7 and .p99_us < 2000 and .errors == 0 and .non_2xx == 0')
				tgt="≥ 0.7 × floor, p99 < 2 ms"
			else
				ok=$(j "$f" '.ratio >= 0.7 and .errors == 0 and .non_2xx == 0')
				tgt="≥ 0.7 × floor"
			fi
			row "$k checks, $c conns, $(j "$f" .transport)" \
			    "$(j "$f" '"\(.rps | floor) req/s, p50 \(.p50_us | t), p99 \(.p99_us | t)"')$(diag "$f")" \
			    "floor $(j "$f" '"\(.floor_rps | floor) req/s, p99 \(.floor_p99_us | t)"')" \
			    "$(j "$f" '.ratio * 100 | round / 100')" "$tgt" "$(met "$ok")" \
			    "$(j "$f" .cmd)"
		done
	done
done
if [ -f "$D/checks_mix_16.json" ]; then
	row "mix chip 4 : weights 2 : screening 1, 16 conns, unix" \
	    "$(j checks_mix_16 '"\(.rps | floor) req/s, p50 \(.p50_us | t), p99 \(.p99_us | t)"')$(diag checks_mix_16)" \
	    "floor $(j checks_mix_16 '"\(.floor_rps | floor) req/s"')" \
	    "$(j checks_mix_16 '.ratio * 100 | round / 100')" "≥ 0.7 × floor" \
	    "$(met "$(j checks_mix_16 '.ratio >= 0.7 and .errors == 0 and .non_2xx == 0')")" \
	    "$(j checks_mix_16 .cmd)"
fi
row "SQL per check (pgbench), 16 conns" \
    "$(j sql_per_check '"\(.eard_rps | floor) req/s"')" \
    "$(j sql_per_check '"\(.tps | floor) tps, avg \(.latency_avg_ms) ms; same verdict as eard on \(.agree) of \(.cases) requests"')" \
    "$(j sql_per_check '.ratio * 100 | round / 100')" "≥ 5 × SQL" \
    "$(met "$(j sql_per_check '.ratio >= 5')")" "$(j sql_per_check .cmd)"
if [ -f "$D/durability.json" ]; then
	row "durable log: answered checks vs logged, kill -9 at the end" \
	    "$(j durability '"\(.answered) answered, \(.logged) logged\(if (.spool_files_left // 0) > 0 then "; \(.spool_files_left) spool files not replayed" else "" end); restart to ready \(.restart_ms) ms"')" "" "" \
	    "logged ≥ answered" "$(met "$(j durability '.logged >= .answered and .answered > 0')")" \
	    "$(j durability .cmd)"
fi
row "screening, 1 conn, $(j screen_1 .parties) parties" \
    "$(j screen_1 '"p50 \(.p50_us | t), p99 \(.p99_us | t), \(.rps | floor) req/s"')$(diag screen_1)" \
    "peer matcher 110 µs in-process" "$(j screen_1 '.p50_us / 110 * 100 | round / 100')" \
    "p50 < 100 µs" "$(met "$(j screen_1 '.p50_us < 100 and .errors == 0')")" \
    "$(j screen_1 .cmd)"
row "same, audit_mode = async (no COMMIT wait)" \
    "$(j async '"p50 \(.screen_p50_us | t), p99 \(.screen_p99_us | t)"')$(diag async screen_diag)" \
    "peer matcher 110 µs in-process" "$(j async '.screen_p50_us / 110 * 100 | round / 100')" \
    "p50 < 100 µs" "$(met "$(j async '.screen_p50_us < 100')")" "$(j async .cmd)"
row "chip checks, 16 conns, audit_mode = async" \
    "$(j async '"\(.chip16_rps | floor) req/s, p50 \(.chip16_p50_us | t), p99 \(.chip16_p99_us | t)"')$(diag async chip16_diag)" \
    "floor $(j checks_chip_16 '.floor_rps | floor') req/s" \
    "$(jq -n "$(j async .chip16_rps) / $(j checks_chip_16 .floor_rps) * 100 | round / 100" 2>/dev/null)" \
    "(diagnostic)" "" "$(j async .cmd)"
row "weights checks, 16 conns, audit_mode = async" \
    "$(j async '"\(.weights16_rps | floor) req/s, p50 \(.weights16_p50_us | t), p99 \(.weights16_p99_us | t)"')$(diag async weights16_diag)" \
    "floor $(j checks_weights_16 '.floor_rps | floor') req/s" \
    "$(jq -n "$(j async .weights16_rps) / $(j checks_weights_16 .floor_rps) * 100 | round / 100" 2>/dev/null)" \
    "(diagnostic)" "" "$(j async .cmd)"
row "batch of 10,000 checks" \
    "$(j batch_10000 'if .status == 0 then "over \(.capped_ms) ms (curl gave up)" else "\(.ms) ms (HTTP \(.status), \(.results) results)" end')" \
    "" "" "< 500 ms" "$(met "$(j batch_10000 '.ms < 500 and .status == 200')")" \
    "$(j batch_10000 .cmd)"
row "CCL import ($(j import_ccl '.bytes / 104857.6 | round / 10') MiB XML)" \
    "$(j import_ccl '"\(.ms) ms"')" "xmllint --stream $(j import_ccl .xmllint_ms) ms" \
    "$(j import_ccl '.ratio * 10 | round / 10')" "≤ 2 × xmllint" \
    "$(met "$(j import_ccl '.ratio <= 2')")" "$(j import_ccl .cmd)"
row "CSL import ($(j import_csl .parties) parties)" \
    "$(j import_csl '"\(.ms) ms"')" "plain COPY $(j import_csl .copy_ms) ms" \
    "$(j import_csl '.ratio * 10 | round / 10')" "< 2000 ms" \
    "$(met "$(j import_csl '.ms < 2000')")" "$(j import_csl .cmd)"
row "rules import ($(j import_rules .packs) packs)" "$(j import_rules '"\(.ms) ms"')" \
    "" "" "" "" "$(j import_rules .cmd)"
row "start-up to ready" "$(j startup '"\(.ms) ms"')" "" "" "< 500 ms" \
    "$(met "$(j startup '.ms < 500')")" "$(j startup .cmd)"
row "resident memory, everything loaded" \
    "$(j rss '"\(.rss_kb / 1024 | floor) MiB (peak \(.hwm_kb / 1024 | floor) MiB)"')" \
    "" "" "< 64 MiB" "$(met "$(j rss '.rss_kb < 65536')")" "$(j rss .cmd)"
row "rules swap under load" \
    "$(j rules_swap '"\(.swaps) swaps, \(.failed) failed, \(.rps | floor) req/s, p99 \(.p99_us | t)"')$(diag rules_swap)" \
    "" "" "0 failed" "$(met "$(j rules_swap '.failed == 0 and .non_2xx == 0 and .rps > 0')")" \
    "$(j rules_swap .cmd)"
b=$(j growth_rules_1x .rps)
for k in 10 100; do
	f=growth_rules_${k}x
	[ -f "$D/$f.json" ] || continue
	row "chip checks with ${k}× rules ($(j "$f" .rules) rules)" \
	    "$(j "$f" '"\(.rps | floor) req/s, p50 \(.p50_us | t)"')$(diag "$f")" \
	    "1×: $(printf '%.0f' "$b") req/s, p50 $(us growth_rules_1x .p50_us)" \
	    "$(jq -n "$(j "$f" .rps) / ($b + 0.001) * 100 | round / 100")" "slope reported" "" \
	    "$(j "$f" .cmd)"
done
if [ "$(j growth_parties_10x '.capped // ""')" != "" ]; then
	row "screening with 10× parties ($(j growth_parties_10x .parties))" \
	    "$(j growth_parties_10x '"not measured: \(.capped)\(if .import_ms then "; import \(.import_ms) ms" else "" end)"')" \
	    "1×: p50 $(us growth_parties_10x .base_p50_us)" "" "slope reported" "**capped**" \
	    "$(j growth_parties_10x .cmd)"
else
	row "screening with 10× parties ($(j growth_parties_10x .parties))" \
	    "$(j growth_parties_10x '"p50 \(.p50_us | t), p99 \(.p99_us | t); import \(.import_ms) ms; start-up \(.startup_ms) ms; RSS \(.rss_kb / 1024 | floor) MiB"')$(diag growth_parties_10x)" \
	    "1×: p50 $(us growth_parties_10x .base_p50_us)" \
	    "$(j growth_parties_10x '.slope * 100 | round / 100')" "slope reported" "" \
	    "$(j growth_parties_10x .cmd)"
fi
