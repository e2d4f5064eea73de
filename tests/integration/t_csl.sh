#!/usr/bin/env bash
# t_csl.sh: the Consolidated Screening List import (importers/csl.c) against
# a real PostgreSQL. The parties stream into one COPY while the file is
# read, so a file that turns out bad late (an entry without a name, a
# syntax error after the entries, a CSV row with an open quote) must still
# change nothing; what is stored matches the file; the same file again only
# re-activates its version. The full list (../shared/data) when present.
. "$(dirname "$0")/lib.sh"
it_start nodaemon

IMP=("$EARCTL" --database "$EARD_IMPORT_DATABASE_URL")
SAMPLE=$ROOT/tests/fixtures/csl-sample.json
q() { "${PSQL[@]}" -c "$1"; }
state() { q "SELECT (SELECT count(*) FROM list_versions) || '/' || (SELECT count(*) FROM parties)"; }

n=$(jq '.results | length' "$SAMPLE")
t_cmd "import the sample list" "${IMP[@]}" import csl "$SAMPLE"
t_eq "one party per entry" "$(q "SELECT count(*) FROM parties")" "$n"
t_eq "counts per list add up" \
    "$(q "SELECT sum(value::int) FROM list_versions, jsonb_each_text(counts) WHERE kind = 'csl'")" "$n"
t_eq "counts per list match the rows" \
    "$(q "SELECT count(*) FROM list_versions v, jsonb_each_text(v.counts) c WHERE c.value::int <> (SELECT count(*) FROM parties p WHERE p.list_version = v.id AND p.list = c.key)")" 0
# raw is the entry as the file has it (jsonb: key order aside).
jq -c '.results[]' "$SAMPLE" >"$T/entries.jsonl"
t_eq "raw is each entry of the file" \
    "$(q "CREATE TEMP TABLE e (j text); COPY e FROM '$T/entries.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02'); SELECT count(*) FROM e JOIN parties p ON p.raw = e.j::jsonb" 2>&1)" "$n"
t_eq "names and aliases as in the entries" \
    "$(q "SELECT count(*) FROM parties WHERE name = raw->>'name' AND alt_names = ARRAY(SELECT x FROM jsonb_array_elements_text(COALESCE(raw->'alt_names', '[]')) AS a(x) WHERE x <> '')")" "$n"
t_eq "a content hash and an entry id each" \
    "$(q "SELECT count(*) FROM parties WHERE content_hash ~ '^[0-9a-f]{64}$' AND entry_id LIKE list || ':%'")" "$n"

# Awkward text survives COPY's and the array literal's escaping.
cat >"$T/odd.json" <<'JSON'
{"results": [{"source": "Entity List (EL) - Bureau of Industry and Security",
  "name": "Odd \"Quoted\" \\ Back\tTab\nLine",
  "alt_names": ["with \"quotes\"", "back\\slash", "{braces}, commas", "NULL", "tab\there", "line\nbreak", ""],
  "addresses": [{"country": "CN", "address": "1 \\ Road\r\n"}], "programs": ["A\"B", "C\\D"],
  "license_requirement": "For all items\tsubject", "type": "Entity"}]}
JSON
t_cmd "import awkward text" "${IMP[@]}" import csl "$T/odd.json"
t_eq "awkward text stored as in the file" "$(q "SELECT count(*) FROM parties
    WHERE name = raw->>'name' AND name = E'Odd \"Quoted\" \\\\ Back\tTab\nLine'
    AND alt_names = ARRAY(SELECT x FROM jsonb_array_elements_text(raw->'alt_names') AS a(x) WHERE x <> '')
    AND cardinality(alt_names) = 6 AND alt_names[4] = 'NULL'
    AND programs = ARRAY(SELECT jsonb_array_elements_text(raw->'programs'))
    AND addresses = raw->'addresses' AND countries = '{CN}'
    AND license_requirement = raw->>'license_requirement'")" 1
before=$(state)

# Same file again: re-activated, nothing written.
t_cmd "the same file again" "${IMP[@]}" import csl "$SAMPLE"
grep -q "already imported" "$T/cmd.out" && t_ok "reported as already imported" ||
    t_fail "reported as already imported" "$(cat "$T/cmd.out")"
grep -q "$n parties" "$T/cmd.out" && t_ok "its party count is reported" ||
    t_fail "its party count is reported" "$(cat "$T/cmd.out")"
t_eq "nothing written again" "$(state)" "$before"

# Bad files, found bad only after rows were sent: nothing changes.
bad() {
	local name=$1 file=$2 want=$3
	if "${IMP[@]}" import csl "$file" >"$T/bad.out" 2>&1; then
		t_fail "$name is refused"
	else
		t_ok "$name is refused"
	fi
	grep -q -- "$want" "$T/bad.out" && t_ok "$name: says \"$want\"" ||
	    t_fail "$name: says \"$want\"" "$(cat "$T/bad.out")"
	t_eq "$name: nothing changed" "$(state)" "$before"
}
jq '.results += [{"source": "Entity List (EL) - Bureau of Industry and Security"}]' \
    "$SAMPLE" >"$T/noname.json"
bad "a last entry without a name" "$T/noname.json" "party $((n + 1)) has no \"name\""
{ jq '.results[0].name = "Renamed Ltd"' "$SAMPLE"; echo ' trailing'; } >"$T/trailing.json"
bad "text after the document" "$T/trailing.json" "end of file expected"
jq '.results[0].name = "Renamed Ltd"' "$SAMPLE" | head -c -3 >"$T/cut.json"
bad "a cut file" "$T/cut.json" "invalid JSON"
{
	echo 'source,name,alt_names'
	for i in $(seq 1 2000); do echo "Entity List (EL) - Bureau of Industry and Security,Party $i,P$i"; done
	echo 'Entity List (EL) - Bureau of Industry and Security,"Open Quote Ltd'
} >"$T/late.csv"	# well over one 64 KiB COPY chunk before the bad row
bad "a CSV with a bad last row" "$T/late.csv" "line 2002"

if have_shared_data && [ -f "$SHARED/data/regs/csl/consolidated.json" ]; then
	CSL=$SHARED/data/regs/csl/consolidated.json
	t_cmd "import the full list" "${IMP[@]}" import csl "$CSL"
	t_eq "every entry is a party" \
	    "$(q "SELECT count(*) FROM parties p JOIN list_versions v ON v.id = p.list_version WHERE v.sha256 = '$(sha256sum "$CSL" | cut -c1-64)'")" \
	    "$(jq '.results | length' "$CSL")"
	t_eq "its counts add up" \
	    "$(q "SELECT sum(value::int) FROM list_versions, jsonb_each_text(counts) WHERE sha256 = '$(sha256sum "$CSL" | cut -c1-64)'")" \
	    "$(jq '.results | length' "$CSL")"
	t_eq "entry ids unique in the version" \
	    "$(q "SELECT count(DISTINCT entry_id) = count(*) FROM parties p JOIN list_versions v ON v.id = p.list_version WHERE v.sha256 = '$(sha256sum "$CSL" | cut -c1-64)'")" t
fi
it_done
