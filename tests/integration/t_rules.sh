#!/usr/bin/env bash
# t_rules: the rulepacks into a real PostgreSQL through `earctl import
# rules` (importers/rulepack.c): the document matches the committed fixture,
# re-import is idempotent, a bad pack in a multi-file import changes nothing
# and names file:line:element, the exclusion constraint refuses overlapping
# versions, NOTIFY rules_changed is sent, and the daemon's role can read the
# document.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
cd "$ROOT" || it_abort "no repository root"
BADDIR=tests/fixtures/rulepacks
IMPORT=("$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import rules)

# The state the failed imports must leave untouched.
snapshot() {
	"${PSQL[@]}" -c "SELECT md5(eard_rules_document()::text) ||
	    (SELECT string_agg(id || sha256 || imported_at, ',' ORDER BY id)
	     FROM rulepacks)"
}

t_cmd "import every curated pack as eard_admin" "${IMPORT[@]}" rules/[0-9]*.xml
npacks=$(ls rules/[0-9]*.xml | wc -l)
t_eq "one rulepacks row per file" \
    "$("${PSQL[@]}" -c "SELECT count(*) FROM rulepacks")" "$npacks"
t_eq "one source per pack" \
    "$("${PSQL[@]}" -c "SELECT count(*) FROM rule_sources")" "$npacks"

# 88 FR 73458 closes the 2022 3A090.a and opens 3A090.a.1 the same day.
t_eq "3A090.a (2022) ends where 3A090.a.1 starts" \
    "$("${PSQL[@]}" -c "SELECT upper(valid) FROM classification_rules
	WHERE rule_id = '3A090.a'")|$("${PSQL[@]}" -c "SELECT lower(valid)
	FROM classification_rules WHERE rule_id = '3A090.a.1'")" \
    "2023-11-17|2023-11-17"
# 88 FR 2821 (Macau): version 2 of the China requirement.
t_eq "RS-3A090-china has two versions, the second from 2023-01-18" \
    "$("${PSQL[@]}" -c "SELECT string_agg(version || ':' || valid::text, ' '
	ORDER BY version) FROM licence_requirements
	WHERE rule_id = 'RS-3A090-china'")" \
    "1:[2022-10-07,2023-01-18) 2:[2023-01-18,2023-11-17)"
# 89 FR 40369: Cyprus out of D:5 on 2024-05-30.
t_eq "Cyprus in D:5 until 2024-05-30" \
    "$("${PSQL[@]}" -c "SELECT upper(valid) FROM country_groups
	WHERE grp = 'D:5' AND country = 'CY'")" "2024-05-30"

# The committed fixture is what the packs produce.
"${PSQL[@]}" -c "SELECT eard_rules_document()" | jq -S . >"$T/doc.json"
if jq -S . tests/fixtures/rules-document.json | cmp -s - "$T/doc.json"; then
	t_ok "tests/fixtures/rules-document.json is up to date"
else
	t_fail "tests/fixtures/rules-document.json is up to date" \
	    "run scripts/gen-rules-fixture.sh and commit"
fi

# Idempotent: the same packs again change nothing.
before=$(snapshot)
out=$("${IMPORT[@]}" --json rules/[0-9]*.xml 2>&1 || true)
t_eq "re-import reports every pack unchanged" \
    "$(printf '%s' "$out" | jq -r '"\(.imported) \(.unchanged) \(.rows)"' 2>/dev/null)" \
    "0 $npacks 0"
t_eq "re-import leaves tables and timestamps as they were" \
    "$(snapshot)" "$before"

# A bad pack among good ones: nothing is imported, the error says where.
out=$("${IMPORT[@]}" $BADDIR/good-extra.xml $BADDIR/bad-unknown-fact.xml 2>&1)
t_eq "a schema-valid pack with an unknown fact fails the import" \
    "$([ $? -ne 0 ] && echo failed)" failed
case $out in
*"$BADDIR/bad-unknown-fact.xml:9: <requirement id=\"x\">: unknown fact \"tppp\""*)
	t_ok "the error names file, line and element" ;;
*)	t_fail "the error names file, line and element" "$out" ;;
esac
t_eq "the good pack beside it was not imported" "$(snapshot)" "$before"

# Errors only the database sees roll everything back too.
out=$("${IMPORT[@]}" $BADDIR/good-extra.xml $BADDIR/bad-end.xml 2>&1)
t_eq "ending a rule nobody opened fails" "$([ $? -ne 0 ] && echo failed)" failed
case $out in
*"bad-end.xml:5: <end id=\"no-such-rule\">: no open version"*)
	t_ok "the end error names file, line and element" ;;
*)	t_fail "the end error names file, line and element" "$out" ;;
esac
t_eq "nothing changed after the failed end" "$(snapshot)" "$before"

out=$("${IMPORT[@]}" $BADDIR/bad-overlap.xml 2>&1)
t_eq "a second open version of RS-3A090-hq fails" \
    "$([ $? -ne 0 ] && echo failed)" failed
case $out in
*"bad-overlap.xml:6: <requirement id=\"RS-3A090-hq\">: conflicting key value violates exclusion constraint"*)
	t_ok "the exclusion constraint names the pack's element" ;;
*)	t_fail "the exclusion constraint names the pack's element" "$out" ;;
esac
t_eq "nothing changed after the overlap" "$(snapshot)" "$before"

# The constraint itself, straight in SQL (as eard_admin would write).
err=$("$(pg_bindir)/psql" "$EARD_IMPORT_DATABASE_URL" -v ON_ERROR_STOP=1 -Atq \
    -c "INSERT INTO licence_requirements (rule_id, version, kind, reason,
	item, predicate, effect, exceptions, valid, source_id, citation)
	VALUES ('RS-3A090.c', 9, 'ccl', 'RS', 'chip', '[\"true\"]', 'license',
	true, daterange('2025-01-01', NULL), '89FR96790', 'test')" 2>&1)
case $err in
*"exclusion constraint"*) t_ok "SQL insert of an overlapping version is refused" ;;
*)	t_fail "SQL insert of an overlapping version is refused" "$err" ;;
esac
err=$("$(pg_bindir)/psql" "$EARD_IMPORT_DATABASE_URL" -v ON_ERROR_STOP=1 -Atq \
    -c "INSERT INTO country_groups (grp, country, valid, source_id, citation)
	VALUES ('D:5', 'CN', daterange('2024-01-01', '2024-02-01'), 'CG-base',
	'test')" 2>&1)
case $err in
*"exclusion constraint"*) t_ok "an overlapping group membership is refused" ;;
*)	t_fail "an overlapping group membership is refused" "$err" ;;
esac

# A new pack: imported, the tables rebuilt, NOTIFY rules_changed on commit.
("$(pg_bindir)/psql" "$EARD_ADMIN_DATABASE_URL" -Atq \
    -c "LISTEN rules_changed" -c "SELECT pg_sleep(3)" -c "SELECT 1" \
    >"$T/listen.out" 2>&1) &
listener=$!
sleep 1
t_cmd "a new valid pack imports" "${IMPORT[@]}" $BADDIR/good-extra.xml
wait "$listener"
if grep -q 'notification "rules_changed"' "$T/listen.out"; then
	t_ok "NOTIFY rules_changed reaches a listener"
else
	t_fail "NOTIFY rules_changed reaches a listener" "$(cat "$T/listen.out")"
fi
t_eq "its parameter is in the document" \
    "$("${PSQL[@]}" -c "SELECT p->>'value' FROM
	json_array_elements(eard_rules_document()->'params') p
	WHERE p->>'name' = 'test.extra'")" "42"
t_eq "the curated rules are all still there" \
    "$("${PSQL[@]}" -c "SELECT count(*) FROM rule_sources")" "$((npacks + 1))"

# The daemon's role reads the document and cannot write rules.
t_eq "eard (reader) can fetch the document" \
    "$("$(pg_bindir)/psql" "$EARD_DATABASE_URL" -Atq \
	-c "SELECT json_array_length(eard_rules_document()->'requirements') > 10")" "t"
err=$("$(pg_bindir)/psql" "$EARD_DATABASE_URL" -Atq \
    -c "DELETE FROM licence_requirements" 2>&1)
case $err in
*"permission denied"*) t_ok "eard cannot change the rules" ;;
*)	t_fail "eard cannot change the rules" "$err" ;;
esac

# earctl rules validate: no database.
t_cmd "earctl rules validate accepts every curated pack" \
    "$EARCTL" rules validate rules/[0-9]*.xml
if "$EARCTL" rules validate $BADDIR/bad-range.xml >"$T/v.out" 2>&1; then
	t_fail "earctl rules validate refuses a bad pack"
else
	t_ok "earctl rules validate refuses a bad pack"
fi

it_done
