#!/usr/bin/env bash
# t_reports: every queries/NAME.sql on a fixed dataset, diffed against
# tests/expected/NAME.out (PostgreSQL's regression layout), directly on the
# database and through eard (GET /v1/reports/NAME); the three SVG charts
# are well-formed and carry what they must.
#
# UPDATE=1 rewrites the expected files (review the diff before committing).
. "$(dirname "$0")/lib.sh"
it_start nodaemon
for f in "$ROOT"/tests/fixtures/reports/*.sql; do
	"${PSQL[@]}" -f "$f" >/dev/null 2>"$T/fixture.err" ||
	    it_abort "fixture $(basename "$f"): $(head -n 3 "$T/fixture.err")"
done

# NAME and its parameters: fixed, so the output is too.
cases=(
	"decisions --from 2026-01-01 --to 2026-03-01"
	"decisions --from 2026-02-01 --to 2026-03-01 --kind chip"
	"exposure --as-of 2026-01-31"
	"exposure --as-of 2026-03-01"
	"near-thresholds --band 10"
	"chips"
	"chips --classification 3A090.b"
	"screening --from 2026-01-01 --to 2026-03-01"
	"freshness --as-of 2026-03-01"
	"chip-map --as-of 2026-03-01"
	"compute-frontier --since 2020-01-01"
	"open-lag --since 2020-01-01"
	"rescreen --since 1970-01-01"
)
mkdir -p "$T/out"
for c in "${cases[@]}"; do
	read -r -a args <<<"$c"
	name=${args[0]}
	out=$T/out/$name.out
	{
		echo "-- earctl report $c --csv"
		"$EARCTL" --database "$EARD_ADMIN_DATABASE_URL" --csv report \
		    "${args[@]}" --direct 2>&1 | tr -d '\r'
		echo
	} >>"$out"
done
for q in "$ROOT"/queries/*.sql; do
	name=$(basename "$q" .sql)
	exp=$ROOT/tests/expected/$name.out
	if [ ! -f "$T/out/$name.out" ]; then
		# A query without a case here runs with its defaults.
		{
			echo "-- earctl report $name --csv"
			"$EARCTL" --database "$EARD_ADMIN_DATABASE_URL" --csv \
			    report "$name" --direct 2>&1 | tr -d '\r'
			echo
		} >"$T/out/$name.out"
	fi
	if [ ! -f "$exp" ] && [ "${UPDATE:-0}" != 1 ]; then
		t_skip "report $name" "no tests/expected/$name.out (UPDATE=1 writes it)"
		continue
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$T/out/$name.out" "$exp"
	fi
	if diff -u "$exp" "$T/out/$name.out" >"$T/diff" 2>&1; then
		t_ok "report $name matches tests/expected/$name.out"
	else
		t_fail "report $name matches tests/expected/$name.out" \
		    "$(head -n 20 "$T/diff" | tr '\n' ' ')"
	fi
done

# Through eard: the same rows, as JSON, from the worker thread.
eard_start
req GET "/v1/reports/decisions?from=2026-01-01&to=2026-03-01"
t_status "GET /v1/reports/decisions" 200
t_eq "eard's report has the rows the database gives" \
    "$(jqr '.rows | length')" \
    "$(grep -c . <(sed -n '3,$p' "$T/out/decisions.out" | sed '/^$/,$d'))"
req GET "/v1/reports/decisions?from=not-a-date"
t_status "a malformed parameter is 400" 400
t_eq "the 400 names the parameter" "$(jqr .error.field)" from
req GET /v1/reports/no-such-report
t_status "an unknown report is 404" 404
req GET /v1/reports
t_eq "GET /v1/reports lists every query" "$(jqr '.reports | length')" \
    "$(ls "$ROOT"/queries/*.sql | wc -l)"

# The charts: well-formed SVG with the regions and lines they promise.
svg() {
	"$EARCTL" --socket "$SOCK" report "$@" --svg >"$T/chart.svg" 2>"$T/chart.err"
}
if svg chip-map --as-of 2026-03-01 && xmllint --noout "$T/chart.svg" 2>/dev/null; then
	t_ok "chip-map --svg is well-formed SVG"
else
	t_fail "chip-map --svg is well-formed SVG" "$(head -c 200 "$T/chart.err")"
fi
t_eq "chip map shades 3A090.a and .b (88 FR 73458)" \
    "$(grep -c 'fill-opacity="0.22"' "$T/chart.svg")" 4
t_eq "chip map plots each chip with a die area" \
    "$(grep -c '<title>' "$T/chart.svg")" 7
svg chip-map --as-of 2023-01-01
t_eq "chip map of 2023-01-01 shades only TPP >= 4800 (87 FR 62186)" \
    "$(grep -c 'fill-opacity="0.22"' "$T/chart.svg")" 1
if svg compute-frontier --since 2020-01-01 && xmllint --noout "$T/chart.svg" 2>/dev/null; then
	t_ok "compute-frontier --svg is well-formed SVG"
else
	t_fail "compute-frontier --svg is well-formed SVG" "$(head -c 200 "$T/chart.err")"
fi
t_eq "frontier draws the 1e25 and 1e26 lines" \
    "$(grep -c 'stroke-dasharray' "$T/chart.svg")" 2
if svg open-lag && xmllint --noout "$T/chart.svg" 2>/dev/null; then
	t_ok "open-lag --svg is well-formed SVG"
else
	t_fail "open-lag --svg is well-formed SVG" "$(head -c 200 "$T/chart.err")"
fi
eard_stop TERM
it_done
