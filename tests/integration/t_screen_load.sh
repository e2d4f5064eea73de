#!/usr/bin/env bash
# t_screen_load: how eard loads the screening lists. The parties are read
# row by row from the parties table, unsorted (daemon/screen_index.c):
# answers do not depend on the table's physical order (the parties' ids
# order them in the index), aliases with quotes, commas and backslashes
# come through PostgreSQL's array text intact, and with the real
# Consolidated Screening List (skipped when ../shared/data is absent) eard
# is ready with every party loaded in under 64 MiB resident (issue #9).
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "import the rulepacks"
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl \
    "$ROOT/tests/fixtures/csl-sample.json" >"$T/import.out" 2>&1 ||
    it_abort "import csl: $(cat "$T/import.out")"
eard_start
wait_ready 20 || it_abort "eard ready: $BODY"

# loads N: until eard's log shows N index loads.
loads() {
	for _ in $(seq 1 300); do
		[ "$(grep -c 'screening lists loaded' "$T/eard.log")" -ge "$1" ] &&
		    return 0
		sleep 0.1
	done
	return 1
}
loads 1 || t_fail "the lists load at start-up" "$(tail -n 5 "$T/eard.log")"
req GET /v1/lists
want=$("${PSQL[@]}" -c "SELECT count(*) FROM parties p JOIN (SELECT DISTINCT
    ON (kind) id FROM list_versions ORDER BY kind, activated_at DESC, id DESC)
    c ON c.id = p.list_version")
t_eq "every party of the current versions is loaded" "$(jqr .parties)" "$want"

# answers FILE: every fixture request screened, without decision ids.
answers() {
	: >"$1"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		req POST /v1/screen "$(jq -c .request <<<"$line")"
		printf '%s\n' "$BODY" | jq -S -c 'del(.decision_id)' >>"$1"
	done <"$ROOT/tests/fixtures/screen-cases.jsonl"
}
answers "$T/before.jsonl"

# An UPDATE writes the row anew at the end of the heap: the oldest party
# now comes last from a plain scan.
"${PSQL[@]}" -c "UPDATE parties SET type = type
    WHERE id = (SELECT min(id) FROM parties)" >/dev/null
"${PSQL[@]}" -c "NOTIFY lists_changed" >/dev/null
loads 2 || t_fail "the lists load again on NOTIFY" "$(tail -n 5 "$T/eard.log")"
answers "$T/after.jsonl"
if cmp -s "$T/before.jsonl" "$T/after.jsonl"; then
	t_ok "answers do not depend on the table's physical order"
else
	t_fail "answers do not depend on the table's physical order" \
	    "$(diff "$T/before.jsonl" "$T/after.jsonl" | head -n 4)"
fi

# Array text: quotes, commas, backslashes and braces in an alias.
"${PSQL[@]}" -c "UPDATE parties SET alt_names = alt_names ||
    ARRAY['Zorvex \"Quoted\", Trading', 'Qwertyx back\\slash {brace}']
    WHERE id = (SELECT max(id) FROM parties)" >/dev/null
"${PSQL[@]}" -c "NOTIFY lists_changed" >/dev/null
loads 3 || t_fail "the lists load a third time" "$(tail -n 5 "$T/eard.log")"
req POST /v1/screen '{"name": "Zorvex Quoted Trading"}'
t_eq "an alias with quotes and a comma is read whole" \
    "$(jqr '.candidates[0].matched_on')" 'alias "Zorvex "Quoted", Trading"'
req POST /v1/screen '{"name": "Qwertyx back slash brace"}'
t_eq "an alias with a backslash and braces is read whole" \
    "$(jqr '.candidates[0].matched_on')" 'alias "Qwertyx back\slash {brace}"'

# A load that fails keeps the lists and says why.
"${PSQL[@]}" -c "REVOKE SELECT ON parties FROM eard_reader" >/dev/null
"${PSQL[@]}" -c "NOTIFY lists_changed" >/dev/null
for _ in $(seq 1 100); do
	req GET /v1/lists
	[ "$(jqr '.last_error // empty')" != "" ] && break
	sleep 0.1
done
t_eq "a failed load keeps the last good lists" "$(jqr .parties)" "$want"
if jqr .last_error | grep -q "could not load the screening lists"; then
	t_ok "a failed load is reported in /v1/lists"
else
	t_fail "a failed load is reported in /v1/lists" "$BODY"
fi
"${PSQL[@]}" -c "GRANT SELECT ON parties TO eard_reader" >/dev/null
eard_stop

if have_shared_data; then
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl \
	    "$SHARED/data/regs/csl/consolidated.json" >"$T/import.out" 2>&1 ||
	    it_abort "import the real CSL: $(tail -n 3 "$T/import.out")"
	: >"$T/eard.log"
	eard_start
	wait_ready 60 || t_fail "eard ready with the real CSL" "$BODY"
	loads 1 || t_fail "the real CSL loads" "$(tail -n 5 "$T/eard.log")"
	req GET /v1/lists
	t_eq "all 25,921 parties of the real CSL are loaded" \
	    "$(jqr .parties)" 25921
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$EARD_PID/status")
	if [ "$rss" -lt $((64 * 1024)) ]; then
		t_ok "resident memory with the real CSL under 64 MiB ($rss kB)"
	else
		t_fail "resident memory with the real CSL under 64 MiB" \
		    "$rss kB"
	fi
	req POST /v1/screen '{"name": "Huawei Technologies Co Ltd", "country": "CN"}'
	t_eq "Huawei is a match on the real CSL" "$(jqr .result)" match
else
	t_skip "real CSL load and memory" "../shared/data is absent"
fi
it_done
