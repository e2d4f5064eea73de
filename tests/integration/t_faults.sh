#!/usr/bin/env bash
# t_faults: faults of issue #8 that t_audit.sh does not inject (it covers
# PostgreSQL stopped -m immediate under load, SIGKILL under load, spool
# replay and a full spool). Here: SIGHUP and a rules re-import under load
# from a concurrent client (no failed request), the database role lacking a
# privilege, and a database migrated only up to 010: a clear reason, no crash.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

H100='{"as_of":"2024-06-01","destination":"CN","chip":{"name":"NVIDIA H100 SXM","performance":[{"format":"fp8","bits":8,"dense_tops":1979}],"die_area_mm2":814,"io_bandwidth_gbs":900,"memory_bandwidth_gbs":3350,"datacenter":true}}'

# load SECONDS: a client checking the H100 in a loop; one status a line in
# $T/load.out.
load() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --unix-socket "$SOCK" \
		    -H 'Content-Type: application/json' --data-binary "$H100" \
		    http://eard/v1/checks/chip
	done >"$T/load.out" 2>/dev/null
}

# 1. SIGHUP and a rules import while a client checks.
load 8 &
lp=$!
sleep 1
for _ in 1 2 3; do
	kill -HUP "$EARD_PID"
	sleep 0.5
done
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import rules \
    "$ROOT"/rules/[0-9]*.xml >"$T/reimport.log" 2>&1 ||
    t_fail "rules re-import under load" "$(tail -n 2 "$T/reimport.log")"
kill -HUP "$EARD_PID"
wait "$lp"
total=$(grep -c . "$T/load.out")
failed=$(grep -vc '^200$' "$T/load.out")
[ "$total" -gt 5 ] && t_ok "load held during SIGHUP x4 and a re-import ($total checks)" ||
    t_fail "load held during SIGHUP x4 and a re-import" "$total checks"
t_eq "no failed request during SIGHUP and the re-import" "$failed" 0
kill -0 "$EARD_PID" 2>/dev/null && t_ok "eard alive after SIGHUP" ||
    t_fail "eard alive after SIGHUP"
echo "# faults: $total checks under SIGHUP x4 + rules import, $failed failed"

# 2. The rules function revoked: eard starts, is not ready, says why.
eard_stop TERM
"${PSQL[@]}" -c "REVOKE EXECUTE ON FUNCTION eard_rules_document() FROM eard_reader, PUBLIC" ||
    t_fail "revoke eard_rules_document()"
eard_start
sleep 2
req GET /readyz
t_status "rules function revoked: readyz 503" 503
case "$(jqr .reason) $(jqr .detail)" in
*"rules not loaded"*"permission denied"*) t_ok "readyz says rules not loaded: permission denied" ;;
*) t_fail "readyz says rules not loaded: permission denied" "$BODY" ;;
esac
req POST /v1/checks/chip "$H100"
case $STATUS in
503) t_ok "a check without rules is 503, not answered" ;;
*) t_fail "a check without rules is 503, not answered" "$STATUS $BODY" ;;
esac
kill -0 "$EARD_PID" 2>/dev/null && t_ok "eard alive without its privilege" ||
    t_fail "eard alive without its privilege" "$(tail -n 5 "$T/eard.log")"
grep -qi "permission denied" "$T/eard.log" &&
    t_ok "the log names the denied permission" ||
    t_fail "the log names the denied permission" "$(tail -n 5 "$T/eard.log")"
"${PSQL[@]}" -c "GRANT EXECUTE ON FUNCTION eard_rules_document() TO eard_reader"
eard_stop TERM

# 3. decisions_append_hashed (the writer's function, schema/080) revoked:
# answered checks are kept (spool), none lost.
APPEND_FN="decisions_append_hashed(text, text, bigint[], text[])"
"${PSQL[@]}" -c "REVOKE EXECUTE ON FUNCTION $APPEND_FN FROM eard_writer, PUBLIC"
eard_start
wait_ready 20 || t_fail "ready without decisions_append" "$BODY"
req POST /v1/checks/chip "$H100"
case $STATUS in
200|503) t_ok "check without decisions_append: 200 (spooled) or 503 ($STATUS)" ;;
*) t_fail "check without decisions_append: 200 (spooled) or 503" "$STATUS $BODY" ;;
esac
sleep 2
kill -0 "$EARD_PID" 2>/dev/null && t_ok "eard alive without decisions_append" ||
    t_fail "eard alive without decisions_append" "$(tail -n 5 "$T/eard.log")"
grep -qi "permission denied.*decisions_append_hashed\|decisions_append_hashed.*permission denied" "$T/eard.log" &&
    t_ok "the log names decisions_append_hashed" ||
    t_fail "the log names decisions_append_hashed" "$(grep -i denied "$T/eard.log" | tail -n 2)"
"${PSQL[@]}" -c "GRANT EXECUTE ON FUNCTION $APPEND_FN TO eard_writer"
eard_stop TERM

# 4. A database migrated only up to 010.
"$(pg_bindir)/createdb" -h "$T/run" -U postgres -O postgres eard010 ||
    it_abort "createdb eard010"
mkdir -p "$T/schema010"
cp "$ROOT"/schema/00*.sql "$ROOT"/schema/010_*.sql "$T/schema010/"
"$EARCTL" --database "host=$T/run dbname=eard010 user=postgres" db migrate \
    --schema-dir "$T/schema010" >"$T/m010.log" 2>&1 ||
    t_fail "migrate up to 010" "$(tail -n 2 "$T/m010.log")"
"$EARCTL" --database "host=$T/run dbname=eard010 user=eard_admin" import rules \
    "$ROOT"/rules/[0-9]*.xml >>"$T/m010.log" 2>&1
: >"$T/eard.log"
rm -f "$T"/spool/*
EARD_DATABASE_URL="host=$T/run dbname=eard010 user=eard" eard_start
wait_ready 10
# Known gap: readyz does not check the schema version, so it says ready;
# checks are answered and spooled, and the log names the missing function.
echo "# database at 010: readyz $STATUS"
req POST /v1/checks/chip "$H100"
echo "# database at 010: check $STATUS"
sleep 2
if grep -qi "decision_chains.*does not exist\|decisions_append.*does not exist" "$T/eard.log"; then
	t_ok "database at 010: the log names what is missing ($(grep -hoi 'relation "decision_chains" does not exist\|function decisions_append[^"]*does not exist' "$T/eard.log" | head -n 1))"
else
	t_fail "database at 010: the log names what is missing" "$(tail -n 3 "$T/eard.log")"
fi
kill -0 "$EARD_PID" 2>/dev/null && t_ok "eard alive against a database at 010" ||
    t_fail "eard alive against a database at 010" "$(tail -n 5 "$T/eard.log")"
it_done
