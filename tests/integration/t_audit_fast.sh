#!/usr/bin/env bash
# t_audit_fast: the decision log's group commit with writer-side hashes
# (schema/080_decisions_fast.sql, daemon/audit.c; issue #9 with #7's
# guarantees), against a real cluster and real eards.
#
# decisions_append_hashed() called directly as role eard: a batch across a
# month boundary opens the new chain from the old one's head; hashes
# computed on stale heads are refused ('moved') and nothing is inserted; a
# replayed decision already present is refused ('duplicate'); a wrong hash
# is refused. Two eard instances appending concurrently on one database
# keep one intact chain. A COMMIT held past AUDIT_COMMIT_TIMEOUT is spooled
# and answered; eard is then killed with SIGKILL, the held commit completes
# after all, and the restarted eard replays the spool, skipping what is
# already recorded.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"

PSQL_EARD=("$(pg_bindir)/psql" -h "$T/run" -U eard -d eard -Atq)

psql_q() {
	"${PSQL[@]}" -c "$1"
}

# chain_hash PREVHEX CANONICAL: SHA-256(prev bytes || canonical), hex.
chain_hash() {
	{ printf '%s' "$1" | xxd -r -p; printf '%s' "$2"; } |
	    openssl dgst -sha256 -r | cut -c1-64
}

# canon ID AT_US VERDICT: a canonical form as core/canon.c writes it
# (sorted keys, compact), which `earctl audit verify` recomputes.
canon() {
	printf '{"at_us":%s,"id":"%s","kind":"chip","lists_version":null,"request":{"destination":"CN"},"requester":"t_audit_fast","response":{"verdict":"%s"},"ruleset_version":null}' \
	    "$2" "$1" "$3"
}

# append CANONS HASHES TIMES [IDS]: call the function as role eard; prints
# its rows (status|chain|head_seq).
append() {
	"${PSQL_EARD[@]}" -v c="$1" -v h="$2" -v a="$3" -v i="${4:-}" <<'SQL'
SELECT status, chain, head_seq FROM decisions_append_hashed(:'c', :'h',
    :'a'::bigint[], nullif(:'i', '')::text[]);
SQL
}

ZERO=$(printf '0%.0s' $(seq 1 64))

# 1. A batch across a month boundary, far enough ahead that its partitions
# are created on demand: 2030-01-31T23:59:59.999999Z, 2030-02-01T00:00Z.
A1=1896134399999999
A2=1896134400000000
C1=$(canon m1 $A1 not_subject)
C2=$(canon m2 $A2 no_license_required)
H1=$(chain_hash "$ZERO" "$C1")
H2=$(chain_hash "$H1" "$C2")
out=$(append "$C1"$'\n'"$C2" "$H1$H2" "{$A1,$A2}" 2>&1)
t_eq "month boundary: both chains appended" "$out" \
    "ok|2030-01|1"$'\n'"ok|2030-02|1"
t_eq "month boundary: 2030-02 opens from 2030-01's head" \
    "$(psql_q "SELECT prev_chain, prev_seq, encode(genesis_prev, 'hex') FROM decision_chains WHERE chain = '2030-02'")" \
    "2030-01|1|$H1"
t_eq "month boundary: rows in their month partitions" \
    "$(psql_q "SELECT string_agg(tableoid::regclass::text || ':' || seq, ',' ORDER BY decided_at) FROM decisions")" \
    "decisions_203001:1,decisions_203002:1"
t_eq "the row's columns come from its canonical form" \
    "$(psql_q "SELECT id, kind, requester, verdict, request->>'destination', (extract(epoch FROM decided_at) * 1000000)::bigint FROM decisions WHERE id = 'm2'")" \
    "m2|chip|t_audit_fast|no_license_required|CN|$A2"
t_cmd "month boundary: audit verify intact" "$EARCTL" --database \
    "$EARD_ADMIN_DATABASE_URL" audit verify

# 2. Hashes chained on a stale head (another writer moved it): refused,
# with the current heads, and nothing inserted.
A3=$((A2 + 1))
C3=$(canon m3 $A3 not_subject)
out=$(append "$C3" "$(chain_hash "$H1" "$C3")" "{$A3}" 2>&1)
t_eq "stale head: 'moved' with the current heads" "$out" \
    "moved||"$'\n'"moved|2030-01|1"$'\n'"moved|2030-02|1"
t_eq "stale head: nothing inserted" \
    "$(psql_q "SELECT count(*) FROM decisions WHERE id = 'm3'")" 0
out=$(append "$C3" "$(chain_hash "$H2" "$C3")" "{$A3}" 2>&1)
t_eq "recomputed on the current head: appended" "$out" "ok|2030-02|2"

# 3. A wrong hash and a time that is not the canonical form's: refused.
A4=$((A3 + 1))
C4=$(canon m4 $A4 not_subject)
H3=$(chain_hash "$H2" "$C3")
out=$(append "$C4" "$(chain_hash "$H3" "x$C4")" "{$A4}" 2>&1 | head -n 1)
t_eq "a hash not over the canonical form is refused" "$out" "moved||"
out=$(append "$C4" "$(chain_hash "$H3" "$C4")" "{$((A4 + 1))}" 2>&1 |
    head -n 1)
t_eq "a time not the canonical form's is refused" "$out" "moved||"
t_eq "eard cannot insert a decision directly" \
    "$("${PSQL_EARD[@]}" -c "INSERT INTO decisions (id, decided_at, kind, request, response, chain, seq, prev_hash, hash) VALUES ('x', now(), 'chip', '{}', '{}', 'x', 1, '', '')" 2>&1 | grep -c 'permission denied')" 1

# 4. A replayed decision that is already there: 'duplicate', nothing in.
out=$(append "$C3" "$(chain_hash "$H3" "$C3")" "{$A3}" "{m3}" 2>&1)
t_eq "replay of a recorded decision: 'duplicate'" "$out" "duplicate||"
t_eq "replay of a recorded decision: still once" \
    "$(psql_q "SELECT count(*) FROM decisions WHERE id = 'm3'")" 1
t_cmd "audit verify intact after the refusals" "$EARCTL" --database \
    "$EARD_ADMIN_DATABASE_URL" audit verify

# 5. Two eard instances on one database, appending at once.
H100='{"as_of":"2024-06-01","destination":"CN","chip":{"name":"NVIDIA H100 SXM","performance":[{"format":"fp8","bits":8,"dense_tops":1979},{"format":"bf16","bits":16,"dense_tops":989.5}],"die_area_mm2":814,"io_bandwidth_gbs":900,"memory_bandwidth_gbs":3350,"datacenter":true}}'
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"
mkdir -p "$T/spool2"
printf 'spool_dir = %s\nlog_level = debug\n' "$T/spool2" >"$T/eard2.conf"
"$EARD" -f -c "$T/eard2.conf" --socket "$T/eard2.sock" \
    --database-url "$EARD_DATABASE_URL" >>"$T/eard2.log" 2>&1 &
EARD2_PID=$!
for _ in $(seq 1 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket \
	    "$T/eard2.sock" http://eard/readyz)" = 200 ] && break
	sleep 0.1
done

# burst SOCK OUT N: N checks, 4 at a time; answered ids to OUT.
burst() {
	local sock=$1 out=$2 n=$3 k
	: >"$out"
	for k in $(seq 1 "$n"); do
		printf '%s\n' "$k"
	done | xargs -P 4 -I{} curl -s -m 20 --unix-socket "$sock" \
	    -H 'Content-Type: application/json' --data-binary "$H100" \
	    http://eard/v1/checks/chip -o "$out.{}"
	cat "$out".* 2>/dev/null | jq -r '.decision_id // empty' >"$out"
	rm -f "$out".*
}
before=$(psql_q "SELECT count(*) FROM decisions")
burst "$SOCK" "$T/ids.a" 150 &
P1=$!
burst "$T/eard2.sock" "$T/ids.b" 150 &
P2=$!
wait $P1 $P2
na=$(wc -l <"$T/ids.a")
nb=$(wc -l <"$T/ids.b")
t_eq "two instances: every check answered" "$na+$nb" "150+150"
sort -u "$T/ids.a" "$T/ids.b" >"$T/ids.ab"
psql_q "SELECT id FROM decisions" | sort -u >"$T/recorded"
t_eq "two instances: every answered decision recorded" \
    "$(comm -23 "$T/ids.ab" "$T/recorded" | wc -l)" 0
t_eq "two instances: each exactly once" \
    "$(psql_q "SELECT count(*) - $before FROM decisions")" \
    "$(wc -l <"$T/ids.ab")"
t_cmd "two instances: audit verify intact" "$EARCTL" --database \
    "$EARD_ADMIN_DATABASE_URL" audit verify
kill -TERM "$EARD2_PID" 2>/dev/null
wait "$EARD2_PID" 2>/dev/null

# 6. A COMMIT that hangs after it is durable locally (a synchronous standby
# that never answers): past AUDIT_COMMIT_TIMEOUT (5 s) the batch is spooled
# and answered, and eard reconnects. eard is then SIGKILLed, the standby
# requirement dropped so that the held transactions complete after all,
# and the restarted eard replays the spool: it finds those decisions
# recorded already and skips them, nothing is recorded twice.
sync_standby() {
	psql_q "ALTER SYSTEM SET synchronous_standby_names = '$1'" &&
	    psql_q "SELECT pg_reload_conf()" >/dev/null
}
sync_standby nobody
sleep 0.5
burst "$SOCK" "$T/ids.held" 6
t_eq "held commit: checks answered from the spool" \
    "$(wc -l <"$T/ids.held")" 6
t_eq "held commit: the batch was spooled" \
    "$([ "$(grep -c 'spooling them' "$T/eard.log")" -ge 1 ] && echo yes)" yes
eard_stop KILL
sync_standby ""
sleep 1
held=$(psql_q "SELECT count(*) FROM decisions WHERE id IN ($(sed "s/.*/'&'/" "$T/ids.held" | paste -sd,))")
t_eq "held commit: it completed after all (so the spool repeats it)" \
    "$([ "$held" -ge 1 ] && echo yes)" yes
eard_start
wait_ready 20 || t_fail "eard ready after SIGKILL" "$BODY"
for _ in $(seq 1 100); do
	grep -q 'spool replayed' "$T/eard.log" && break
	sleep 0.1
done
t_eq "replay: recorded decisions found and skipped" \
    "$(grep -c 'already recorded, skipped' "$T/eard.log")" 1
psql_q "SELECT id FROM decisions" | sort >"$T/recorded"
t_eq "replay: every answered decision recorded" \
    "$(sort -u "$T/ids.held" | comm -23 - "$T/recorded" | wc -l)" 0
t_eq "replay: no decision recorded twice" \
    "$(psql_q "SELECT count(*) - count(DISTINCT (id, decided_at)) FROM decisions")" 0
t_cmd "replay: audit verify intact" "$EARCTL" --database \
    "$EARD_ADMIN_DATABASE_URL" audit verify
eard_stop

# 084: what the log compresses goes in as lz4, in the partitions that were
# there before the migration and in those made since.
t_eq "lz4: every decision partition compresses request and response with lz4" \
    "$(psql_q "SELECT count(*) FROM pg_attribute a JOIN pg_inherits i
	ON i.inhrelid = a.attrelid WHERE i.inhparent = 'decisions'::regclass
	AND a.attname IN ('request', 'response') AND a.attcompression <> 'l'")" 0
t_eq "lz4: the compressed responses written here are lz4" \
    "$(psql_q "SELECT coalesce(string_agg(DISTINCT
	pg_column_compression(response), ','), 'none') FROM decisions
	WHERE pg_column_compression(response) IS NOT NULL")" lz4
it_done
