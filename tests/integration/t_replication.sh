#!/usr/bin/env bash
# t_replication.sh: eard on PostgreSQL streaming replication and several
# instances on one database (issue #10, "Scale past one machine").
#
# A primary (lib.sh's cluster) and a hot standby made with pg_basebackup,
# both on Unix sockets only, both run by the postgres user. Instance A
# reads and writes on the primary; instance B reads from the standby
# (read_database_url) and writes decisions to the primary. Rules imported
# on the primary reach both (B: NOTIFY heard on the primary, reload once
# the standby has replayed). Both answer checks under load and the log's
# hash chain stays intact (earctl audit verify). Then the standby stops
# and B's reads fall back to the primary.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
BIN=$(pg_bindir)

# The standby: a base backup of the primary with standby.signal (-R).
S=$T/standby
mkdir -p "$S/run"
chown postgres:postgres "$S" "$S/run" 2>/dev/null
pg_as_owner "$BIN/pg_basebackup" -h "$T/run" -U postgres -D "$S/pg" -R \
    -X stream -c fast >"$T/basebackup.log" 2>&1 ||
    { cat "$T/basebackup.log" >&2; it_abort "pg_basebackup failed"; }
pg_as_owner sh -c "cat >>'$S/pg/postgresql.conf'" <<CONF
unix_socket_directories = '$S/run'
hot_standby = on
CONF
pg_cluster_start "$S" || it_abort "the standby did not start"
standby_q() {
	"$BIN/psql" -h "$S/run" -U postgres -d eard -Atqc "$1" 2>/dev/null
}
t_eq "the standby is in recovery" "$(standby_q 'SELECT pg_is_in_recovery()')" t
STANDBY_URL="host=$S/run dbname=eard user=eard"

# Instance A on the primary (lib.sh's eard on $SOCK).
eard_start
# Instance B: reads from the standby, decisions to the primary.
SOCK_B=$T/eard-b.sock
mkdir -p "$T/spool-b"
printf 'spool_dir = %s\nread_database_url = %s\n' "$T/spool-b" \
    "$STANDBY_URL" >"$T/eard-b.conf"
"$EARD" -f -c "$T/eard-b.conf" --socket "$SOCK_B" \
    --database-url "$EARD_DATABASE_URL" >>"$T/eard-b.log" 2>&1 &
PID_B=$!
trap 'kill -KILL $PID_B 2>/dev/null; it_cleanup' EXIT
for _ in $(seq 1 100); do
	curl -s -o /dev/null --unix-socket "$SOCK_B" http://eard/healthz && break
	sleep 0.1
done

# reqb METHOD PATH [BODY]: req against instance B.
reqb() {
	local s=$SOCK
	SOCK=$SOCK_B
	req "$@"
	SOCK=$s
}
metric_b() {
	reqb GET /metrics
	printf '%s\n' "$BODY" | awk -v m="$1" '$1 == m { print $2 }'
}

t_eq "B reads from the standby" "$(metric_b eard_database_read_standby)" 1

# Import on the primary; both instances serve the same rules.
it_import_rules || it_abort "rule import failed"
va= vb=
for _ in $(seq 1 100); do
	req GET /readyz
	va=$(jqr '.ruleset // empty')
	reqb GET /readyz
	vb=$(jqr '.ruleset // empty')
	[ -n "$va" ] && [ "$va" = "$vb" ] && break
	sleep 0.1
done
t_eq "A loaded the imported rules" "$([ -n "$va" ] && echo yes)" yes
t_eq "B (standby reader) loaded the same rules" "$vb" "$va"
t_eq "B heard the import's NOTIFY through the primary" \
    "$( [ "$(metric_b 'eard_notifications_total{channel="rules_changed"}')" -ge 1 ] 2>/dev/null && echo yes)" yes

# 15 CFR 774 Supp. 1, 3A090.a (88 FR 73458): H100 SXM (TPP 15,832) to CN
# (D:5) on 2024-06-01 needs a licence (15 CFR 742.6(a)(6)(iii)).
H100='{"as_of": "2024-06-01", "destination": "CN", "chip": {"name":
  "NVIDIA H100 SXM", "performance": [{"format": "fp8", "bits": 8,
  "dense_tops": 1979}], "die_area_mm2": 814, "io_bandwidth_gbs": 900,
  "memory_bandwidth_gbs": 3350, "datacenter": true}}'
reqb POST /v1/checks/chip "$H100"
t_status "B answers a check" 200
t_eq "B: H100 to CN on 2024-06-01 needs a licence" "$(jqr .verdict)" \
    license_required
t_eq "B names the ruleset the primary holds" "$(jqr .ruleset)" "$va"

# Two instances under load, one decision log: the chain stays intact.
printf '%s' "$H100" >"$T/h100.json"
load() {
	local sock=$1 n=$2 i
	for i in $(seq 1 "$n"); do
		curl -s -o /dev/null -w '%{http_code}\n' --unix-socket "$sock" \
		    -H 'Content-Type: application/json' \
		    --data-binary @"$T/h100.json" http://eard/v1/checks/chip
	done
}
for w in 1 2 3 4; do
	load "$SOCK" 25 >"$T/load-a$w" &
	load "$SOCK_B" 25 >"$T/load-b$w" &
done
wait $(jobs -p | grep -v "^$PID_B\$" | grep -v "^$EARD_PID\$") 2>/dev/null
ok=$(cat "$T"/load-a* "$T"/load-b* | grep -c '^200$')
t_eq "200 concurrent checks on two instances answer 200" "$ok" 200
n=$("${PSQL[@]}" -c "SELECT count(*) FROM decisions" 2>/dev/null)
t_eq "every one of them is in the decision log" \
    "$( [ "${n:-0}" -ge 201 ] && echo yes)" yes
t_cmd "audit verify: the chain of both instances is intact" \
    "$EARCTL" --database "$EARD_ADMIN_DATABASE_URL" audit verify

# The standby goes away: B's reads fall back to the primary.
pg_cluster_stop "$S" immediate
fb=
for _ in $(seq 1 100); do
	fb=$(metric_b eard_database_read_standby)
	[ "$fb" = 0 ] && [ "$(metric_b 'eard_database_state{state="connected"}')" = 1 ] && break
	sleep 0.1
done
t_eq "B falls back to the primary when the standby stops" "$fb" 0
reqb GET /v1/chips
t_status "B's registry reads work on the primary" 200
"${PSQL[@]}" -c "NOTIFY rules_changed" >/dev/null
reqb GET /readyz
t_eq "B stays ready on the primary" "$STATUS" 200
reqb POST /v1/checks/chip "$H100"
t_eq "B still answers checks" "$(jqr .verdict)" license_required

# The standby comes back: reads return to it.
pg_cluster_start "$S" || t_fail "the standby restarts"
back=
for _ in $(seq 1 60); do
	back=$(metric_b eard_database_read_standby)
	[ "$back" = 1 ] && break
	sleep 0.1
done
t_eq "B returns to the standby when it is back" "$back" 1

kill -TERM "$PID_B" 2>/dev/null
wait "$PID_B" 2>/dev/null
t_eq "B stops cleanly" "$?" 0
eard_stop
pg_cluster_stop "$S" fast
it_done
