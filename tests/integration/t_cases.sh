#!/usr/bin/env bash
# t_cases: the expert cases against the real daemon on the curated rulepacks.
#
# Runs every line of tests/fixtures/cases.jsonl (the project's own cases)
# and, when ../shared/cases exists, of checks.public.jsonl and
# screen.public.jsonl. A case passes when the verdict, the ECCN (a prefix at
# a paragraph boundary; null means none), the review policy and the text
# verdict are those expected; screening cases check hit and top candidate.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
if ls "$ROOT"/tests/fixtures/csl-sample.json >/dev/null 2>&1; then
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl \
	    "$ROOT/tests/fixtures/csl-sample.json" >"$T/csl.log" 2>&1 || true
fi
if have_shared_data && [ -f "$SHARED/data/regs/csl/consolidated.json" ]; then
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl \
	    "$SHARED/data/regs/csl/consolidated.json" >"$T/csl.log" 2>&1 ||
	    t_fail "import the consolidated screening list" "$(tail -n 2 "$T/csl.log")"
fi
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

# eccn_ok GOT WANT: WANT null matches only null; else a prefix at a boundary.
eccn_ok() {
	local got=$1 want=$2
	if [ "$want" = null ]; then
		[ "$got" = null ]
		return
	fi
	[ "$got" = "$want" ] || [[ "$got" == "$want".* ]]
}

run_case() {
	local line=$1 id endpoint request why want got msg
	id=$(jq -r .id <<<"$line")
	endpoint=$(jq -r .endpoint <<<"$line")
	request=$(jq -c .request <<<"$line")
	why=$(jq -r '.why // ""' <<<"$line")
	req POST "$endpoint" "$request"
	if [ "$STATUS" != 200 ]; then
		t_fail "$id" "HTTP $STATUS: $BODY"
		return
	fi
	msg=
	if [ "$endpoint" = /v1/screen ]; then
		want=$(jq -r '.expect.hit' <<<"$line")
		got=$(jqr 'if .result == "no_match" then "false" else "true" end')
		[ "$got" = "$want" ] || msg+="hit $got (result $(jqr .result)), want $want; "
		want=$(jq -r '.expect.top_contains // empty' <<<"$line")
		if [ -n "$want" ]; then
			got=$(jqr '.candidates[0].name // ""')
			[[ "${got,,}" == *"${want,,}"* ]] || msg+="top candidate '$got' lacks '$want'; "
		fi
	else
		want=$(jq -r '.expect.verdict' <<<"$line")
		got=$(jqr .verdict)
		[ "$got" = "$want" ] || msg+="verdict $got, want $want; "
		if jq -e '.expect | has("eccn")' <<<"$line" >/dev/null; then
			want=$(jq -r '.expect.eccn' <<<"$line")
			got=$(jqr '.classification.eccn')
			eccn_ok "$got" "$want" || msg+="eccn $got, want $want; "
		fi
		want=$(jq -r '.expect.review_policy // empty' <<<"$line")
		if [ -n "$want" ]; then
			got=$(jqr '.review_policy // empty')
			[ "$got" = "$want" ] || msg+="review_policy '$got', want $want; "
		fi
		want=$(jq -r '.expect.text_verdict // empty' <<<"$line")
		if [ -n "$want" ]; then
			got=$(jqr '.text_verdict // .verdict')
			[ "$got" = "$want" ] || msg+="text_verdict $got, want $want; "
		fi
	fi
	if [ -z "$msg" ]; then
		t_ok "$id"
	else
		t_fail "$id" "${msg}why: $why"
	fi
}

run_file() {
	local f=$1 line
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		run_case "$line"
	done <"$f"
}

[ -f "$ROOT/tests/fixtures/cases.jsonl" ] && run_file "$ROOT/tests/fixtures/cases.jsonl"
# Cases whose answer needs the daemon's decision log (quantity caps).
[ -f "$ROOT/tests/fixtures/cases-daemon.jsonl" ] &&
    run_file "$ROOT/tests/fixtures/cases-daemon.jsonl"
if [ -d "$SHARED/cases" ]; then
	IT_REAL=1
	run_file "$SHARED/cases/checks.public.jsonl"
	run_file "$SHARED/cases/screen.public.jsonl"
else
	t_skip "public expert cases" "../shared/cases is absent"
fi
it_done
