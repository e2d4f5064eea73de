#!/usr/bin/env bash
# t_audit: the decision record (issue #7) against a real cluster and eard.
#
# N checks make N decisions with an intact chain; PostgreSQL stopped with
# `pg_ctl stop -m immediate` under a concurrent client and restarted loses
# no answered decision (spool + replay); eard killed with SIGKILL mid-load
# and restarted loses none either; a row edited as superuser is named by
# `earctl audit verify`; a decision replays to its recorded verdict; with
# the database down and the spool full, checks are refused with 503.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

H100='{"as_of":"2024-06-01","destination":"CN","chip":{"name":"NVIDIA H100 SXM","performance":[{"format":"fp8","bits":8,"dense_tops":1979},{"format":"bf16","bits":16,"dense_tops":989.5}],"die_area_mm2":814,"io_bandwidth_gbs":900,"memory_bandwidth_gbs":3350,"datacenter":true}}'

psql_q() {
	"${PSQL[@]}" -c "$1"
}

# load FILE: check after check until $T/stop exists; each answered
# decision id goes to FILE (the client's view of what was answered).
load() {
	local out=$1 code id resp="$1.resp"
	: >"$out"
	while [ ! -e "$T/stop" ]; do
		code=$(curl -s -m 10 -o "$resp" -w '%{http_code}' \
		    --unix-socket "$SOCK" -H 'Content-Type: application/json' \
		    --data-binary "$H100" http://eard/v1/checks/chip 2>/dev/null)
		if [ "$code" = 200 ]; then
			id=$(jq -r .decision_id "$resp")
			[ -n "$id" ] && [ "$id" != null ] && echo "$id" >>"$out"
		fi
	done
	rm -f "$resp"
}

# missing FILE: how many ids of FILE are not in the decisions table.
missing() {
	sort -u "$1" >"$T/answered"
	psql_q "SELECT id FROM decisions" | sort -u >"$T/recorded"
	comm -23 "$T/answered" "$T/recorded" | wc -l
}

# wait_recorded FILE SECONDS: until every answered id is in the table.
wait_recorded() {
	local i
	for i in $(seq 1 $(($2 * 5))); do
		[ "$(missing "$1")" -eq 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# 1. N checks, N decisions, an intact chain.
N=40
ok=0
: >"$T/ids"
for i in $(seq 1 $N); do
	req POST /v1/checks/chip "$H100"
	if [ "$STATUS" = 200 ]; then
		ok=$((ok + 1))
		jqr .decision_id >>"$T/ids"
	fi
done
t_eq "$N checks answered" "$ok" "$N"
t_eq "$N decisions recorded" "$(psql_q "SELECT count(*) FROM decisions")" "$N"
t_eq "each answered decision is in the table" "$(missing "$T/ids")" 0
t_eq "decisions carry their verdict" \
    "$(psql_q "SELECT count(*) FROM decisions WHERE verdict = 'license_required'")" "$N"
t_cmd "audit verify: intact" "$EARCTL" --database "$EARD_ADMIN_DATABASE_URL" \
    audit verify
t_eq "eard cannot update a decision" \
    "$("$(pg_bindir)/psql" -h "$T/run" -U eard -d eard -Atqc \
    "UPDATE decisions SET verdict = 'x'" 2>&1 | grep -c 'permission denied')" 1
t_eq "even the owner cannot delete a decision" \
    "$(psql_q "DELETE FROM decisions" 2>&1 | grep -c 'append-only')" 1

# 2. PostgreSQL stopped (immediate) and restarted under load.
rm -f "$T/stop"
load "$T/ids.pg" &
LOADER=$!
sleep 1
pg_cluster_stop "$T" immediate
sleep 2
answered_down=$(wc -l <"$T/ids.pg")
pg_cluster_start "$T" || it_abort "cluster did not restart"
sleep 2
touch "$T/stop"
wait "$LOADER"
n=$(wc -l <"$T/ids.pg")
t_eq "checks were answered while PostgreSQL was down" \
    "$([ "$n" -gt "$answered_down" ] && [ "$answered_down" -gt 0 ] && echo yes)" yes
if wait_recorded "$T/ids.pg" 20; then
	t_ok "PostgreSQL crash: zero answered decisions missing ($n answered)"
else
	t_fail "PostgreSQL crash: zero answered decisions missing" \
	    "$(missing "$T/ids.pg") of $n missing"
fi
t_eq "no decision recorded twice" \
    "$(psql_q "SELECT count(*) - count(DISTINCT id) FROM decisions")" 0
t_cmd "audit verify after the crash and the replay" "$EARCTL" \
    --database "$EARD_ADMIN_DATABASE_URL" audit verify

# 3. eard killed with SIGKILL under load, then restarted: what was answered
# is in the table or the spool, and the spool replays at start.
rm -f "$T/stop"
load "$T/ids.kill" &
LOADER=$!
sleep 1.5
eard_stop KILL
touch "$T/stop"
wait "$LOADER"
n=$(wc -l <"$T/ids.kill")
eard_start
wait_ready 20 || t_fail "eard ready after SIGKILL" "$BODY"
if wait_recorded "$T/ids.kill" 20; then
	t_ok "eard SIGKILL: zero answered decisions missing ($n answered)"
else
	t_fail "eard SIGKILL: zero answered decisions missing" \
	    "$(missing "$T/ids.kill") of $n missing"
fi

# 3b. SIGKILL while PostgreSQL is down: the spool alone holds them, and
# the restarted eard replays it.
rm -f "$T/stop"
load "$T/ids.spool" &
LOADER=$!
sleep 0.5
pg_cluster_stop "$T" immediate
sleep 1.5
eard_stop KILL
touch "$T/stop"
wait "$LOADER"
n=$(wc -l <"$T/ids.spool")
spooled=$(stat -c %s "$T/spool/decisions.spool" 2>/dev/null || echo 0)
t_eq "decisions answered while down are in the spool" \
    "$([ "$spooled" -gt 0 ] && echo yes)" yes
pg_cluster_start "$T" || it_abort "cluster did not restart"
eard_start
wait_ready 20 || t_fail "eard ready after the spool" "$BODY"
if wait_recorded "$T/ids.spool" 20; then
	t_ok "spool replayed at start: zero answered decisions missing ($n answered)"
else
	t_fail "spool replayed at start: zero answered decisions missing" \
	    "$(missing "$T/ids.spool") of $n missing"
fi
t_eq "spool emptied after replay" \
    "$(stat -c %s "$T/spool/decisions.spool" 2>/dev/null)" 0
t_eq "no decision recorded twice after replays" \
    "$(psql_q "SELECT count(*) - count(DISTINCT id) FROM decisions")" 0
t_cmd "audit verify after SIGKILL and replay" "$EARCTL" \
    --database "$EARD_ADMIN_DATABASE_URL" audit verify

# 4. Replay: the same verdict with its own rules.
id=$(head -n 1 "$T/ids")
if "$EARCTL" --socket "$SOCK" --json replay "$id" >"$T/replay.json" 2>&1; then
	t_ok "earctl replay exits 0 (same verdict)"
else
	t_fail "earctl replay exits 0 (same verdict)" "$(head -c 300 "$T/replay.json")"
fi
t_eq "replay with the original rules gives the recorded verdict" \
    "$(jq -r .original_rules.verdict "$T/replay.json")" license_required
req GET "/v1/decisions/$id"
t_status "GET /v1/decisions/{id}" 200
t_eq "the stored decision is the answered one" "$(jqr .response.decision_id)" "$id"
req GET /v1/decisions/00000000-0000-7000-8000-000000000000
t_status "unknown decision is 404" 404

# 5. One row edited as superuser: verify names it.
victim=$(sed -n 3p "$T/ids")
psql_q "SET session_replication_role = replica;
UPDATE decisions SET response = jsonb_set(response, '{verdict}', '\"no_license_required\"')
WHERE id = '$victim'" >/dev/null
"$EARCTL" --database "$EARD_ADMIN_DATABASE_URL" audit verify >"$T/verify.out" 2>&1
rc=$?
t_eq "audit verify exits 1 on an edited row" "$rc" 1
t_eq "audit verify names the edited decision" \
    "$(grep -c "$victim" "$T/verify.out")" 1

# 6. Database down and the spool full: refuse rather than answer unrecorded.
eard_stop TERM
EARD_SPOOL_MAX_BYTES=1 eard_start
wait_ready 20 || true
pg_cluster_stop "$T" immediate
sleep 1
req POST /v1/checks/chip "$H100"
t_status "database down, spool full: 503" 503
pg_cluster_start "$T"
eard_stop TERM
it_done
