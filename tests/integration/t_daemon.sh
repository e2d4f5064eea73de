#!/usr/bin/env bash
# t_daemon.sh: the daemon itself (issue #2): health and readiness, the error
# shapes, surviving the cluster going away, SIGHUP reload, clean SIGTERM.
. "$(dirname "$0")/lib.sh"

it_start

# Liveness and readiness.
req GET /healthz
t_status "healthz answers 200" 200
t_eq "healthz says ok" "$(jqr .status)" ok

if wait_ready 15; then
	t_ok "readyz turns 200 once the rules are loaded"
else
	t_fail "readyz turns 200 once the rules are loaded" "$STATUS $BODY"
fi
t_eq "readyz says ready" "$(jqr .ready)" true
t_eq "readyz says the database is connected" "$(jqr .database)" connected
t_eq "readyz names a ruleset version" "$(jqr '.ruleset | length')" 64

# Error shapes: {"error":{"code","message","field"}}.
req GET /no/such/route
t_status "unknown route is 404" 404
t_eq "404 is a JSON error" "$(jqr .error.code)" not_found

req DELETE /healthz
t_status "wrong method is 405" 405
t_eq "405 is a JSON error" "$(jqr .error.code)" method_not_allowed
allow=$(curl -s -D - -o /dev/null -X DELETE --unix-socket "$SOCK" \
    http://eard/healthz | tr -d '\r' | sed -n 's/^Allow: //Ip')
t_eq "405 carries Allow" "$allow" GET

req POST /v1/checks/chip '{"destination": "CN",
  "chip": {"name": "x",}}'
t_status "malformed JSON is 400" 400
t_eq "malformed JSON code" "$(jqr .error.code)" malformed_json
case "$(jqr .error.message)" in
*"line 2, column"*) t_ok "malformed JSON names line and column" ;;
*) t_fail "malformed JSON names line and column" "$(jqr .error.message)" ;;
esac

head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big.json"
req POST /v1/checks/chip "@$T/big.json"
t_status "body over max_body_size is 413" 413
t_eq "413 is a JSON error" "$(jqr .error.code)" body_too_large

req GET /v1/countries/C1
t_status "bad country code is 400" 400
t_eq "bad country code names the field" "$(jqr .error.field)" country

req POST /v1/checks/chip '{"destination": "CN", "chip": {"id": "no-such-chip"}}'
t_status "unknown registry chip is 404" 404
t_eq "unknown registry chip code" "$(jqr .error.code)" unknown_chip

req POST /v1/checks/batch '{"checks": [{"kind": "teapot"}]}'
t_status "a batch with a bad item still answers 200" 200
t_eq "the bad item's error is inline" "$(jqr '.results[0].error.field')" \
    "checks[0].kind"

# Metrics in Prometheus text.
req GET /metrics
t_status "metrics answers 200" 200
case "$BODY" in
*'eard_requests_total{route="/healthz",status="200"}'*) t_ok "metrics count requests by route and status" ;;
*) t_fail "metrics count requests by route and status" ;;
esac
case "$BODY" in
*'eard_database_up 1'*) t_ok "metrics say the database is up" ;;
*) t_fail "metrics say the database is up" ;;
esac

# Rules arrive by NOTIFY rules_changed: importing swaps the ruleset in
# without a restart, and a check is answered with a decision on record.
v0=$(req GET /readyz; jqr .ruleset)
if ls "$ROOT"/rules/[0-9]*.xml >/dev/null 2>&1 && it_import_rules; then
	v1=$v0
	for _ in $(seq 1 50); do
		req GET /readyz
		v1=$(jqr .ruleset)
		[ "$v1" != "$v0" ] && break
		sleep 0.1
	done
	[ "$v1" != "$v0" ] && t_ok "an import swaps the rules in by NOTIFY" ||
	    t_fail "an import swaps the rules in by NOTIFY" "still $v0"
	# 15 CFR 774 Supp. 1, 3A090.a (88 FR 73458): H100 SXM, TPP 15,832,
	# to CN (D:5) on 2024-06-01 needs a licence (15 CFR 742.6(a)(6)(iii)).
	req POST /v1/checks/chip '{"as_of": "2024-06-01", "destination": "CN",
	  "chip": {"name": "NVIDIA H100 SXM", "performance": [{"format": "fp8",
	  "bits": 8, "dense_tops": 1979}], "die_area_mm2": 814,
	  "io_bandwidth_gbs": 900, "memory_bandwidth_gbs": 3350,
	  "datacenter": true}}'
	t_status "a chip check answers 200" 200
	t_eq "H100 to CN on 2024-06-01 needs a licence" "$(jqr .verdict)" \
	    license_required
	t_eq "the answer names the ruleset in force" "$(jqr .ruleset)" "$v1"
	id=$(jqr .decision_id)
	case "$id" in
	????????-????-7???-????-????????????) t_ok "decision ids are UUIDv7" ;;
	*) t_fail "decision ids are UUIDv7" "$id" ;;
	esac
	t_eq "the decision is on record before the answer" \
	    "$("${PSQL[@]}" -c "SELECT count(*) FROM decisions WHERE id::text = '$id'" 2>&1)" 1
	req POST /v1/checks/batch '{"checks": [
	  {"kind": "chip", "as_of": "2024-06-01", "destination": "CN",
	   "chip": {"name": "H100", "performance": [{"format": "fp8", "bits": 8,
	   "dense_tops": 1979}], "die_area_mm2": 814, "datacenter": true}},
	  {"kind": "weights", "destination": "CN"},
	  {"kind": "chip", "destination": "CN", "chip": {"id": "no-such-chip"}}]}'
	t_status "a batch answers 200" 200
	t_eq "a batch answers in order" \
	    "$(jqr '[.results[] | (.verdict // .error.code)] | join(",")')" \
	    "license_required,missing_field,unknown_chip"
	n=$(jqr '[.results[].decision_id | select(. != null)] | unique | length')
	t_eq "each answered batch item has its own decision" "$n" 1
else
	t_skip "an import swaps the rules in by NOTIFY" "no rulepacks to import"
fi

# The cluster goes away and comes back; eard is not restarted.
pg_cluster_stop "$T" immediate >/dev/null 2>&1
down=no
for _ in $(seq 1 50); do
	req GET /readyz
	[ "$STATUS" = 503 ] && { down=yes; break; }
	sleep 0.1
done
t_eq "readyz turns 503 when the cluster stops" "$down" yes
t_eq "503 says why" "$(jqr .reason)" "database unreachable"
req GET /healthz
t_status "healthz still 200 without the database" 200
pg_cluster_start "$T" >/dev/null 2>&1 || t_fail "cluster restarts"
if wait_ready 20; then
	t_ok "readyz turns 200 again after the restart"
else
	t_fail "readyz turns 200 again after the restart" "$STATUS $BODY"
fi
kill -0 "$EARD_PID" 2>/dev/null && t_ok "same eard process throughout" ||
    t_fail "same eard process throughout"

# SIGHUP: reloadable keys take effect (max_body_size), rules reload.
printf 'spool_dir = %s\nmax_body_size = 64\n' "$T/spool" >"$T/eard.conf"
kill -HUP "$EARD_PID"
sleep 0.5
req POST /v1/checks/chip '{"destination": "CN", "chip": {"name": "a long enough body to pass sixty-four bytes"}}'
t_status "SIGHUP applies a smaller max_body_size" 413
grep -q "reloading the configuration" "$T/eard.log" &&
    t_ok "SIGHUP is logged" || t_fail "SIGHUP is logged"
printf 'spool_dir = %s\nmax_body_size = bogus\n' "$T/spool" >"$T/eard.conf"
kill -HUP "$EARD_PID"
sleep 0.3
req GET /healthz
t_status "a bad config on SIGHUP keeps eard running" 200
grep -q 'configuration not reloaded: invalid value for parameter "max_body_size"' \
    "$T/eard.log" && t_ok "a bad config on SIGHUP names the key" ||
    t_fail "a bad config on SIGHUP names the key"
printf 'spool_dir = %s\n' "$T/spool" >"$T/eard.conf"

# Roles: role_map can demote the caller (root here) below a route's role.
printf 'spool_dir = %s\nrole_map = %s:none\n' "$T/spool" "$(id -u)" >"$T/eard.conf"
kill -HUP "$EARD_PID"
sleep 0.3
req POST /v1/checks/chip '{"destination": "CN", "chip": {"name": "x"}}'
t_status "a caller without the route's role gets 403" 403
t_eq "403 is a JSON error" "$(jqr .error.code)" forbidden
req GET /healthz
t_status "healthz needs no role" 200
printf 'spool_dir = %s\n' "$T/spool" >"$T/eard.conf"
kill -HUP "$EARD_PID"
sleep 0.3

# The config file: bad lines are named by line number, dump round-trips.
printf 'socket = /x\nbogus line\n' >"$T/bad.conf"
out=$("$EARD" -c "$T/bad.conf" --dump-config 2>&1)
case "$out" in
*'line 2'*) t_ok "a bad config line is named by number" ;;
*) t_fail "a bad config line is named by number" "$out" ;;
esac
"$EARD" -c "$T/eard.conf" --batch-max 7 --dump-config >"$T/dump.conf" 2>&1
t_eq "--dump-config shows overrides" \
    "$(sed -n 's/^batch_max = //p' "$T/dump.conf")" 7
"$EARD" -c "$T/dump.conf" --dump-config >"$T/dump2.conf" 2>&1
t_cmd "--dump-config output reads back unchanged" cmp "$T/dump.conf" "$T/dump2.conf"

# The man page documents every key of the table.
missing=
for k in $(sed -n 's/^\([a-z_]*\) =.*/\1/p' "$T/dump.conf"); do
	grep -Eq "^\.It .*Cm $k( |$)" "$ROOT/docs/eard.8" || missing="$missing $k"
done
t_eq "docs/eard.8 documents every configuration key" "$missing" ""

# A second eard on the same socket refuses; the socket is kept.
out=$("$EARD" -f --socket "$SOCK" --database-url "$EARD_DATABASE_URL" 2>&1)
case "$out" in
*"another server is listening"*) t_ok "a second eard refuses a live socket" ;;
*) t_fail "a second eard refuses a live socket" "$out" ;;
esac

# TCP is off by default; when on, it needs TLS (t_access tests TLS and the
# tokens table; here tcp_insecure and static tcp_tokens) and a token.
port=$((20000 + $$ % 20000))
tok=s3cret-token
hash=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
out=$("$EARD" -f --socket "$T/tcp.sock" --listen-tcp "127.0.0.1:$port" \
    --database-url "$EARD_DATABASE_URL" 2>&1)
case "$out" in
*"needs TLS"*) t_ok "listen_tcp without TLS refuses to start" ;;
*) t_fail "listen_tcp without TLS refuses to start" "$out" ;;
esac
"$EARD" -f --socket "$T/tcp.sock" --listen-tcp "127.0.0.1:$port" \
    --tcp-insecure yes --tcp-tokens "ci:$hash" \
    --database-url "$EARD_DATABASE_URL" \
    --spool-dir "$T/spool2" >>"$T/eard-tcp.log" 2>&1 &
tcp_pid=$!
for _ in $(seq 1 50); do
	curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
	sleep 0.1
done
st=$(curl -s -o "$T/resp" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
t_eq "TCP without a token is 401" "$st" 401
t_eq "TCP 401 is a JSON error" "$(jq -r .error.code "$T/resp")" unauthorized
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" \
    "http://127.0.0.1:$port/healthz")
t_eq "TCP with a wrong token is 401" "$st" 401
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
    "http://127.0.0.1:$port/healthz")
t_eq "TCP with the token is served" "$st" 200
kill -TERM "$tcp_pid" 2>/dev/null
wait "$tcp_pid" 2>/dev/null

# SIGTERM: clean exit 0, socket removed.
eard_stop TERM
t_eq "SIGTERM exits 0" "$EARD_RC" 0
[ ! -e "$SOCK" ] && t_ok "the socket is removed on exit" ||
    t_fail "the socket is removed on exit"

# A stale socket file (nothing answering) is replaced at start: an eard
# killed with SIGKILL leaves its socket behind.
eard_start
eard_stop KILL
if [ -S "$SOCK" ]; then
	eard_start
	req GET /healthz
	t_status "a stale socket is replaced at start" 200
	grep -q "removing stale socket" "$T/eard.log" &&
	    t_ok "the stale socket removal is logged" ||
	    t_fail "the stale socket removal is logged"
	eard_stop TERM
else
	t_fail "a killed eard leaves its socket behind"
fi

it_done
