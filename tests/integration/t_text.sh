#!/usr/bin/env bash
# t_text.sh: the regulation's text behind the answers. GET /v1/text and
# GET /v1/eccn/{code} from the imported eCFR text, every citation of chip
# and weights verdicts across the eras resolves (or is listed as not in the
# imported text, with why), `earctl explain` prints cited text, `earctl diff
# ecfr` between two dated imports, and `earctl verify rules` comparing the
# curated country groups with the eCFR table of 15 CFR 740 Supp. 1.
# Uses the real CCL (../shared/data) when present, else the fixture excerpt
# (3A090, 4A090, 4E091 copied from it; T_TEXT_EXCERPT=1 forces it).
. "$(dirname "$0")/lib.sh"
it_start

IMP=("$EARCTL" --database "$EARD_IMPORT_DATABASE_URL")
FIX=$ROOT/tests/fixtures
if have_shared_data && [ -z "${T_TEXT_EXCERPT:-}" ]; then
	CCL=$SHARED/data/regs/ecfr/ecfr_t15_p774_supp1_CCL.xml
	echo "# using the real CCL"
else
	CCL=$FIX/ecfr/ccl_excerpt.xml
	echo "# ../shared/data absent: using the CCL fixture excerpt"
fi
it_import_rules || it_abort "import rulepacks"
t_cmd "import the CCL as of 2026-06-01" "${IMP[@]}" import ecfr --date 2026-06-01 "$CCL"
for f in part740_country_groups part738_country_chart part744_entity_list; do
	t_cmd "import $f" "${IMP[@]}" import ecfr "$FIX/ecfr/$f.xml"
done
t_cmd "import 88 FR 12170" "${IMP[@]}" import fr "$FIX/fr/FR_2023-03929_trimmed.xml"
wait_ready 20 || it_abort "eard not ready"

# text URL-encodes a query value.
enc() { jq -rn --arg v "$1" '$v | @uri'; }

# --- GET /v1/text ---------------------------------------------------------
# 15 CFR 774 Supp. 1, 3A090.a.1 (88 FR 73458, in the ~June 2026 eCFR).
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.a.1')&as_of=2026-07-01"
t_status "text of 3A090.a.1" 200
t_eq "3A090.a.1 body" "$(jqr '.parts[0].body')" \
    "a.1. A 'total processing performance' of 4800 or more; or"
t_eq "3A090.a.1 from the eCFR of 2026-06-01" "$(jqr '.parts[0].ecfr_date')" 2026-06-01
t_eq "3A090.a.1 ancestors" "$(jqr '[.parts[0].ancestors[].cite] | join("|")')" \
    "15 CFR 774 Supp. 1|15 CFR 774 Supp. 1, 3A090|15 CFR 774 Supp. 1, 3A090.a"
t_eq "the ECCN heading among them" "$(jqr '.parts[0].ancestors[1].heading')" \
    "Integrated circuits as follows (see List of Items Controlled)."
t_eq "resolved" "$(jqr .resolved)" true

req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1 3A090.a.1')&as_of=2026-07-01"
t_eq "the cite without its comma" "$(jqr '.parts[0].cite')" "15 CFR 774 Supp. 1, 3A090.a.1"

# 3A090.a in full: a.1, a.2 and the notes under it.
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.a')&as_of=2026-07-01"
t_eq "3A090.a with its sub-paragraphs" \
    "$(jqr '[.parts[0].subparagraphs[].cite] | index("15 CFR 774 Supp. 1, 3A090.a.2") != null')" true
t_eq "3A090.a Technical Note 2 (TPP) under it" \
    "$(jqr '[.parts[0].subparagraphs[] | select(.label == "Technical Note 2")] | length')" 1

# A decorated rulepack citation: paragraph, note, and an FR rule not imported.
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.b.2 and Note 2 (88 FR 73458)')&as_of=2026-07-01"
t_status "decorated citation" 200
t_eq "3A090.b.2 and Note 2 found" "$(jqr '[.parts[].label] | join(",")')" "b.2,Note 2"
t_eq "Note 2 is 3A090's datacenter note" \
    "$(jqr '.parts[1].body | test("not designed or marketed for use in datacenters")')" true
t_eq "88 FR 73458 listed as not in the text" \
    "$(jqr '.not_in_text[0].cite + " / " + .not_in_text[0].kind')" "88 FR 73458 / fr"
t_eq "so not fully resolved" "$(jqr .resolved)" false

# An imported FR rule resolves to its document (88 FR 12170, 2023-02-24).
req GET "/v1/text?cite=$(enc '88 FR 12170')"
t_status "88 FR 12170" 200
t_eq "FR document effective" "$(jqr '.parts[0].document.effective')" 2023-02-24

# 4E091 Technical Note 3 (90 FR 4544).
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 4E091 Technical Note 3')&as_of=2026-07-01"
t_status "4E091 Technical Note 3" 200

# Before the first import, and unknown cites: 404 with why.
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.a.1')&as_of=2025-01-01"
t_status "no text before the first import" 404
t_eq "404 says why" "$(jqr '.error.code + ": " + .not_in_text[0].reason')" \
    "unknown_cite: no eCFR text of 15 CFR 774 is imported on or before 2025-01-01"
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.q.9')&as_of=2026-07-01"
t_status "unknown paragraph" 404
t_eq "unknown paragraph: why" "$(jqr '.not_in_text[0].reason')" \
    "not in the eCFR text of 15 CFR 774 of 2026-06-01"
req GET "/v1/text?cite=$(enc '15 CFR 742.6(a)(6)(iii)')"
t_status "part 742 is not imported" 404
req GET "/v1/text"
t_status "cite is required" 400
t_eq "cite is required: field" "$(jqr .error.field)" cite
req GET "/v1/text?cite=x&as_of=2026-13-01"
t_status "bad as_of" 400

# --- GET /v1/eccn/{code} -------------------------------------------------
req GET /v1/eccn/3A090?as_of=2026-07-01
t_status "eccn 3A090" 200
t_eq "rules: classifications" "$(jqr '.classifications | length > 0')" true
t_eq "text: heading" "$(jqr .text.heading)" \
    "Integrated circuits as follows (see List of Items Controlled)."
t_eq "text: reasons for control" "$(jqr .text.reasons_for_control)" "RS, AT"
t_eq "text: licence requirement rows" "$(jqr '[.text.license_requirements[].applies] | join("|")')" \
    "3A090.a|3A090.b|3A090.c|entire entry"
t_eq "text: NAC/ACA exception" \
    "$(jqr '[.text.license_exceptions[] | select(.code == "NAC/ACA")] | length')" 1
t_eq "text: 3A090.c paragraph" \
    "$(jqr '[.text.paragraphs[] | select(.path == "3A090.c")] | length')" 1
req GET /v1/eccn/3A090.a?as_of=2026-07-01
t_eq "eccn 3A090.a: only .a's paragraphs" \
    "$(jqr '[.text.paragraphs[].path | select(startswith("3A090.a") | not)] | length')" 0
req GET /v1/eccn/3A090?as_of=2024-06-01
t_eq "eccn before the import: rules, no text" "$(jqr '(.classifications | length > 0), .text' | tr '\n' ' ')" "true null "
t_eq "eccn before the import: note" "$(jqr .text_note)" \
    "no Commerce Control List text of 3A090 is imported on or before 2024-06-01"
req GET /v1/eccn/9Z999
t_status "unknown ECCN" 404

# --- every verdict citation resolves ----------------------------------------
CHIP='"chip":{"name":"H100","performance":[{"format":"fp8","bits":8,"dense_tops":1979}],"die_area_mm2":814,"memory_bandwidth_gbs":3350,"datacenter":true}'
H20='"chip":{"name":"H20","performance":[{"format":"fp8","bits":8,"dense_tops":296}],"die_area_mm2":814,"memory_bandwidth_gbs":4000,"datacenter":true}'
declare -a CHECKS=(
	"chip|{\"as_of\":\"2022-11-01\",\"destination\":\"CN\",$CHIP}"
	"chip|{\"as_of\":\"2024-06-01\",\"destination\":\"CN\",$CHIP,\"recipient\":{\"name\":\"X\",\"headquarters\":\"CN\"}}"
	"chip|{\"as_of\":\"2025-02-01\",\"destination\":\"AE\",$CHIP}"
	"chip|{\"as_of\":\"2025-06-01\",\"destination\":\"CN\",$H20,\"exporter\":{\"name\":\"NVIDIA\",\"country\":\"US\"}}"
	"chip|{\"as_of\":\"2026-07-01\",\"destination\":\"MO\",$CHIP}"
	"chip|{\"as_of\":\"2026-07-01\",\"destination\":\"CN\",\"chip\":{\"name\":\"HBM3E stack\",\"kind\":\"hbm\",\"memory_bandwidth_density_gbs_mm2\":3.5}}"
	"weights|{\"as_of\":\"2025-02-01\",\"destination\":\"AE\",\"model\":{\"name\":\"m\",\"training_ops\":3e26,\"published\":false}}"
	"weights|{\"as_of\":\"2026-07-01\",\"destination\":\"CN\",\"model\":{\"name\":\"m\",\"training_ops\":3e26,\"published\":false}}"
	"weights|{\"as_of\":\"2026-07-01\",\"destination\":\"CN\",\"model\":{\"name\":\"d\",\"training_ops\":3e26,\"published\":false,\"derived_from\":{\"name\":\"b\",\"published\":true,\"training_ops\":9e25},\"additional_training_ops\":2e25}}"
)
: >"$T/cites"
for c in "${CHECKS[@]}"; do
	req POST "/v1/checks/${c%%|*}" "${c#*|}"
	[ "$STATUS" = 200 ] || { t_fail "check ${c:0:60}" "status $STATUS: $BODY"; continue; }
	asof=$(jqr .as_of)
	# The CCL text is imported as of 2026-06-01 only: older verdicts are
	# looked up in it (their paragraphs exist there, their wording may not).
	[[ "$asof" < 2026-06-01 ]] && asof=2026-06-01
	jqr '[.classification, .requirements[]?, .requirements[]?.review_policy_rule, .exceptions[]?]
	    | map(select(type == "object") | .citation, .rule) | .[] | strings' |
	    sed "s/^/$asof|/" >>"$T/cites"
done
sort -u "$T/cites" -o "$T/cites"
ncites=$(wc -l <"$T/cites")
[ "$ncites" -ge 10 ] && t_ok "verdicts carry $ncites distinct citations" ||
    t_fail "verdicts carry citations" "only $ncites"
ccl_ok=0 listed=0 bad=0
while IFS='|' read -r asof cite; do
	req GET "/v1/text?cite=$(enc "$cite")&as_of=$asof"
	if [ "$STATUS" != 200 ] && [ "$STATUS" != 404 ]; then
		t_fail "citation \"$cite\"" "status $STATUS"
		bad=$((bad + 1))
		continue
	fi
	# a CCL part must be found; anything else found or listed with why
	if [ "$(jqr '[.not_in_text[]? | select(.kind == "ccl")] | length')" != 0 ] ||
	    [ "$(jqr '[.not_in_text[]? | select((.reason // "") == "")] | length')" != 0 ] ||
	    [ "$(jqr '(.parts // []) + .not_in_text | length')" = 0 ]; then
		t_fail "citation \"$cite\" as of $asof" "$BODY"
		bad=$((bad + 1))
		continue
	fi
	ccl_ok=$((ccl_ok + $(jqr '[.parts[]? | select(.kind == "ccl")] | length')))
	listed=$((listed + $(jqr '.not_in_text | length')))
	jqr '.not_in_text[] | "#   not in the imported text: " + .cite + " (" + .reason + ")"'
done <"$T/cites"
t_eq "every verdict citation resolves or is listed ($ccl_ok CCL paragraphs found, $listed listed)" "$bad" 0
[ "$ccl_ok" -ge 4 ] && t_ok "CCL citations found in the text" || t_fail "CCL citations found" "$ccl_ok"

# --- earctl explain prints the cited text ------------------------------------
req POST /v1/checks/chip "{\"as_of\":\"2026-07-01\",\"destination\":\"CN\",$CHIP}"
id=$(jqr .decision_id)
if "$EARCTL" explain "$id" >"$T/explain" 2>&1; then
	t_ok "earctl explain"
else
	t_fail "earctl explain" "$(cat "$T/explain")"
fi
grep -q "15 CFR 742.6(a)(6)(iii): not in the imported text (no eCFR text of 15 CFR 742" "$T/explain" &&
    t_ok "explain says a 742 citation is not in the imported text" ||
    t_fail "explain: 742 not in the text" "$(cat "$T/explain")"
grep -q "15 CFR 744.23(a)(3): not in the imported text (not in the eCFR text of 15 CFR 744 of 2026-07-23)" "$T/explain" &&
    t_ok "explain: 744.23 is not in the imported Supp. 4" ||
    t_fail "explain: 744.23" "$(cat "$T/explain")"

# earctl text: an unquoted citation, and one not in the text (exit 1).
"$EARCTL" text 15 CFR 774 Supp. 1, 3A090.c --as-of 2026-07-01 >"$T/text.out" 2>&1
t_eq "earctl text exits 0" "$?" 0
grep -q "^ *c. High bandwidth memory (HBM)" "$T/text.out" &&
    t_ok "earctl text prints 3A090.c" || t_fail "earctl text prints 3A090.c" "$(cat "$T/text.out")"
grep -q "Technical Note 1: 'Memory bandwidth density'" "$T/text.out" &&
    t_ok "earctl text prints its technical note" || t_fail "earctl text: note" "$(cat "$T/text.out")"
"$EARCTL" text "15 CFR 742.6(b)(10)" >"$T/text2.out" 2>&1
t_eq "earctl text: not in the text exits 1" "$?" 1

# --- earctl diff ecfr --------------------------------------------------------
# A later version: 3A090.a.1 at 4900, Albania out of A:6, an alias changed
# and an entity removed (made up for the test, imported as of 2026-09-01).
sed "s/a\.1\. A 'total processing performance' of 4800 or more;/a.1. A 'total processing performance' of 4900 or more;/" "$CCL" >"$T/ccl2.xml"
perl -0pe 's|(<TD class="left">Albania</TD>\n(?:<TD class="center"></TD>\n){5})<TD class="center">X</TD>|$1<TD class="center"></TD>|' \
    "$FIX/ecfr/part740_country_groups.xml" >"$T/g2.xml"
perl -0pe 's|—ETT BV</TD>|—ETT BVBA</TD>|; s|<TR>\n<TD class="left"></TD>\n<TD class="left">Hans Maria De Geetere.*?</TR>\n||s' \
    "$FIX/ecfr/part744_entity_list.xml" >"$T/e2.xml"
t_cmd "import the later CCL" "${IMP[@]}" import ecfr --date 2026-09-01 "$T/ccl2.xml"
t_cmd "import the later 740" "${IMP[@]}" import ecfr --date 2026-09-01 "$T/g2.xml"
t_cmd "import the later 744" "${IMP[@]}" import ecfr --date 2026-09-01 "$T/e2.xml"
if "${IMP[@]}" diff ecfr 2026-08-01 2026-09-01 --json >"$T/diff.json" 2>"$T/diff.err"; then
	t_ok "diff ecfr --json"
else
	t_fail "diff ecfr --json" "$(cat "$T/diff.err")"
fi
BODY=$(cat "$T/diff.json")
t_eq "diff: one paragraph changed" "$(jqr '[.paragraphs[] | .change + " " + .cite] | join("|")')" \
    "changed 15 CFR 774 Supp. 1, 3A090.a.1"
t_eq "diff: word diff" "$(jqr '.paragraphs[0].diff')" \
    "... 'total processing performance' of [-4800-] {+4900+} or more; or"
t_eq "diff: Albania left A:6" "$(jqr '[.country_groups[] | .change + " " + .group + " " + .country] | join("|")')" \
    "removed A:6 AL"
t_eq "diff: entities" "$(jqr '[.entities[] | .change + " " + .name + " " + .fields] | join("|")')" \
    "changed European Technical Trading BV aliases|removed Hans Maria De Geetere "
t_eq "diff: the aliases before and after" "$(jqr '.entities[0].before.aliases + [.entities[0].after.aliases[0]] | join(",")')" "ETT BV,ETT BVBA"
"${IMP[@]}" diff ecfr 2026-08-01 2026-09-01 >"$T/diff.txt" 2>&1
grep -q "~ 15 CFR 774 Supp. 1, 3A090.a.1: .*\[-4800-\] {+4900+}" "$T/diff.txt" &&
    t_ok "diff: table output" || t_fail "diff: table output" "$(cat "$T/diff.txt")"
"${IMP[@]}" diff ecfr 2026-09-01 2026-09-01 --json >"$T/diff0.json" 2>&1
BODY=$(cat "$T/diff0.json")
t_eq "diff of a date with itself is empty" \
    "$(jqr '[.paragraphs, .country_groups, .entities | length] | join(",")')" 0,0,0
req GET "/v1/text?cite=$(enc '15 CFR 774 Supp. 1, 3A090.a.1')&as_of=2026-09-15"
t_eq "text as of a later date is the later version" "$(jqr '.parts[0].body')" \
    "a.1. A 'total processing performance' of 4900 or more; or"
if "${IMP[@]}" diff ecfr 2026-13-01 2026-09-01 >/dev/null 2>&1; then
	t_fail "diff rejects a bad date"
else
	t_ok "diff rejects a bad date"
fi

# --- verify rules: country groups --------------------------------------------
# On the 2026-07-23 table: only Hong Kong differs (the rulepacks treat it
# as China, marked uncertain), so findings and exit 0.
"${IMP[@]}" verify rules --date 2026-08-01 >"$T/verify.out" 2>&1
t_eq "verify rules passes on the official text of 2026-08-01" "$?" 0
grep -q "comparing curated country groups with the eCFR table of 15 CFR 740 Supp. 1 of 2026-07-23" "$T/verify.out" &&
    t_ok "verify compares the 740 table of its date" || t_fail "verify compares 740" "$(cat "$T/verify.out")"
grep -q "^note  country group D:5 HK: in the rulepacks, not in the eCFR table" "$T/verify.out" &&
    t_ok "Hong Kong is a finding" || t_fail "Hong Kong is a finding" "$(cat "$T/verify.out")"
t_eq "no country-group failure on 2026-07-23 (UAE in A:5 agrees)" \
    "$(grep -c '^FAIL  country group' "$T/verify.out")" 0
# A certain curated membership the official text lacks is a failure.
"${PSQL[@]}" -c "INSERT INTO country_groups (grp, country, valid, source_id, citation)
    VALUES ('D:5', 'FR', '[2026-01-01,)', 'CG-base', 'test row')" >/dev/null
"${IMP[@]}" verify rules --date 2026-08-01 >"$T/verify2.out" 2>&1
rc=$?
t_eq "a certain disagreement fails verify (exit 1)" "$rc" 1
grep -q "^FAIL  country group D:5 FR: in the rulepacks, not in the eCFR table" "$T/verify2.out" &&
    t_ok "the failure names group and country" || t_fail "failure line" "$(cat "$T/verify2.out")"
"${PSQL[@]}" -c "DELETE FROM country_groups WHERE citation = 'test row'" >/dev/null
it_done
