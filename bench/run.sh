#!/usr/bin/env bash
# bench/run.sh: every figure of bench/BENCHMARKS.md in one run (`make bench`).
#
# Starts a throwaway PostgreSQL cluster (fsync on: the decision log is
# measured in its durable default mode), migrates, imports the rulepacks and
# the real CSL, CCL and Epoch data when ../shared/data is there (else the
# fixtures), starts eard and measures, against baselines taken in the same
# run so that each figure is a ratio that holds on a noisy machine:
#
#   floor vs eard      chip and weights checks at 16 and 64 connections,
#                      over the Unix socket and over TCP (bench/floor.c:
#                      bare evhttp, same socket type), and a weighted mix
#   SQL per check      pgbench running bench/sql/check.sql's query over the
#                      same chip requests (and how often it agrees with eard)
#   disk               pg_test_fsync: one fdatasync, the floor of a durable
#                      decision
#   durability         answered checks vs decision rows after a kill -9
#   screening          /v1/screen at 1 connection against the loaded lists,
#                      durable and async
#   batch              10,000 checks in one request
#   imports            CCL vs `xmllint --stream --noout`; CSL vs a plain COPY
#   start-up, RSS      to /readyz 200 with everything loaded; VmRSS/VmHWM
#   rules swap         NOTIFY rules_changed and SIGHUP under load: no failure
#   growth             10x and 100x synthetic rules, 10x synthetic parties
#
# Writes bench/out/*.json (one object per measurement; each loadgen line in
# bench/out/raw/) and regenerates the table between the markers in
# bench/BENCHMARKS.md. Every wait is capped (CAP seconds, default 60, for
# the 10x-parties import and start-up), so a slow part is reported as
# capped, not waited for; nothing is left running on failure.
#
#	BUILD=build-bench bench/run.sh   (DUR=seconds per load run, default 3)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DUR=${DUR:-3}
CAP=${CAP:-60}
PUB=$ROOT/bench/out	# published at the end; the run writes $T/out
EARD=$ROOT/$BUILD/eard
EARCTL=$ROOT/$BUILD/earctl
LOADGEN=$ROOT/$BUILD/bench/loadgen
FLOOR=$ROOT/$BUILD/bench/floor
SHARED=${SHARED:-$ROOT/../shared/data}	# SHARED=/nonexistent: the fixtures
FIX=$ROOT/tests/fixtures
. "$ROOT/scripts/pglib.sh"

for b in "$EARD" "$EARCTL" "$LOADGEN" "$FLOOR"; do
	[ -x "$b" ] || { echo "bench: $b missing (make BUILD=$BUILD bench)" >&2; exit 1; }
done
for t in jq curl pgbench xmllint timeout sha256sum; do
	command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }
done

T=$(mktemp -d /tmp/eard-bench.XXXXXX)
chmod 0755 "$T"
EARD_PID=
FLOOR_PID=
FLOOR_TCP_PID=
LOAD_PID=
cleanup() {
	local p
	for p in "$LOAD_PID" "$FLOOR_PID" "$FLOOR_TCP_PID"; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
	done
	[ -n "$EARD_PID" ] && kill -KILL "$EARD_PID" 2>/dev/null
	wait 2>/dev/null
	pg_cluster_stop "$T" immediate 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# Measurements go to $T/out and are published into bench/out only when
# the run is complete, so two runs at once (other engineers' builds) never
# mix their figures.
OUT=$T/out
mkdir -p "$OUT/raw" "$PUB/raw"

say() { printf 'bench: [%3ds] %s\n' "$SECONDS" "$*" >&2; }
now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }

# emit NAME JSON: one measurement, bench/out/NAME.json.
emit() {
	printf '%s\n' "$2" | jq -c --arg n "$1" '{name: $n} + .' >"$OUT/$1.json"
	say "$1: $(cat "$OUT/$1.json")"
}

# timed CMD...: wall-clock milliseconds of the command in $ms; its output
# goes to $T/timed.log; a failure stops the run.
timed() {
	local t0
	t0=$(now_ns)
	"$@" >"$T/timed.log" 2>&1 || { cat "$T/timed.log" >&2; echo "bench: failed: $*" >&2; exit 1; }
	ms=$(ms_since "$t0")
}

# ----------------------------------------------------------------- cluster
say "cluster in $T (fsync on)"
pg_cluster_init "$T" || exit 1
pg_cluster_start "$T" || exit 1
pg_cluster_createdb "$T" eard || exit 1
export EARD_ADMIN_DATABASE_URL="host=$T/run dbname=eard user=postgres"
export EARD_DATABASE_URL="host=$T/run dbname=eard user=eard"
IMP="host=$T/run dbname=eard user=eard_admin"
PSQL=("$(pg_bindir)/psql" -h "$T/run" -U postgres -d eard -v ON_ERROR_STOP=1 -Atq)
"$EARCTL" db migrate --schema-dir "$ROOT/schema" >"$T/migrate.log" 2>&1 ||
    { cat "$T/migrate.log" >&2; exit 1; }

if [ -d "$SHARED" ]; then
	DATA=real
	CSL=$SHARED/regs/csl/consolidated.json
	CCL=$SHARED/regs/ecfr/ecfr_t15_p774_supp1_CCL.xml
	CCL_DATE=2026-06-01	# data/README.md: "about June 2026"
	HW=$SHARED/epoch/ml_hardware.csv
	MODELS=$SHARED/epoch/notable_ai_models.csv
else
	DATA=fixtures
	CSL=$FIX/csl-sample.json
	CCL=$FIX/ecfr/part744_entity_list.xml
	CCL_DATE=
	HW=$FIX/registry/ml_hardware.csv
	MODELS=$FIX/registry/notable_ai_models.csv
fi
say "data: $DATA"

# -------------------------------------------------------------------- disk
# One 8 kB write and fdatasync (Linux's default wal_sync_method) on the
# disk the cluster is on: a durable decision can never be answered sooner.
# Only its first section is read: stop it there (saves 12 s).
"$(pg_bindir)/pg_test_fsync" -s 1 -f "$T/fsync.test" >"$T/fsync.log" 2>&1 &
LOAD_PID=$!
for _ in $(seq 1 300); do
	grep -q 'two 8kB writes' "$T/fsync.log" 2>/dev/null && break
	kill -0 "$LOAD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -TERM "$LOAD_PID" 2>/dev/null
wait "$LOAD_PID" 2>/dev/null
LOAD_PID=
rm -f "$T/fsync.test"
fsync_us=$(awk '/one 8kB write/ { s = 1 } s && $1 == "fdatasync" { print $(NF - 1); exit }' "$T/fsync.log")
emit fsync "{\"fdatasync_us\": ${fsync_us:-null},
    \"cmd\": \"pg_test_fsync -s 1 (fdatasync, one 8kB write)\"}"

# ----------------------------------------------------------------- imports
timed "$EARCTL" --database "$IMP" import rules "$ROOT"/rules/[0-9]*.xml
emit import_rules "{\"ms\": $ms, \"packs\": $(ls "$ROOT"/rules/[0-9]*.xml | wc -l),
    \"cmd\": \"earctl import rules rules/[0-9]*.xml\"}"

timed xmllint --stream --noout "$CCL"
base=$ms
timed "$EARCTL" --database "$IMP" import ecfr ${CCL_DATE:+--date "$CCL_DATE"} "$CCL"
emit import_ccl "{\"ms\": $ms, \"xmllint_ms\": $base, \"ratio\": $(jq -n "$ms / ($base + 0.001)"),
    \"bytes\": $(stat -c %s "$CCL"), \"data\": \"$DATA\",
    \"cmd\": \"earctl import ecfr $(basename "$CCL")\",
    \"baseline_cmd\": \"xmllint --stream --noout $(basename "$CCL")\"}"

timed "$EARCTL" --database "$IMP" import csl "$CSL"
csl_ms=$ms
nparties=$("${PSQL[@]}" -c "SELECT count(*) FROM parties")
# The baseline: the same rows, as a plain COPY of PostgreSQL's own text
# into the same table (same indexes and foreign key), committed, then
# deleted again.
cols="list_version, entry_id, content_hash, list, source, name, alt_names, countries, addresses, type, license_requirement, license_policy, federal_register_notice, entity_number, programs, raw"
"${PSQL[@]}" -c "\\copy (SELECT 999999, ${cols#list_version, } FROM parties) TO '$T/parties.copy'"
cat >"$T/copy.sql" <<SQL
BEGIN;
INSERT INTO list_versions (id, kind, source_file, sha256)
    VALUES (999999, 'bench', 'parties.copy', 'bench');
\\copy parties ($cols) FROM '$T/parties.copy'
COMMIT;
SQL
timed "${PSQL[@]}" -f "$T/copy.sql"
base=$ms
"${PSQL[@]}" -c "DELETE FROM list_versions WHERE id = 999999"
emit import_csl "{\"ms\": $csl_ms, \"copy_ms\": $base, \"ratio\": $(jq -n "$csl_ms / ($base + 0.001)"),
    \"parties\": $nparties, \"data\": \"$DATA\",
    \"cmd\": \"earctl import csl $(basename "$CSL")\",
    \"baseline_cmd\": \"psql: BEGIN; \\\\copy parties FROM parties.copy; COMMIT\"}"

"$EARCTL" --database "$IMP" import chips "$HW" >"$T/chips.log" 2>&1 ||
    say "chips import failed (see $T/chips.log)"
"$EARCTL" --database "$IMP" import models "$MODELS" >"$T/models.log" 2>&1 ||
    say "models import failed (see $T/models.log)"

# ------------------------------------------------------------ request mixes
# From the expert cases: every chip and weights request in them.
jq -c 'select(.endpoint == "/v1/checks/chip") |
    {method: "POST", path: .endpoint, body: .request, case: .id}' "$FIX/cases.jsonl" >"$T/chip.jsonl"
jq -c 'select(.endpoint == "/v1/checks/weights") |
    {method: "POST", path: .endpoint, body: .request}' "$FIX/cases.jsonl" >"$T/weights.jsonl"
# Screening: every 97th listed name (hits) and as many made-up ones (misses).
jq -c '.results | to_entries[] | select(.key % 97 == 0) | .value |
    {method: "POST", path: "/v1/screen",
     body: {name: .name, country: (.addresses[0].country // "CN")}},
    {method: "POST", path: "/v1/screen",
     body: {name: ("Orchard Valley Trading " + (.name | length | tostring)),
            country: "DE"}}' "$CSL" >"$T/screen.jsonl"
# A 10,000-check batch from the chip and weights cases.
jq -s -c '[.[] | select(.endpoint == "/v1/checks/chip" or
    .endpoint == "/v1/checks/weights") | .request + {kind:
    (if .endpoint == "/v1/checks/chip" then "chip" else "weights" end)}] as $c |
    {checks: [range(0; 10000) | $c[. % ($c | length)]]}' \
    "$FIX/cases.jsonl" >"$T/batch.json"
say "mixes: $(wc -l <"$T/chip.jsonl") chip, $(wc -l <"$T/weights.jsonl") weights, $(wc -l <"$T/screen.jsonl") screening requests"

# ------------------------------------------------------------------ eard
# The Unix socket, and a TCP listener on loopback (plain, tests-only
# tcp_insecure: TLS would measure OpenSSL, not eard) with a bearer token.
SOCK=$T/eard.sock
# Two free loopback ports, one for eard and the next for the floor.
for _ in $(seq 1 50); do
	PORT=$((20000 + RANDOM % 20000))
	FPORT=$((PORT + 1))
	ss -Htln 2>/dev/null | grep -qE ":($PORT|$FPORT)\b" || break
done
TOKEN=bench-$RANDOM$RANDOM
AUTH="Authorization: Bearer $TOKEN"
mkdir -p "$T/spool"
cat >"$T/eard.conf" <<CONF
spool_dir = $T/spool
audit_mode = durable
max_body_size = 32MiB
max_connections = 4096
log_level = warning
listen_tcp = 127.0.0.1:$PORT
tcp_insecure = yes
tcp_tokens = bench:$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
CONF

eard_start() {
	"$EARD" -f -c "$T/eard.conf" --socket "$SOCK" \
	    --database-url "$EARD_DATABASE_URL" >>"$T/eard.log" 2>&1 &
	EARD_PID=$!
}
eard_stop() {
	[ -n "$EARD_PID" ] || return 0
	kill -TERM "$EARD_PID" 2>/dev/null
	wait "$EARD_PID" 2>/dev/null
	EARD_PID=
}
# ready [SECONDS]: until /readyz answers 200 (at most SECONDS, default
# CAP); returns 1 when it did not.
ready() {
	local i
	for i in $(seq 1 $((${1:-$CAP} * 100))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
		    http://eard/readyz 2>/dev/null)" = 200 ] && return 0
		kill -0 "$EARD_PID" 2>/dev/null || break
		sleep 0.01
	done
	tail -n 20 "$T/eard.log" >&2
	say "eard did not become ready"
	return 1
}

eard_start
ready || exit 1
# A second start, with the cluster warm: start-up to ready.
eard_stop
t0=$(now_ns)
eard_start
ready || exit 1
ms=$(ms_since "$t0")
emit startup "{\"ms\": $ms, \"parties\": $nparties, \"data\": \"$DATA\",
    \"cmd\": \"eard -f -c eard.conf; poll GET /readyz until 200\"}"

# load NAME unix|tcp|ftcp|SOCKET CONNS MIX...: one loadgen run (MIX is
# FILE[:WEIGHT]); prints its JSON line, also kept in bench/out/raw/.
load() {
	local name=$1 where=$2 conns=$3 to mix=()
	shift 3
	case $where in
	unix) to=(-u "$SOCK") ;;
	tcp) to=(-t "127.0.0.1:$PORT" -H "$AUTH") ;;
	ftcp) to=(-t "127.0.0.1:$FPORT") ;;
	*) to=(-u "$where") ;;
	esac
	for m in "$@"; do mix+=(-r "$m"); done
	"$LOADGEN" "${to[@]}" -c "$conns" -d "$DUR" "${mix[@]}" -n "$name" \
	    >"$OUT/raw/$name.json" 2>>"$T/loadgen.log" ||
	    say "$name: loadgen reported errors: $(jq -c '{errors_by_kind, non_2xx_codes, status}' "$OUT/raw/$name.json" 2>/dev/null)"
	[ -s "$OUT/raw/$name.json" ] || echo '{"rps": 0, "ok_rps": 0, "errors": 1}' >"$OUT/raw/$name.json"
	cat "$OUT/raw/$name.json"
}
# What went wrong in a run, for the table: the error kinds and the
# non-2xx codes, nothing when nothing did.
DIAG='([.errors_by_kind // {} | to_entries[] | "\(.key) \(.value)"] +
    [.non_2xx_codes // {} | to_entries[] | "HTTP \(.key) \(.value)"] +
    (if (.closes_announced // 0) > 0 then ["\(.closes_announced) answers with Connection: close, reconnected"] else [] end) +
    (if (.in_flight_over_1s // 0) > 0 then ["\(.in_flight_over_1s) unanswered after 1 s at the end"] else [] end))
    | join(", ")'

# Warm up, then take the verdict-sized body the floor answers with.
load warmup unix 4 "$T/chip.jsonl" >/dev/null
curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    --data-binary "$(head -n 1 "$T/chip.jsonl" | jq -c .body)" \
    http://eard/v1/checks/chip >"$T/verdict.json"

FSOCK=$T/floor.sock
"$FLOOR" "$FSOCK" "$T/verdict.json" &
FLOOR_PID=$!
"$FLOOR" "127.0.0.1:$FPORT" "$T/verdict.json" &
FLOOR_TCP_PID=$!
for _ in $(seq 1 100); do [ -S "$FSOCK" ] && break; sleep 0.01; done
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$FPORT/" && break; sleep 0.01; done

# checks NAME FLOORTO EARDTO CONNS MIX...: eard next to the floor.
checks() {
	local name=$1 fto=$2 eto=$3 c=$4 f e
	shift 4
	f=$(load "floor_$name" "$fto" "$c" "$@")
	e=$(load "eard_$name" "$eto" "$c" "$@")
	emit "$name" "$(jq -n --argjson f "$f" --argjson e "$e" \
	    --arg cmd "loadgen -$([ "$eto" = tcp ] && echo "t 127.0.0.1:PORT -H 'Authorization: Bearer ...'" || echo "u eard.sock") -c $c -d $DUR$(printf ' -r %s' "${@##*/}")" \
	    "{transport: \$e.transport, connections: \$e.connections,
	      rps: \$e.ok_rps, floor_rps: \$f.ok_rps,
	      ratio: (\$e.ok_rps / (\$f.ok_rps + 0.001)),
	      p50_us: \$e.p50_us, p99_us: \$e.p99_us, max_us: \$e.max_us,
	      floor_p99_us: \$f.p99_us, errors: (\$e.errors + \$e.status_5xx),
	      non_2xx: (\$e.status_4xx + \$e.status_5xx), diag: (\$e | $DIAG),
	      mix: \$e.mix, cmd: \$cmd,
	      baseline_cmd: \"floor SOCKET|HOST:PORT verdict.json; the same loadgen\"}")"
}
for kind in chip weights; do
	for c in 16 64; do
		checks "checks_${kind}_$c" "$FSOCK" unix "$c" "$T/$kind.jsonl"
	done
done
for kind in chip weights; do
	for c in 16 64; do
		checks "checks_${kind}_${c}_tcp" ftcp tcp "$c" "$T/$kind.jsonl"
	done
done
# The mix a release pipeline sends: chip and weights checks, screening.
checks checks_mix_16 "$FSOCK" unix 16 "$T/chip.jsonl:4" "$T/weights.jsonl:2" \
    "$T/screen.jsonl:1"
kill -TERM "$FLOOR_PID" "$FLOOR_TCP_PID" 2>/dev/null
wait "$FLOOR_PID" "$FLOOR_TCP_PID" 2>/dev/null
FLOOR_PID=
FLOOR_TCP_PID=

# ------------------------------------------------------------- durability
# In durable mode an answered check is a committed decision (or one in
# the fsynced spool, replayed on start): answer checks for DUR seconds,
# kill -9 eard at once, start it again, and count the rows.
dcount() { "${PSQL[@]}" -c "SELECT count(*) FROM decisions"; }
# settle: until the spool holds nothing and the count of decisions has not
# moved for a second (at most 15 s: a spool that cannot be replayed is
# reported, not waited for); the count in $dc, spool files in $sf.
settle() {
	local prev=-1
	for _ in $(seq 1 15); do
		dc=$(dcount)
		# eard keeps an empty spool file: count the non-empty ones.
		sf=$(find "$T/spool" -type f -size +0 2>/dev/null | wc -l)
		[ "$dc" = "$prev" ] && [ "$sf" = 0 ] && return 0
		prev=$dc
		sleep 1
	done
}
settle
d0=$dc
e=$(load durable_chip_16 unix 16 "$T/chip.jsonl")
kill -KILL "$EARD_PID" 2>/dev/null
wait "$EARD_PID" 2>/dev/null
EARD_PID=
t0=$(now_ns)
eard_start
ready || exit 1
restart_ms=$(ms_since "$t0")
settle
d1=$dc
emit durability "$(jq -n --argjson e "$e" --argjson n "$((d1 - d0))" \
    --argjson sf "$sf" --argjson rs "$restart_ms" \
    '{answered: $e.status_2xx, logged: $n, rps: $e.ok_rps,
      spool_files_left: $sf, restart_ms: $rs,
      cmd: "loadgen -c 16 -r chip.jsonl; kill -9 eard; start eard; count decisions"}')"

# ------------------------------------------------------- SQL per check
"${PSQL[@]}" -f "$ROOT/bench/sql/check.sql" >/dev/null
# The same chip requests eard was sent, numbered.
jq -r -s 'to_entries[] | "INSERT INTO bench_cases VALUES (\(.key + 1), " +
    "$bench$\(.value.body | tojson)$bench$, $bench$\(.value.case)$bench$);"' \
    "$T/chip.jsonl" >"$T/cases.sql"
"${PSQL[@]}" -c "TRUNCATE bench_cases" -f "$T/cases.sql"
ncases=$(wc -l <"$T/chip.jsonl")
cat >"$T/pgbench.sql" <<SQL
\\set i random(1, $ncases)
SELECT c.* FROM bench_cases b, bench_chip_check(b.req) c WHERE b.id = :i;
SQL
"$(pg_bindir)/pgbench" -h "$T/run" -U postgres -n -c 16 -j 2 -T "$DUR" \
    -f "$T/pgbench.sql" eard >"$T/pgbench.log" 2>&1 || { cat "$T/pgbench.log" >&2; exit 1; }
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$T/pgbench.log" | head -n 1)
lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$T/pgbench.log")
cat >"$T/pgbench_logged.sql" <<SQL
\\set i random(1, $ncases)
INSERT INTO bench_log (req, result) SELECT b.req,
    (SELECT json_agg(c) FROM bench_chip_check(b.req) c)
    FROM bench_cases b WHERE b.id = :i;
SQL
"$(pg_bindir)/pgbench" -h "$T/run" -U postgres -n -c 16 -j 2 -T "$DUR" \
    -f "$T/pgbench_logged.sql" eard >"$T/pgbench_logged.log" 2>&1 ||
    { cat "$T/pgbench_logged.log" >&2; exit 1; }
ltps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$T/pgbench_logged.log" | head -n 1)
llat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$T/pgbench_logged.log")
e16=$(jq .rps "$OUT/checks_chip_16.json")
# Does the baseline reach eard's answer? eard's verdict on every case
# (its licence_exception is a licence requirement the SQL cannot except).
: >"$T/eard_verdicts.tsv"
i=0
while IFS= read -r body; do
	i=$((i + 1))
	v=$(curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	    --data-binary "$body" http://eard/v1/checks/chip | jq -r '.verdict // "error"')
	[ "$v" = license_exception ] && v=license_required
	printf '%s\t%s\n' "$i" "$v" >>"$T/eard_verdicts.tsv"
done < <(jq -c .body "$T/chip.jsonl")
"${PSQL[@]}" -c "CREATE TEMP TABLE ev (id int, verdict text)" \
    -c "\\copy ev FROM '$T/eard_verdicts.tsv'" \
    -c "SELECT count(*), count(*) FILTER (WHERE bench_chip_verdict(b.req) = ev.verdict)
	FROM bench_cases b JOIN ev USING (id)" >"$T/agree.txt"
IFS='|' read -r ncmp nagree <"$T/agree.txt"
# The requests they differ on: the case, eard's verdict, the baseline's.
disagree=$("${PSQL[@]}" -c "CREATE TEMP TABLE ev (id int, verdict text)" \
    -c "\\copy ev FROM '$T/eard_verdicts.tsv'" \
    -c "SELECT coalesce(json_agg(json_build_object('case', b.case_id,
	'eard', ev.verdict, 'sql', bench_chip_verdict(b.req)) ORDER BY b.id), '[]')
	FROM bench_cases b JOIN ev USING (id)
	WHERE bench_chip_verdict(b.req) IS DISTINCT FROM ev.verdict")
emit sql_per_check "{\"tps\": $tps, \"latency_avg_ms\": $lat, \"connections\": 16,
    \"eard_rps\": $e16, \"ratio\": $(jq -n "$e16 / $tps"),
    \"cases\": ${ncmp:-0}, \"agree\": ${nagree:-0}, \"disagree\": ${disagree:-[]},
    \"logged_tps\": $ltps, \"logged_latency_avg_ms\": $llat,
    \"logged_ratio\": $(jq -n "$e16 / $ltps"),
    \"logged_cmd\": \"pgbench -n -c 16 -j 2 -T $DUR -f pgbench_logged.sql: INSERT INTO bench_log the request and its bench_chip_check() rows, committed\",
    \"cmd\": \"pgbench -n -c 16 -j 2 -T $DUR -f pgbench.sql: SELECT bench_chip_check(req) of a random chip.jsonl request (bench/sql/check.sql)\"}"

# ---------------------------------------------------------------- screening
s=$(load screen_1 unix 1 "$T/screen.jsonl")
emit screen_1 "$(jq -n --argjson s "$s" --argjson n "$nparties" \
    --arg cmd "loadgen -u eard.sock -c 1 -d $DUR -r screen.jsonl" \
    "{parties: \$n, rps: \$s.ok_rps, p50_us: \$s.p50_us, p90_us: \$s.p90_us,
      p99_us: \$s.p99_us, max_us: \$s.max_us, diag: (\$s | $DIAG),
      errors: (\$s.errors + \$s.status_5xx), cmd: \$cmd}")"

# ---------------------------------------------------------------- RSS
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$EARD_PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$EARD_PID/status")
emit rss "{\"rss_kb\": $rss, \"hwm_kb\": $hwm, \"parties\": $nparties,
    \"cmd\": \"grep VmRSS /proc/\$(pidof eard)/status after the runs above\"}"

# ---------------------------------------------------------- rules swap
load swap_16 unix 16 "$T/chip.jsonl" >"$T/swap.json" &
LOAD_PID=$!
swaps=0
for i in $(seq 1 $((DUR * 2))); do
	sleep 0.25
	if [ $((i % 2)) = 0 ]; then
		kill -HUP "$EARD_PID"
	else
		"${PSQL[@]}" -c "NOTIFY rules_changed"
	fi
	swaps=$((swaps + 1))
done
wait "$LOAD_PID"
LOAD_PID=
emit rules_swap "$(jq --argjson n "$swaps" \
    --arg cmd "loadgen -c 16 -r chip.jsonl while NOTIFY rules_changed / SIGHUP every 0.25 s" \
    "{swaps: \$n, rps: .ok_rps, p99_us: .p99_us, max_us: .max_us,
      failed: (.errors + .status_5xx), non_2xx: (.status_4xx + .status_5xx),
      diag: $DIAG, cmd: \$cmd}" "$T/swap.json")"

# --------------------------------------------------------------- growth
# Synthetic rules: copies of every classification rule that never fires
# (a TPP floor no chip has) and of every requirement scoped to a synthetic
# ECCN, plus letter-like requirements every chip check must evaluate
# (eccns NULL, an exporter no request names). They change no verdict.
base_rules=$("${PSQL[@]}" -c "SELECT (SELECT count(*) FROM classification_rules) +
    (SELECT count(*) FROM licence_requirements)")
grow_rules() {
	local k=$1
	"${PSQL[@]}" <<SQL
DELETE FROM classification_rules WHERE rule_id LIKE 'SYN-%';
DELETE FROM licence_requirements WHERE rule_id LIKE 'SYN-%';
INSERT INTO classification_rules (rule_id, version, eccn, item, precedence,
    predicate, valid, source_id, citation, text)
SELECT 'SYN-' || g || '-' || c.rule_id, c.version, 'SYN' || g || '.' || c.eccn,
    c.item, c.precedence,
    jsonb_build_array('all', jsonb_build_array('ge', 'tpp', 1e12 + g), c.predicate),
    c.valid, c.source_id, c.citation, 'synthetic (bench)'
FROM classification_rules c, generate_series(1, $k - 1) g
WHERE c.rule_id NOT LIKE 'SYN-%';
INSERT INTO licence_requirements (rule_id, version, kind, reason, item, eccns,
    predicate, effect, exceptions, review_policy, compliance, valid, source_id,
    citation, text)
SELECT 'SYN-' || g || '-' || r.rule_id, r.version, r.kind, r.reason, r.item,
    CASE WHEN r.eccns IS NULL THEN NULL
	ELSE ARRAY(SELECT 'SYN' || g || '.' || e FROM unnest(r.eccns) e) END,
    CASE WHEN r.eccns IS NULL THEN jsonb_build_array('all',
	jsonb_build_array('in', 'exporter', jsonb_build_array('syn exporter ' || g)),
	r.predicate) ELSE r.predicate END,
    r.effect, r.exceptions, r.review_policy, r.compliance, r.valid,
    r.source_id, r.citation, 'synthetic (bench)'
FROM licence_requirements r, generate_series(1, $k - 1) g
WHERE r.rule_id NOT LIKE 'SYN-%';
NOTIFY rules_changed;
SQL
}
growth_run() {
	local name=$1 extra=$2
	DUR=1 load warm unix 4 "$T/chip.jsonl" >/dev/null
	r=$(load "$name" unix 16 "$T/chip.jsonl")
	emit "$name" "$(jq -n --argjson r "$r" --argjson x "$extra" \
	    "\$x + {rps: \$r.ok_rps, p50_us: \$r.p50_us, p99_us: \$r.p99_us,
	      errors: (\$r.errors + \$r.status_5xx), diag: (\$r | $DIAG)}")"
}
growth_run growth_rules_1x "{\"rules\": $base_rules, \"factor\": 1}"
for k in 10 100; do
	grow_rules "$k" >/dev/null
	growth_run "growth_rules_${k}x" "{\"rules\": $(("$base_rules" * k)), \"factor\": $k,
	    \"cmd\": \"bench/run.sh grow_rules $k; loadgen -c 16 -r chip.jsonl\"}"
done
grow_rules 1 >/dev/null

# The same eard with audit_mode = async: what matching, deciding and the
# transport cost without waiting for the decision log's COMMIT.
eard_stop
sed -i 's/^audit_mode = durable/audit_mode = async/' "$T/eard.conf"
eard_start
ready || exit 1
load warm unix 4 "$T/chip.jsonl" >/dev/null
s=$(load screen_1_async unix 1 "$T/screen.jsonl")
c=$(load chip_16_async unix 16 "$T/chip.jsonl")
w=$(load weights_16_async unix 16 "$T/weights.jsonl")
emit async "$(jq -n --argjson s "$s" --argjson c "$c" --argjson w "$w" \
    "{screen_p50_us: \$s.p50_us, screen_p99_us: \$s.p99_us,
      screen_rps: \$s.ok_rps, screen_diag: (\$s | $DIAG),
      chip16_rps: \$c.ok_rps, chip16_p50_us: \$c.p50_us,
      chip16_p99_us: \$c.p99_us, chip16_diag: (\$c | $DIAG),
      weights16_rps: \$w.ok_rps, weights16_p50_us: \$w.p50_us,
      weights16_p99_us: \$w.p99_us, weights16_diag: (\$w | $DIAG),
      errors: (\$s.errors + \$s.status_5xx + \$c.errors + \$c.status_5xx +
	\$w.errors + \$w.status_5xx),
      cmd: \"audit_mode = async; loadgen -u eard.sock -c 1 -r screen.jsonl; -c 16 -r chip.jsonl; -c 16 -r weights.jsonl\"}")"
eard_stop
sed -i 's/^audit_mode = async/audit_mode = durable/' "$T/eard.conf"
eard_start
ready || exit 1

# -------------------------------------------------------------------- batch
# Last of the runs on the real list: its 10,000 decisions queue in the
# decision log, and nothing measured after it should wait behind them.
best=
for _ in 1; do
	: >"$T/batch.out"
	s=$(curl -s --max-time 15 -H 'Expect:' -o "$T/batch.out" \
	    -w '%{http_code} %{time_total}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	    --data-binary @"$T/batch.json" http://eard/v1/checks/batch)
	[ "${s% *}" = 200 ] || { say "batch: HTTP ${s% *}: $(head -c 300 "$T/batch.out")"; }
	ms=$(jq -n "${s#* } * 1000 | floor")
	[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
done
emit batch_10000 "{\"ms\": $best, \"checks\": 10000, \"status\": $((10#${s% *})),
    \"capped_ms\": 15000,
    \"results\": $(jq -n '[inputs][0].results // [] | length' "$T/batch.out" 2>/dev/null || echo 0),
    \"cmd\": \"curl --data-binary @batch.json /v1/checks/batch (one request)\"}"
# Drop the backlog: a benchmark cluster's decisions are not worth keeping,
# and the runs after this one must not queue behind them.
kill -KILL "$EARD_PID" 2>/dev/null
wait "$EARD_PID" 2>/dev/null
EARD_PID=
rm -f "$T"/spool/*
eard_start
ready || exit 1

# 10x parties: every listed party nine more times, each copy with another
# party's first word added and its own entity number, imported as a new
# version of the list.
sbase=$(jq .p50_us "$OUT/screen_1.json")
# Derived from the list alone, so kept between runs (bench/out/cache/).
CSL10=$PUB/cache/csl10-$(sha256sum "$CSL" | cut -c1-16).json
if [ ! -s "$CSL10" ]; then
	mkdir -p "$PUB/cache"
	rm -f "$PUB"/cache/csl10-*.json
	jq -c '.results as $r | ($r | length) as $n | .results = [range(0; 10) as $k |
	    $r | to_entries[] | .value + (if $k == 0 then {} else {
		name: (.value.name + " " + ($r[(.key * 7 + $k * 131) % $n].name |
		    split(" ")[0])),
		entity_number: ((.value.entity_number // "") + "-S" + ($k | tostring)),
		alt_names: [(.value.alt_names // [])[] + " S" + ($k | tostring)]} end)]' \
	    "$CSL" >"$CSL10.tmp.$$" &&
	    mv "$CSL10.tmp.$$" "$CSL10"
fi
# Capped: a run of a few minutes reports a slower import or start-up as
# over the cap instead of waiting for it.
t0=$(now_ns)
if timeout "$CAP" "$EARCTL" --database "$IMP" import csl "$CSL10" \
    >"$T/csl10.log" 2>&1; then
	ms=$(ms_since "$t0")
	n10=$("${PSQL[@]}" -c "SELECT count(*) FROM parties p JOIN list_versions v ON
	    v.id = p.list_version WHERE v.id = (SELECT max(id) FROM list_versions)")
	# Start again: ready once the 10x index is built.
	eard_stop
	t0=$(now_ns)
	eard_start
	if ready "$CAP"; then
		start10=$(ms_since "$t0")
		DUR=1 load warm unix 1 "$T/screen.jsonl" >/dev/null
		s=$(load screen_1_parties10x unix 1 "$T/screen.jsonl")
		rss10=$(awk '/^VmRSS/ {print $2}' "/proc/$EARD_PID/status")
		emit growth_parties_10x "$(jq -n --argjson s "$s" --argjson n "$n10" \
		    --argjson ms "$ms" --argjson b "$sbase" --argjson rss "$rss10" \
		    --argjson st "$start10" \
		    "{parties: \$n, import_ms: \$ms, startup_ms: \$st,
		      p50_us: \$s.p50_us, p99_us: \$s.p99_us,
		      base_p50_us: \$b, slope: (\$s.p50_us / \$b), rss_kb: \$rss,
		      errors: (\$s.errors + \$s.status_5xx), diag: (\$s | $DIAG),
		      cmd: \"import csl csl10.json (10x synthetic); loadgen -c 1 -r screen.jsonl\"}")"
	else
		emit growth_parties_10x "{\"parties\": $n10, \"import_ms\": $ms,
		    \"capped\": \"start-up over $CAP s\", \"base_p50_us\": $sbase,
		    \"cmd\": \"import csl csl10.json (10x synthetic); start eard\"}"
	fi
else
	emit growth_parties_10x "{\"parties\": $((nparties * 10)),
	    \"capped\": \"import over $CAP s\", \"base_p50_us\": $sbase,
	    \"cmd\": \"earctl import csl csl10.json (10x synthetic)\"}"
fi
eard_stop

# ---------------------------------------------------------------- the table
machine=$(printf '%s nproc, %s, %s MiB' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo)")
jq -s -c . "$OUT"/*.json >"$T/all.json"
jq -n --arg m "$machine" --arg d "$(date -u +%Y-%m-%dT%H:%MZ)" \
    --arg data "$DATA" --arg dur "$DUR" \
    '{machine: $m, date: $d, data: $data, seconds_per_run: ($dur | tonumber)}' \
    >"$OUT/machine.json"
"$ROOT/bench/table.sh" "$OUT" >"$T/table.md" || exit 1
rm -f "$PUB"/*.json "$PUB"/raw/*.json
cp "$OUT"/*.json "$PUB"/
cp "$OUT"/raw/*.json "$PUB"/raw/
awk -v f="$T/table.md" '
	/<!-- bench:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
	/<!-- bench:end -->/ { skip = 0 }
	!skip' "$ROOT/bench/BENCHMARKS.md" >"$T/BENCHMARKS.md" &&
    cp "$T/BENCHMARKS.md" "$ROOT/bench/BENCHMARKS.md"
say "bench/BENCHMARKS.md regenerated"
