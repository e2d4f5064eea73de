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

# A second eard on the same socket refuses; the socket is kept.
out=$("$EARD" -f --socket "$SOCK" --database-url "$EARD_DATABASE_URL" 2>&1)
case "$out" in
*"another server is listening"*) t_ok "a second eard refuses a live socket" ;;
*) t_fail "a second eard refuses a live socket" "$out" ;;
esac

# SIGTERM: clean exit 0, socket removed.
eard_stop TERM
t_eq "SIGTERM exits 0" "$EARD_RC" 0
[ ! -e "$SOCK" ] && t_ok "the socket is removed on exit" ||
    t_fail "the socket is removed on exit"

# A stale socket file (nothing answering) is replaced at start.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SOCK" 2>/dev/null ||
    : >"$SOCK"
if [ -S "$SOCK" ]; then
	eard_start
	req GET /healthz
	t_status "a stale socket is replaced at start" 200
	eard_stop TERM
else
	rm -f "$SOCK"
	t_skip "a stale socket is replaced at start" "no python3 to make one"
fi

it_done
