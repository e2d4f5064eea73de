#!/usr/bin/env bash
# t_screen: party screening end to end against the real eard. The fixture
# CSL is imported; every public screening case (../shared/cases, skipped
# when absent) and every case of tests/fixtures/screen-cases.jsonl is
# POSTed to /v1/screen; batch screening; GET /v1/lists and the readiness
# warning on a stale list; a disposition stays reviewed across screenings
# and lapses when a re-import changes the entry; `earctl report rescreen`
# lists who changed; checks whose recipient is on the Entity List.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "import the rulepacks"
imp() {
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl "$1" \
	    >"$T/import.out" 2>&1
}
imp "$ROOT/tests/fixtures/csl-sample.json" ||
    it_abort "import csl: $(cat "$T/import.out")"
eard_start
wait_ready 20 || it_abort "eard ready: $BODY"

# wait_lists COND: until GET /v1/lists satisfies the jq condition.
wait_lists() {
	for _ in $(seq 1 100); do
		req GET /v1/lists
		[ "$(jqr "$1")" = true ] && return 0
		sleep 0.1
	done
	return 1
}
wait_lists '.parties > 0' || t_fail "the lists load" "$BODY"

# run_cases FILE: each line {id, request, expect: {hit, top_contains}}.
run_cases() {
	local line id want top got
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		id=$(jq -r .id <<<"$line")
		req POST /v1/screen "$(jq -c .request <<<"$line")"
		if [ "$STATUS" != 200 ]; then
			t_fail "$id screened" "HTTP $STATUS: $BODY"
			continue
		fi
		want=$(jq -r .expect.hit <<<"$line")
		got=$([ "$(jqr .result)" != no_match ] && echo true || echo false)
		if [ "$got" != "$want" ]; then
			t_fail "$id: $(jq -r .why <<<"$line")" \
			    "result $(jqr .result), top $(jqr '.candidates[0].name') $(jqr '.candidates[0].score')"
			continue
		fi
		top=$(jq -r '.expect.top_contains // empty' <<<"$line")
		if [ -n "$top" ] && ! jqr '.candidates[0].name' |
		    grep -qiF -- "$top"; then
			t_fail "$id: $(jq -r .why <<<"$line")" \
			    "top is $(jqr '.candidates[0].name'), want $top"
			continue
		fi
		t_ok "$id: $(jq -r .why <<<"$line")"
	done <"$1"
}
if [ -f "$SHARED/cases/screen.public.jsonl" ]; then
	run_cases "$SHARED/cases/screen.public.jsonl"
else
	t_skip "public screening cases" "../shared/cases is absent"
fi
run_cases "$ROOT/tests/fixtures/screen-cases.jsonl"

# A no_match is never a clearance: it names the list versions.
req POST /v1/screen '{"name": "Acme Robotics GmbH", "country": "DE"}'
t_eq "no_match says it is not a clearance" \
    "$(jqr '.note | test("not a clearance")')" true
t_eq "a screening is a decision with an id" \
    "$(jqr '.decision_id | length > 0')" true
req POST /v1/screen '{"name": "Huawei Technologies Co Ltd", "country": "CN"}'
t_eq "a candidate explains its score word by word" \
    "$(jqr '.candidates[0].explanation.tokens | length > 0')" true

# Batch: one result per party, in order.
req POST /v1/screen '{"parties": [{"name": "YMTC", "country": "CN"},
    {"name": "Energy Holdings", "country": "US"}, {"name": "CETC"}]}'
t_status "batch screening answers 200" 200
t_eq "batch gives one result per party" "$(jqr '.results | length')" 3
t_eq "batch results in order" \
    "$(jqr '[.results[].result != "no_match"] | map(tostring) | join(",")')" \
    "true,false,true"
req POST /v1/screen '{"parties": []}'
t_status "an empty batch is 400" 400

# GET /v1/lists: each list's own version, count and age.
req GET /v1/lists
t_eq "lists: the Entity List has its parties" \
    "$(jqr '.lists.EL.parties')" \
    "$(jq '[.results[] | select(.source | test("\\(EL\\)"))] | length' \
    "$ROOT/tests/fixtures/csl-sample.json")"
t_eq "lists: each list names its version" \
    "$(jqr '[.lists[] | .version | test("^csl ")] | all')" true
t_eq "lists: a fresh import is 0 days old and not stale" \
    "$(jqr '[.lists.EL.age_days, .lists.EL.stale] | map(tostring) | join(",")')" \
    "0,false"
"$EARCTL" lists >"$T/lists.out" 2>&1
t_eq "earctl lists shows the Entity List" "$(grep -c '^EL ' "$T/lists.out")" 1

# A list older than lists_max_age_days: readyz warns but stays ready.
"${PSQL[@]}" -c "UPDATE list_versions SET data_date = current_date - 30;
    NOTIFY lists_changed" >/dev/null
wait_lists '.lists.EL.stale' || t_fail "the stale list reloads" "$BODY"
req GET /readyz
t_status "readyz stays 200 with a stale list" 200
t_eq "readyz warns about the stale list" \
    "$(jqr '[.warnings[]? | test("EL is 30 days old")] | any')" true

# Dispositions: KAL TEK LABS (DPL) is a match until counsel says otherwise.
req POST /v1/screen '{"name": "Kal Tek Labs", "country": "US"}'
t_eq "Kal Tek Labs is a match" "$(jqr .result)" match
eid=$(jqr '.candidates[0].entry_id')
req POST /v1/dispositions "{\"party_name\": \"Kal Tek Labs\",
    \"entry_id\": \"$eid\", \"disposition\": \"false_positive\",
    \"note\": \"our supplier in Ohio, not the listed lab\"}"
t_status "a disposition is recorded" 201
for n in 1 2; do
	req POST /v1/screen '{"name": "KAL-TEK Labs", "country": "US"}'
	t_eq "screening $n after: the false positive stays reviewed" \
	    "$(jqr '[.result, .candidates[0].disposition.disposition,
	    (.candidates[0].disposition.lapsed | tostring)] | join(",")')" \
	    "no_match,false_positive,false"
done
"$EARCTL" screen "Kal Tek Labs" --country US >"$T/screen.out" 2>&1
t_eq "earctl screen exits 0 on a reviewed no_match" "$?" 0
t_eq "earctl screen shows the disposition and its note" \
    "$(grep -c 'false_positive by .*not the listed lab' "$T/screen.out")" 1
"$EARCTL" screen "Huawei Technologies" --country CN >"$T/screen.out" 2>&1
t_eq "earctl screen exits 20 on a match" "$?" 20
t_eq "earctl screen prints why" "$(grep -c 'words huawei' "$T/screen.out")" \
    "$(grep -c '^[0-9.]* *match' "$T/screen.out")"
"$EARCTL" screen dispose --party "Kal Tek Labs" --entry NOPE \
    --confirmed >"$T/out" 2>&1
t_eq "dispose of an entry that is not a candidate exits 4" "$?" 4
"$EARCTL" screen dispose --party "Kal Tek Labs" --entry "$eid" \
    >"$T/out" 2>&1
t_eq "dispose without a decision is a usage error" "$?" 2

# A new list version: KAL TEK LABS changes (the disposition lapses) and
# Acme Robotics GmbH, screened clean above, is added to the Entity List.
jq '.results |= (map(if .name == "KAL TEK LABS"
	then .federal_register_notice = "91 FR 1" else . end) + [{
	"name": "Acme Robotics GmbH", "alt_names": [],
	"source": "Entity List (EL) - Bureau of Industry and Security",
	"addresses": [{"country": "DE"}],
	"license_requirement": "For all items subject to the EAR.",
	"license_policy": "Presumption of denial",
	"federal_register_notice": "91 FR 2"}])' \
    "$ROOT/tests/fixtures/csl-sample.json" >"$T/csl-v2.json"
imp "$T/csl-v2.json"
t_eq "the changed list imports" "$?" 0
t_eq "the import reports rescreened changes" \
    "$(grep -c 'changed' "$T/import.out")" 1
wait_lists '[.lists[] | .list_version] | max > 1' ||
    t_fail "the new version loads" "$BODY"
req POST /v1/screen '{"name": "Kal Tek Labs", "country": "US"}'
t_eq "the changed entry lapses the disposition: match again" \
    "$(jqr '[.result, (.candidates[0].disposition.lapsed | tostring)] |
    join(",")')" "match,true"
"$EARCTL" --csv report rescreen >"$T/rescreen.csv" 2>"$T/rescreen.err"
t_eq "earctl report rescreen exits 0" "$?" 0
t_eq "report rescreen: Acme Robotics became a match on the new EL entry" \
    "$(grep -c '^[^,]*,Acme Robotics GmbH,DE,no_match,match,-,EL:[^,]*,Acme Robotics GmbH,EL,' "$T/rescreen.csv")" 1
t_eq "report rescreen: Kal Tek Labs, reviewed, became a match again" \
    "$(grep -c ',Kal Tek Labs,US,no_match,match,' "$T/rescreen.csv")" 1
t_eq "report rescreen: unchanged parties are not listed" \
    "$(grep -c ',YMTC,' "$T/rescreen.csv")" 0

# Checks screen the recipient. An A800 to China on 2023-01-01 needs no
# licence by itself (expert case C03) but Yangtze Memory Technologies is on
# the Entity List (15 CFR 744 Supp. 4, 87 FR 77508, 2022-12-19): a licence
# for all items subject to the EAR, presumption of denial.
a800='"chip": {"name": "NVIDIA A800 SXM4", "performance": [{"format":
    "fp16", "bits": 16, "dense_tops": 312}], "die_area_mm2": 826,
    "io_bandwidth_gbs": 400, "memory_bandwidth_gbs": 2039,
    "datacenter": true}'
req POST /v1/checks/chip "{\"as_of\": \"2023-01-01\", \"destination\": \"CN\",
    $a800, \"export_type\": \"export\", \"recipient\": {\"name\":
    \"Example Customer Ltd\", \"headquarters\": \"CN\"}}"
t_eq "A800 to an unlisted customer in CN: no licence (C03)" \
    "$(jqr .verdict)" no_license_required
req POST /v1/checks/chip "{\"as_of\": \"2023-01-01\", \"destination\": \"CN\",
    $a800, \"export_type\": \"export\", \"recipient\": {\"name\":
    \"Yangtze Memory Technologies Company Limited\",
    \"headquarters\": \"CN\"}}"
t_eq "A800 to YMTC: license_required (Entity List)" \
    "$(jqr .verdict)" license_required
t_eq "the requirement quotes the list's own words" \
    "$(jqr '[.requirements[] | select(.kind == "entity_list") | .note] |
    any(test("For All Items Subject to the EAR"))')" true
t_eq "the requirement cites the FR notice (87 FR 77508)" \
    "$(jqr '[.requirements[] | select(.kind == "entity_list") | .citation] |
    any(test("87 FR 77508"))')" true
t_eq "the review policy is the list's (presumption of denial)" \
    "$(jqr .review_policy)" presumption_of_denial
req POST /v1/checks/weights '{"as_of": "2025-06-01", "destination": "CN",
    "release": "export", "model": {"name": "Meta Llama 3.1 405B",
    "published": true, "training_ops": 3.8e+25}, "export_type": "export",
    "recipient": {"name": "Yangtze Memory Technologies Co Ltd",
    "headquarters": "CN"}}'
t_eq "published weights to YMTC stay not_subject (15 CFR 734.7)" \
    "$(jqr .verdict)" not_subject
it_done
