# bench/table.jq: the markdown table of bench/BENCHMARKS.md from the
# measurements of bench/run.sh, as one object {NAME: measurement} ($m).
# Each row: what, eard's figure, the baseline, the ratio, the target,
# met or missed, the command. A row whose run went wrong says how
# (loadgen's error kinds and non-2xx codes) after its figure.

# Microseconds, readable.
def t: if . == null then "n/a" elif . >= 10000 then "\(. / 1000 | round) ms"
    else "\(. | round) µs" end;
def r2: if . == null then "" else (. * 100 | round / 100 | tostring) end;
def r1: if . == null then "" else (. * 10 | round / 10 | tostring) end;
def fl: if . == null then "n/a" else (. | floor | tostring) end;
def met(c): if c then "met" else "**missed**" end;
def diag(f): (f // "") | if . == "" then "" else "; " + . end;
def row(a; b; c; d; e; f; g): "| \(a) | \(b) | \(c) | \(d) | \(e) | \(f) | `\(g)` |";
def rate: "\(.rps | fl) req/s, p50 \(.p50_us | t), p99 \(.p99_us | t)";

$m[0] as $m |
($m.machine // {}) as $mc |
"Machine: \($mc.machine). Data: \($mc.data).",
"Run: \($mc.date), \($mc.seconds_per_run) s per load run.",
"The files the commands name (eard.conf, chip.jsonl, ...) are made by",
"bench/run.sh in its temporary directory; `KEEP=1` keeps it.",
"",
"| measurement | eard | baseline | ratio | target | | reproduce |",
"| --- | --- | --- | --- | --- | --- | --- |",
($m.fsync // empty |
    row("disk: one fdatasync (8 kB)"; .fdatasync_us | t; ""; "";
	"(floor of a durable answer)"; ""; .cmd)),
(("", "_tcp") as $tr | ("chip", "weights") as $k | (16, 64) as $c |
    $m["checks_\($k)_\($c)\($tr)"] // empty |
    row("\($k) checks, \($c) conns, \(.transport)"; rate + diag(.diag);
	"floor \(.floor_rps | fl) req/s, p99 \(.floor_p99_us | t)"; .ratio | r2;
	if $c == 16 then "≥ 0.7 × floor, p99 < 2 ms" else "≥ 0.7 × floor" end;
	met(.ratio >= 0.7 and .errors == 0 and .non_2xx == 0 and
	    ($c != 16 or .p99_us < 2000)); .cmd)),
($m.checks_mix_16 // empty |
    row("mix chip 4 : weights 2 : screening 1, 16 conns, \(.transport)";
	rate + diag(.diag); "floor \(.floor_rps | fl) req/s"; .ratio | r2;
	"≥ 0.7 × floor"; met(.ratio >= 0.7 and .errors == 0 and .non_2xx == 0);
	.cmd)),
($m.sql_per_check // empty |
    row("SQL per check (pgbench), 16 conns"; "\(.eard_rps | fl) req/s";
	"\(.tps | fl) tps, avg \(.latency_avg_ms) ms; same verdict as eard on \(.agree) of \(.cases) requests";
	.ratio | r2; "≥ 5 × SQL"; met(.ratio >= 5); .cmd),
    (select(.logged_tps) |
	row("same, each check also logged (INSERT, COMMIT)"; "\(.eard_rps | fl) req/s";
	    "\(.logged_tps | fl) tps, avg \(.logged_latency_avg_ms) ms";
	    .logged_ratio | r2; "(diagnostic)"; ""; .logged_cmd))),
($m.durability // empty |
    row("durable log: answered checks vs logged, kill -9 at the end";
	"\(.answered) answered, \(.logged) logged" +
	(if (.spool_files_left // 0) > 0
	 then "; \(.spool_files_left) non-empty spool files" else "" end) +
	"; restart to ready \(.restart_ms) ms"; ""; "";
	"logged ≥ answered"; met(.logged >= .answered and .answered > 0); .cmd)),
($m.screen_1 // empty |
    row("screening, 1 conn, \(.parties) parties";
	"p50 \(.p50_us | t), p99 \(.p99_us | t), \(.rps | fl) req/s" + diag(.diag);
	"peer matcher 110 µs in-process"; .p50_us / 110 | r2; "p50 < 100 µs";
	met(.p50_us < 100 and .errors == 0); .cmd)),
($m.async // empty |
    row("same, audit_mode = async (no COMMIT wait)";
	"p50 \(.screen_p50_us | t), p99 \(.screen_p99_us | t)" + diag(.screen_diag);
	"peer matcher 110 µs in-process"; .screen_p50_us / 110 | r2;
	"p50 < 100 µs"; met(.screen_p50_us < 100); .cmd),
    row("chip checks, 16 conns, audit_mode = async";
	"\(.chip16_rps | fl) req/s, p50 \(.chip16_p50_us | t), p99 \(.chip16_p99_us | t)" + diag(.chip16_diag);
	"floor \($m.checks_chip_16.floor_rps | fl) req/s";
	(.chip16_rps / ($m.checks_chip_16.floor_rps // null)) | r2;
	"(diagnostic)"; ""; .cmd),
    row("weights checks, 16 conns, audit_mode = async";
	"\(.weights16_rps | fl) req/s, p50 \(.weights16_p50_us | t), p99 \(.weights16_p99_us | t)" + diag(.weights16_diag);
	"floor \($m.checks_weights_16.floor_rps | fl) req/s";
	(.weights16_rps / ($m.checks_weights_16.floor_rps // null)) | r2;
	"(diagnostic)"; ""; .cmd)),
($m.batch_10000 // empty |
    row("batch of 10,000 checks";
	if .status == 0 then "over \(.capped_ms) ms (curl gave up)"
	else "\(.ms) ms (HTTP \(.status), \(.results) results)" end; ""; "";
	"< 500 ms"; met(.ms < 500 and .status == 200); .cmd)),
($m.import_ccl // empty |
    row("CCL import (\(.bytes / 1048576 | r1) MiB XML)"; "\(.ms) ms";
	"xmllint --stream \(.xmllint_ms) ms"; .ratio | r1; "≤ 2 × xmllint";
	met(.ratio <= 2); .cmd)),
($m.import_csl // empty |
    row("CSL import (\(.parties) parties)"; "\(.ms) ms";
	"plain COPY \(.copy_ms) ms"; .ratio | r1; "< 2000 ms"; met(.ms < 2000);
	.cmd)),
($m.import_rules // empty |
    row("rules import (\(.packs) packs)"; "\(.ms) ms"; ""; ""; ""; ""; .cmd)),
($m.startup // empty |
    row("start-up to ready"; "\(.ms) ms"; ""; ""; "< 500 ms"; met(.ms < 500);
	.cmd)),
($m.rss // empty |
    row("resident memory, everything loaded";
	"\(.rss_kb / 1024 | floor) MiB (peak \(.hwm_kb / 1024 | floor) MiB)";
	""; ""; "< 64 MiB"; met(.rss_kb < 65536); .cmd)),
($m.rules_swap // empty |
    row("rules swap under load";
	"\(.swaps) swaps, \(.failed) failed, \(.rps | fl) req/s, p99 \(.p99_us | t)" + diag(.diag);
	""; ""; "0 failed"; met(.failed == 0 and .non_2xx == 0 and .rps > 0);
	.cmd)),
($m.growth_rules_1x as $b | (10, 100) as $k | $m["growth_rules_\($k)x"] // empty |
    row("chip checks with \($k)× rules (\(.rules) rules)";
	"\(.rps | fl) req/s, p50 \(.p50_us | t)" + diag(.diag);
	"1×: \($b.rps | fl) req/s, p50 \($b.p50_us | t)";
	.rps / ($b.rps + 0.001) | r2; "slope reported"; ""; .cmd)),
($m.growth_parties_10x // empty |
    if .capped then
	row("screening with 10× parties (\(.parties))";
	    "not measured: \(.capped)" +
	    (if .import_ms then "; import \(.import_ms) ms" else "" end);
	    "1×: p50 \(.base_p50_us | t)"; ""; "slope reported"; "**capped**"; .cmd)
    else
	row("screening with 10× parties (\(.parties))";
	    "p50 \(.p50_us | t), p99 \(.p99_us | t); import \(.import_ms) ms; start-up \(.startup_ms) ms; RSS \(.rss_kb / 1024 | floor) MiB" + diag(.diag);
	    "1×: p50 \(.base_p50_us | t)"; .slope | r2; "slope reported"; ""; .cmd)
    end)
