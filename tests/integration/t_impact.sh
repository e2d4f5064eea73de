#!/usr/bin/env bash
# t_impact: the change-impact report (issue #7; cli/cmd_impact.c). The
# curated rulepacks and the sample registry (samples/chips.json,
# samples/models.json) in a throwaway cluster; `earctl report impact`
# between two dates and between two ruleset versions names the flips and
# the rules behind them; `earctl import rules` runs it after an import that
# changes the rules, empty registry or not, and keeps it in impact_runs.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
cd "$ROOT" || it_abort "no repository root"
ADMIN=("$EARCTL" --database "$EARD_IMPORT_DATABASE_URL")
sql() {
	"${PSQL[@]}" -c "$1"
}
# keep_rules: record the rules now in ruleset_documents as eard does (the
# version is the SHA-256 of the document's text); prints the version.
keep_rules() {
	sql "INSERT INTO ruleset_documents (version, document)
	    SELECT encode(sha256(convert_to(d::text, 'UTF8')), 'hex'), d::jsonb
	    FROM eard_rules_document() d ON CONFLICT DO NOTHING
	    RETURNING version"
}
# flip ITEM DEST [FIELD]: a field of the flip of ITEM to DEST in $T/out.json.
flip() {
	jq -r --arg i "$1" --arg d "$2" \
	    "[.flips[] | select(.item == \$i and .destination == \$d)] |
	     if length == 0 then \"none\" else .[0].${3:-to_verdict} end" \
	    "$T/out.json"
}

# The packs before 91 FR 1684, then 91 FR 1684, with an empty registry.
packs_before=$(ls rules/[0-9]*.xml | awk -F/ '$2 < "70"')
packs_after=$(ls rules/[0-9]*.xml | awk -F/ '$2 > "70"')
t_cmd "import the packs before 91 FR 1684" "${ADMIN[@]}" import rules \
    $packs_before
case $(cat "$T/cmd.out") in
*"impact: not run (no previous rules"*)
	t_ok "the first import has no previous rules to compare with" ;;
*)	t_fail "the first import has no previous rules to compare with" \
	    "$(tail -n 2 "$T/cmd.out" | tr '\n' ' ')" ;;
esac
v_before=$(keep_rules)
t_cmd "import rules succeeds with an empty registry" "${ADMIN[@]}" import \
    rules rules/70-91FR1684.xml
v_after=$(keep_rules)
t_eq "the import left one run in impact_runs" \
    "$(sql "SELECT count(*) FROM impact_runs")" 1
t_eq "the run compares the rules before and after the import" \
    "$(sql "SELECT from_version = '$v_before' AND to_version = '$v_after'
	AND as_of = current_date FROM impact_runs")" t
t_eq "with an empty registry it determined nothing" \
    "$(sql "SELECT (result->>'items') || ' ' || (result->>'count')
	FROM impact_runs")" "0 0"

t_cmd "import the sample chips" "${ADMIN[@]}" import chips --format json \
    samples/chips.json
t_cmd "import the sample models" "${ADMIN[@]}" import models --format json \
    samples/models.json

# 88 FR 73458 (effective 2023-11-17): 3A090.a.1 and the D:1/D:4 licence
# requirement of 15 CFR 742.6(a)(6)(iii) (RS-3A090.a-dest) for Saudi
# Arabia; the day before, only BIS's letter to NVIDIA of 2023-10-23.
"${ADMIN[@]}" --json report impact --from 2023-11-16 --to 2023-11-17 \
    >"$T/out.json" 2>"$T/err"
t_eq "report impact --from --to exits 0" "$?" 0
t_eq "it determined every sample item for 21 destinations on both dates" \
    "$(jq -r '"\(.items) \(.destinations | length) \(.checks)"' \
    "$T/out.json")" \
    "12 21 504"
t_eq "the checks name a neutral recipient headquartered in the destination" \
    "$(jq -r .recipient "$T/out.json")" \
    "a neutral recipient in the destination, headquartered there"
name="H100 to SA before 88 FR 73458: no licence or the NVIDIA letter"
case $(flip "NVIDIA H100 SXM5" SA from_verdict) in
no_license_required|needs_review)
	t_ok "$name" ;;
*)	t_fail "$name" \
	    "$(flip "NVIDIA H100 SXM5" SA from_verdict)" ;;
esac
t_eq "H100 to SA is license_required from 2023-11-17 (88 FR 73458)" \
    "$(flip "NVIDIA H100 SXM5" SA)" license_required
t_eq "the flip names RS-3A090.a-dest, 15 CFR 742.6(a)(6)(iii), 88 FR 73458" \
    "$(flip "NVIDIA H100 SXM5" SA 'changed[] | select(.id == "RS-3A090.a-dest")
	| "\(.change) \(.citation) \(.rule)"')" \
    "added 15 CFR 742.6(a)(6)(iii) 88 FR 73458"
t_eq "H100 to IL does not flip (Israel is outside D:1, D:4 and D:5)" \
    "$(flip "NVIDIA H100 SXM5" IL)" none
t_eq "published Llama 3.1 405B weights flip nowhere (15 CFR 734.7)" \
    "$(jq '[.flips[] | select(.item == "Meta Llama 3.1 405B")] | length' \
    "$T/out.json")" 0
"${ADMIN[@]}" report impact --from 2023-11-16 --to 2023-11-17 --csv \
    --destinations sa,il >"$T/out.csv" 2>/dev/null
t_eq "CSV has the H100 to SA row with its rule and citation" \
    "$(grep -c '^chip,NVIDIA H100 SXM5,SA,.*+RS-3A090.a-dest.*88 FR 73458' \
    "$T/out.csv")" 1
t_eq "--destinations limits the watch list" \
    "$(tail -n +2 "$T/out.csv" | cut -d, -f3 | sort -u | tr -d '\r' |
    tr '\n' ' ')" "SA "

# The AI diffusion rule (90 FR 4544): its 4E091 weights requirement applies
# from 2025-05-15 in the text, but BIS has not enforced it since 2025-05-13
# (press release): the enforced verdict stays, the text's verdict flips and
# the posture is named.
"${ADMIN[@]}" --json report impact --from 2025-05-14 --to 2025-05-16 \
    >"$T/out.json" 2>"$T/err"
W="Example Closed Frontier Model"
t_eq "3e26-op closed weights to SA: enforced verdict unchanged" \
    "$(flip "$W" SA from_verdict)/$(flip "$W" SA)" \
    "no_license_required/no_license_required"
t_eq "3e26-op closed weights to SA: the text requires a licence (90 FR 4544)" \
    "$(flip "$W" SA to_text_verdict)" license_required
t_eq "the flip names the posture on RS-4E091-worldwide (not enforced)" \
    "$(flip "$W" SA 'changed[] | select(.type == "posture" and
	.id == "RS-4E091-worldwide") | .to')" "not enforced since 2025-05-13"
t_eq "and the text's requirement with its citation (15 CFR 742.6(a)(13))" \
    "$(flip "$W" SA 'changed[] | select(.type == "text_requirement" and
	.id == "RS-4E091-worldwide") | .citation')" "15 CFR 742.6(a)(13)"
t_eq "the chips' worldwide 3A090.a requirement is a posture too" \
    "$(jq '[.flips[] | select(.kind == "chip") | .changed[] |
	select(.type == "posture" and .id == "RS-3A090.a-worldwide")] |
	length > 0' "$T/out.json")" true

# Between two ruleset versions, as of a date after 91 FR 1684: only that
# pack differs, so every change it reports cites it.
"${ADMIN[@]}" --json report impact --from-ruleset "${v_before:0:12}" \
    --to-ruleset "$v_after" --as-of 2026-03-01 >"$T/out.json" 2>"$T/err"
t_eq "report impact --from-ruleset --to-ruleset exits 0" "$?" 0
t_eq "the two sides are the two versions" \
    "$(jq -r '"\(.from.ruleset) \(.to.ruleset)"' "$T/out.json")" \
    "$v_before $v_after"
t_eq "91 FR 1684 changes some verdicts or review policies" \
    "$(jq '.count > 0' "$T/out.json")" true
t_eq "each names the review policy of 91 FR 1684 that changed it" \
    "$(jq '[.flips[] | [.changed[] | select(.type == "review_policy" and
	.change == "added") | .rule] | unique] | unique' -c "$T/out.json")" \
    '[["91 FR 1684"]]'
t_eq "MI300X to CN: presumption of denial to case-by-case (91 FR 1684)" \
    "$(jq -r '.flips[] | select(.item == "AMD Instinct MI300X" and
	.destination == "CN") | "\(.from_review_policy) \(.to_review_policy)"' \
    "$T/out.json")" "presumption_of_denial case_by_case"
"${ADMIN[@]}" --json report impact --from-ruleset "$v_before" \
    --to-ruleset "$v_after" --as-of 2025-06-01 >"$T/out.json" 2>/dev/null
t_eq "before 91 FR 1684 takes effect the two versions agree" \
    "$(jq .count "$T/out.json")" 0

# Mistakes.
"${ADMIN[@]}" report impact --from 2023-13-01 >/dev/null 2>&1
t_eq "an invalid date is a usage error (exit 2)" "$?" 2
"${ADMIN[@]}" report impact --from 2023-11-16 --destinations XYZ \
    >/dev/null 2>&1
t_eq "an invalid destination is a usage error (exit 2)" "$?" 2
"${ADMIN[@]}" report impact --from-ruleset 0123456789ab >/dev/null \
    2>"$T/err"
t_eq "an unknown ruleset version exits 4" "$?" 4
t_eq "and says where versions are kept" \
    "$(grep -c 'no ruleset version "0123456789ab" in ruleset_documents' \
    "$T/err")" 1

# The automatic run with the registry: the packs after 91 FR 1684.
t_cmd "import the packs after 91 FR 1684" "${ADMIN[@]}" import rules \
    $packs_after
case $(grep '^impact: ' "$T/cmd.out") in
"impact: "*" verdicts change from rules "*" as of "*" (12 registry items"*\
" x 21 destinations); run 2, see earctl report impact")
	t_ok "the import printed the run's one-line summary" ;;
*)	t_fail "the import printed the run's one-line summary" \
	    "$(grep '^impact: ' "$T/cmd.out")" ;;
esac
t_eq "it left a second run in impact_runs" \
    "$(sql "SELECT count(*) FROM impact_runs")" 2
t_eq "the run determined the 12 registry items" \
    "$(sql "SELECT result->>'items' FROM impact_runs WHERE id = 2")" 12
"${ADMIN[@]}" report impact --direct --csv >"$T/stored.csv" 2>"$T/err"
t_eq "report impact without dates shows the latest kept run" \
    "$(($(wc -l <"$T/stored.csv") - 1))" \
    "$(sql "SELECT result->>'count' FROM impact_runs WHERE id = 2")"
"${ADMIN[@]}" report impact --direct --csv --run 1 >"$T/stored.csv" 2>"$T/err"
t_eq "--run names an earlier run" "$(wc -l <"$T/stored.csv")" 1
t_cmd "re-importing the same packs changes nothing" "${ADMIN[@]}" import \
    rules $packs_after
t_eq "and runs no impact" "$(sql "SELECT count(*) FROM impact_runs")" 2
t_eq "eard's role can read the runs (eard_reader)" \
    "$("$(pg_bindir)/psql" "$EARD_DATABASE_URL" -Atq -c \
    "SELECT count(*) FROM impact_runs" 2>&1)" 2

# The report list names impact.
eard_start
"$EARCTL" --socket "$SOCK" --json report >"$T/list.json" 2>"$T/err"
t_eq "earctl report lists impact" \
    "$(jq -r '.[] | select(.name == "impact") | .name' "$T/list.json")" impact
eard_stop TERM
it_done
