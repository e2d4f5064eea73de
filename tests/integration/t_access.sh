#!/usr/bin/env bash
# t_access: who may ask what (issue #8, "Access").
#
# Every role against a route of each class on the Unix socket (role_map),
# an unknown uid (runuser -u nobody) and a group entry, who asked in the
# decision log, bearer tokens on the TLS listener (valid, wrong, expired,
# revoked, role), the TLS handshake with a self-signed certificate, plain
# HTTP on the TLS port, refusal of TCP without TLS, and the database role
# eard's least privilege.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
it_import_rules || it_abort "rules import failed"
printf 'spool_dir = %s\n' "$T/spool" >"$T/eard.conf"
eard_start
wait_ready 10 || true

CHIP='{"destination": "CN", "chip": {"name": "H100 SXM", "performance":
  [{"format": "fp8", "bits": 8, "dense_tops": 1979}], "die_area_mm2": 814,
  "datacenter": true}}'

# set_role ROLE_MAP: rewrite role_map and reload.
set_role() {
	printf 'spool_dir = %s\nrole_map = "%s"\n' "$T/spool" "$1" >"$T/eard.conf"
	kill -HUP "$EARD_PID"
	sleep 0.4
}

# class_status CLASS: the status of a request of that route class.
class_status() {
	case $1 in
	check) req POST /v1/checks/chip "$CHIP" ;;
	lookup) req GET /v1/eccn/3A090 ;;
	dispose) req POST /v1/dispositions '{}' ;;
	report) req GET /v1/reports ;;
	replay) req GET /v1/decisions/00000000-0000-0000-0000-000000000000 ;;
	esac
	echo "$STATUS"
}

# allowed STATUS: the request got past authorisation.
allowed() {
	[ "$1" != 403 ] && [ "$1" != 401 ] && [ "$1" != 000 ]
}

# The matrix: role x route class -> allowed (issue #8: pipeline = checks +
# screening; counsel also dispositions, decisions, replay; analyst =
# reports + read-only lookups; admin everything).
uid=$(id -u)
for row in \
    "pipeline check yes" "pipeline lookup yes" "pipeline dispose no" \
    "pipeline report no" "pipeline replay no" \
    "counsel check yes" "counsel lookup yes" "counsel dispose yes" \
    "counsel report no" "counsel replay yes" \
    "analyst check no" "analyst lookup yes" "analyst dispose no" \
    "analyst report yes" "analyst replay no" \
    "admin check yes" "admin lookup yes" "admin dispose yes" \
    "admin report yes" "admin replay yes" \
    "none check no" "none lookup no" "none report no"; do
	set -- $row
	[ "${cur_role:-}" = "$1" ] || { set_role "$uid:$1"; cur_role=$1; }
	st=$(class_status "$2")
	if [ "$3" = yes ]; then
		allowed "$st" && t_ok "$1 may use a $2 route ($st)" ||
		    t_fail "$1 may use a $2 route" "got $st: $BODY"
	else
		t_eq "$1 may not use a $2 route" "$st" 403
	fi
done
set_role "$uid:pipeline"
req POST /v1/checks/chip "$CHIP"
t_status "a pipeline check is answered" 200
id1=$(jqr .decision_id)
set_role "$uid:counsel"
req GET "/v1/decisions/$id1"
t_eq "the decision records the uid that asked" "$(jqr .requester)" \
    "uid:$uid($(id -un))"
req GET /healthz
t_status "healthz is open to every role" 200

# Unknown uid: make the socket reachable by everyone, then ask as nobody.
eard_stop TERM
printf 'spool_dir = %s\nsocket_mode = 0666\nrole_map = "%s:admin"\n' \
    "$T/spool" "$uid" >"$T/eard.conf"
eard_start
nobody_req() {
	runuser -u nobody -- curl -s -o /dev/null -w '%{http_code}' \
	    --unix-socket "$SOCK" -X "$1" ${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
	    "http://eard$2" 2>/dev/null
}
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	t_eq "an unknown uid gets 403 on a check" \
	    "$(nobody_req POST /v1/checks/chip "$CHIP")" 403
	t_eq "an unknown uid gets 403 on a lookup" \
	    "$(nobody_req GET /v1/eccn/3A090)" 403
	t_eq "an unknown uid may ask healthz" "$(nobody_req GET /healthz)" 200
	grp=$(id -gn nobody)
	printf 'spool_dir = %s\nsocket_mode = 0666\nrole_map = "%s:admin, @%s:analyst"\n' \
	    "$T/spool" "$uid" "$grp" >"$T/eard.conf"
	kill -HUP "$EARD_PID"
	sleep 0.4
	t_eq "a @group entry gives nobody's group analyst: reports" \
	    "$(nobody_req GET /v1/reports)" 200
	t_eq "a @group analyst still may not check" \
	    "$(nobody_req POST /v1/checks/chip "$CHIP")" 403
else
	t_skip "unknown uid" "no nobody user or runuser"
fi

# TCP refuses to start without TLS (unless tcp_insecure, loudly).
port=$((20000 + RANDOM % 20000))
out=$("$EARD" -f --socket "$T/tcp.sock" --listen-tcp "127.0.0.1:$port" \
    --database-url "$EARD_DATABASE_URL" --spool-dir "$T/spool2" 2>&1)
case "$out" in
*"needs TLS"*) t_ok "listen_tcp without tls_cert refuses to start" ;;
*) t_fail "listen_tcp without tls_cert refuses to start" "$out" ;;
esac

# Tokens: made by earctl as eard_admin, printed once, stored hashed.
tok() {
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" token create "$@" \
	    2>>"$T/token.err"
}
good=$(tok --role pipeline --name ci-release)
rev=$(tok --role counsel --name to-revoke)
ana=$(tok --role analyst --name reports)
case "$good" in
eard_*) t_ok "token create prints the token" ;;
*) t_fail "token create prints the token" "$good $(cat "$T/token.err")" ;;
esac
n=$("${PSQL[@]}" -c "SELECT count(*) FROM tokens WHERE
    position(convert_to('$good', 'UTF8') IN salt || hash) > 0")
stored=$("${PSQL[@]}" -c "SELECT string_agg(t::text, ' ') FROM tokens t")
case "$stored" in
*"${good#eard_}"*) t_fail "the token itself is not stored" ;;
*) t_eq "the token itself is not stored" "$n" 0 ;;
esac
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" token create --role pipeline \
    --name ci-release >/dev/null 2>&1
t_eq "a second live token of one name is refused" "$?" 4
"$EARCTL" --database "$EARD_DATABASE_URL" token create --role admin \
    --name sneaky >/dev/null 2>&1
t_eq "the daemon's role eard cannot create tokens" "$?" 4

# TLS listener with a self-signed certificate made here.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
    it_abort "openssl req failed"
"$EARD" -f --socket "$T/tls.sock" --listen-tcp "127.0.0.1:$port" \
    --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
    --database-url "$EARD_DATABASE_URL" --spool-dir "$T/spool3" \
    >>"$T/eard-tls.log" 2>&1 &
tls_pid=$!
URL=https://127.0.0.1:$port
tcurl() {
	curl -s --cacert "$T/cert.pem" -o "$T/tresp" -w '%{http_code}' "$@"
}
for _ in $(seq 1 50); do
	st=$(tcurl -H "Authorization: Bearer $good" "$URL/healthz")
	[ "$st" = 200 ] && break
	sleep 0.1
done
t_eq "TLS handshake (verified against the self-signed cert) and a valid token" \
    "$st" 200
st=$(tcurl -H "Authorization: Bearer $good" -H 'Content-Type: application/json' \
    --data-binary "$CHIP" "$URL/v1/checks/chip")
t_eq "a pipeline token may check over TLS" "$st" 200
id2=$(jq -r .decision_id "$T/tresp")
st=$(tcurl "$URL/healthz")
t_eq "no token is 401" "$st" 401
st=$(tcurl -H "Authorization: Bearer eard_0000" "$URL/healthz")
t_eq "a wrong token is 401" "$st" 401
t_eq "401 says why" "$(jq -r .error.message "$T/tresp")" \
    "the bearer token is not valid"
st=$(tcurl -H "Authorization: Bearer $ana" "$URL/v1/reports")
t_eq "an analyst token may list reports" "$st" 200
st=$(tcurl -H "Authorization: Bearer $ana" -H 'Content-Type: application/json' \
    --data-binary "$CHIP" "$URL/v1/checks/chip")
t_eq "an analyst token may not check" "$st" 403
st=$(tcurl -H "Authorization: Bearer $good" "$URL/v1/reports")
t_eq "a pipeline token may not read reports" "$st" 403
st=$(tcurl -H "Authorization: Bearer $rev" "$URL/v1/decisions/$id2")
t_eq "a counsel token reads a decision" "$st" 200
t_eq "the decision records the token that asked" \
    "$(jq -r .requester "$T/tresp")" "token:ci-release"
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" token revoke to-revoke \
    2>>"$T/token.err"
t_eq "token revoke exits 0" "$?" 0
sleep 0.5
st=$(tcurl -H "Authorization: Bearer $rev" "$URL/v1/decisions/$id2")
t_eq "a revoked token is 401 (NOTIFY tokens_changed)" "$st" 401
t_eq "a revoked token is named so" "$(jq -r .error.message "$T/tresp")" \
    "the bearer token was revoked"
soon=$(tok --role pipeline --name short --expires 3s)
sleep 0.5
st=$(tcurl -H "Authorization: Bearer $soon" "$URL/v1/eccn/3A090")
t_eq "a new token is served at once (NOTIFY tokens_changed)" "$st" 200
sleep 3
st=$(tcurl -H "Authorization: Bearer $soon" "$URL/v1/eccn/3A090")
t_eq "an expired token is 401" "$st" 401
t_eq "an expired token is named so" "$(jq -r .error.message "$T/tresp")" \
    "the bearer token has expired"
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" --csv token list \
    >"$T/list.csv" 2>&1
t_eq "token list shows states" \
    "$(cut -d, -f1,3 "$T/list.csv" | sort | tr '\n' ' ')" \
    "ci-release,live name,state reports,live short,expired to-revoke,revoked "
grep -q "${good#eard_}" "$T/list.csv" && t_fail "token list never shows a token" ||
    t_ok "token list never shows a token"
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H "Authorization: Bearer $good" "http://127.0.0.1:$port/healthz")
case "$st" in
200|401|403) t_fail "plain HTTP on the TLS port fails" "got $st" ;;
*) t_ok "plain HTTP on the TLS port fails ($st)" ;;
esac
st=$(tcurl -H "Authorization: Bearer $good" "$URL/healthz")
t_eq "the TLS listener survives a plaintext client" "$st" 200
grep -q "TLS, bearer tokens required" "$T/eard-tls.log" &&
    t_ok "eard logs the TLS listener" || t_fail "eard logs the TLS listener"
kill -TERM "$tls_pid" 2>/dev/null
wait "$tls_pid" 2>/dev/null

# tcp_insecure = yes: served without TLS, with a loud warning.
"$EARD" -f --socket "$T/ins.sock" --listen-tcp "127.0.0.1:$port" \
    --tcp-insecure yes --database-url "$EARD_DATABASE_URL" \
    --spool-dir "$T/spool4" >>"$T/eard-ins.log" 2>&1 &
ins_pid=$!
for _ in $(seq 1 50); do
	st=$(curl -s -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $good" "http://127.0.0.1:$port/healthz")
	[ "$st" = 200 ] && break
	sleep 0.1
done
t_eq "tcp_insecure serves plain HTTP with a token" "$st" 200
grep -q "WITHOUT TLS" "$T/eard-ins.log" && t_ok "tcp_insecure is logged loudly" ||
    t_fail "tcp_insecure is logged loudly"
kill -TERM "$ins_pid" 2>/dev/null
wait "$ins_pid" 2>/dev/null

# PostgreSQL least privilege: the daemon's role eard.
EPSQL=("$(pg_bindir)/psql" -h "$T/run" -U eard -d eard -Atq)
denied() {
	local out
	out=$("${EPSQL[@]}" -c "$2" 2>&1)
	case "$out" in
	*"permission denied"*) t_ok "as eard: $1 is denied" ;;
	*) t_fail "as eard: $1 is denied" "$out" ;;
	esac
}
denied "UPDATE decisions" "UPDATE decisions SET requester = 'x'"
denied "DELETE decisions" "DELETE FROM decisions"
denied "TRUNCATE decisions" "TRUNCATE decisions"
denied "INSERT into a rule table" \
    "INSERT INTO rulepacks SELECT * FROM rulepacks LIMIT 1"
denied "UPDATE a rule table" "UPDATE country_groups SET valid = valid"
denied "INSERT into the registry" "INSERT INTO models SELECT * FROM models LIMIT 1"
denied "DELETE a list party" "DELETE FROM parties"
denied "INSERT a token" "INSERT INTO tokens SELECT * FROM tokens LIMIT 1"
denied "revoke a token" "UPDATE tokens SET revoked_at = now()"
denied "CREATE TABLE" "CREATE TABLE eard_owns (x int)"
# What eard may write, table by table: exactly what the audit writer and
# the screening recorder need (decisions go through decisions_append()).
writes=$("${PSQL[@]}" -c "
    SELECT string_agg(c.relname || ':' || p, ' ' ORDER BY c.relname, p)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
         unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND has_table_privilege('eard', c.oid, p)")
t_eq "eard writes only ruleset documents, screened parties, dispositions" \
    "$writes" \
    "dispositions:INSERT ruleset_documents:INSERT screened_parties:INSERT screened_parties:UPDATE"
owns=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_class c JOIN pg_roles r
    ON r.oid = c.relowner WHERE r.rolname = 'eard'")
t_eq "eard owns no table" "$owns" 0

it_done
