#!/usr/bin/env bash
# t_limits: every limit of issue #8 tripped on purpose. Each gives a clear
# JSON answer (or a clean close), counts in eard_limit_hits_total{limit=...},
# and leaves the daemon serving.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
cat >"$T/eard.conf" <<EOF
spool_dir = $T/spool
max_body_size = 4KiB
max_header_size = 2KiB
max_connections = 4
max_requests_per_connection = 3
read_timeout = 2
idle_timeout = 3
request_timeout = 2
batch_max = 3
max_pending_decisions = 2
EOF
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

H100='{"as_of":"2024-06-01","destination":"CN","chip":{"name":"NVIDIA H100 SXM","performance":[{"format":"fp8","bits":8,"dense_tops":1979}],"die_area_mm2":814,"io_bandwidth_gbs":900,"memory_bandwidth_gbs":3350,"datacenter":true}}'

# hits LIMIT: the counter's value now.
hits() {
	curl -s --unix-socket "$SOCK" http://eard/metrics |
	    sed -n "s/^eard_limit_hits_total{limit=\"$1\"} //p"
}

# tripped NAME LIMIT BEFORE: the counter went up.
tripped() {
	local now
	now=$(hits "$2")
	if [ -n "$now" ] && [ "$now" -gt "$3" ]; then
		t_ok "$1: eard_limit_hits_total{limit=\"$2\"} counted"
	else
		t_fail "$1: eard_limit_hits_total{limit=\"$2\"} counted" \
		    "$3 -> $now"
	fi
}

alive() {
	req GET /healthz
	t_status "$1: eard still answers" 200
}

# max_body_size: JSON 413 below and far above evhttp's own hard limit.
b=$(hits max_body_size)
head -c 5000 /dev/zero | tr '\0' ' ' >"$T/body5k"
req POST /v1/checks/chip "@$T/body5k"
t_status "body over max_body_size is 413" 413
t_eq "413 is JSON naming the limit" "$(jqr .error.code)" body_too_large
head -c 20000000 /dev/zero | tr '\0' ' ' >"$T/body20m"
req POST /v1/checks/chip "@$T/body20m"
t_status "body 5000x max_body_size is 413" 413
t_eq "a huge body's 413 is JSON too" "$(jqr .error.code)" body_too_large
tripped "max_body_size" max_body_size "$b"
rm -f "$T/body20m"

# max_header_size: a 3 KiB header.
b=$(hits max_header_size)
big=$(head -c 3000 /dev/zero | tr '\0' a)
STATUS=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" \
    -H "X-Big: $big" http://eard/healthz)
BODY=$(cat "$T/resp")
t_status "headers over max_header_size are 431" 431
t_eq "the header 431 is JSON" "$(jqr .error.code)" headers_too_large
tripped "max_header_size" max_header_size "$b"

# batch_max: 4 checks in a batch of at most 3.
b=$(hits batch_max)
req POST /v1/checks/batch "{\"checks\":[$(for i in 1 2 3 4; do
	printf '%s{"kind":"chip",%s' "$([ $i = 1 ] || echo ,)" "${H100#\{}"
done)]}"
t_status "a batch over batch_max is 400" 400
t_eq "batch_max names the field" "$(jqr .error.field)" checks
tripped "batch_max" batch_max "$b"
alive "after the request limits"

# max_requests_per_connection: the 3rd reply on a connection says close.
b=$(hits max_requests_per_connection)
conns=$(curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
    -w '%{num_connects}\n' --unix-socket "$SOCK" http://eard/healthz \
    http://eard/healthz http://eard/healthz http://eard/healthz | awk '{ n += $1 } END { print n }')
t_eq "4 requests after a 3-request cap take 2 connections" "$conns" 2
tripped "max_requests_per_connection" max_requests_per_connection "$b"

# read_timeout (slowloris): a body sent at 20 bytes/s is cut after 2 s.
b=$(hits read_timeout)
start=$(date +%s)
code=$(curl -s -o "$T/slow" -w '%{http_code}' -m 20 --limit-rate 20 \
    --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    --data-binary "$H100" http://eard/v1/checks/chip 2>/dev/null)
took=$(($(date +%s) - start))
t_eq "a slowloris client gets 408" "$code" 408
t_eq "the 408 is JSON" "$(jq -r .error.code "$T/slow" 2>/dev/null)" read_timeout
t_eq "it is cut within read_timeout + the sweep" \
    "$([ "$took" -le 5 ] && echo yes)" yes
tripped "read_timeout" read_timeout "$b"

# max_connections, at accept: 4 slow clients hold the slots, the 5th is
# answered 503 before it sends a whole request.
b=$(hits max_connections)
pids=()
for i in 1 2 3 4; do
	curl -s -o /dev/null -m 8 --limit-rate 40 --unix-socket "$SOCK" \
	    -H 'Content-Type: application/json' --data-binary "$H100" \
	    http://eard/v1/checks/chip 2>/dev/null &
	pids+=($!)
done
sleep 0.5
STATUS=$(curl -s -o "$T/resp" -D "$T/hdr" -w '%{http_code}' -m 5 \
    --unix-socket "$SOCK" http://eard/healthz 2>/dev/null)
BODY=$(cat "$T/resp")
t_status "the connection over max_connections gets 503" 503
t_eq "the 503 is JSON" "$(jqr .error.code)" too_many_connections
t_eq "the 503 carries Retry-After" \
    "$(tr -d '\r' <"$T/hdr" | sed -n 's/^Retry-After: //Ip')" 1
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
sleep 1.5
tripped "max_connections" max_connections "$b"
alive "after the connections closed"
# Closed connections leave the gauge at the next sweep (once a second); on
# a loaded machine that can take a few.
for _ in $(seq 1 50); do
	conn=$(curl -s --unix-socket "$SOCK" http://eard/metrics |
	    sed -n 's/^eard_connections //p')
	[ -n "$conn" ] && [ "$conn" -le 1 ] && break
	sleep 0.2
done
t_eq "closed connections are no longer counted ($conn open)" \
    "$([ -n "$conn" ] && [ "$conn" -le 1 ] && echo yes)" yes

# request_timeout and max_pending_decisions: PostgreSQL frozen (SIGSTOP),
# so decisions cannot commit. Three concurrent checks: two wait and time
# out with 503 (request_timeout), the third is refused at once with 503
# + Retry-After (max_pending_decisions = 2). Nothing is answered 200.
bt=$(hits request_timeout)
bp=$(hits max_pending_decisions)
pm=$(head -n 1 "$T/pg/postmaster.pid")
pgpids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
kill -STOP $pgpids 2>/dev/null
cpids=()
for i in 1 2 3; do
	curl -s -o "$T/frozen.$i" -w '%{http_code}\n' -m 10 --unix-socket "$SOCK" \
	    -H 'Content-Type: application/json' --data-binary "$H100" \
	    http://eard/v1/checks/chip >"$T/frozen.code.$i" 2>/dev/null &
	cpids+=($!)
	sleep 0.2
done
wait "${cpids[@]}"
kill -CONT $pgpids 2>/dev/null
t_eq "no check is answered 200 while decisions cannot commit" \
    "$(cat "$T"/frozen.code.* | grep -c 200)" 0
t_eq "all three get 503" "$(cat "$T"/frozen.code.* | grep -c 503)" 3
t_eq "one is refused as over max_pending_decisions" \
    "$(cat "$T"/frozen.[123] | jq -r .error.code | grep -c audit_unavailable)" 1
tripped "request_timeout" request_timeout "$bt"
tripped "max_pending_decisions" max_pending_decisions "$bp"
alive "after PostgreSQL thawed"
for _ in $(seq 1 40); do
	req POST /v1/checks/chip "$H100"
	[ "$STATUS" = 200 ] && break
	sleep 0.5
done
t_status "checks answer again once decisions commit" 200

# idle_timeout: a connection that sends nothing is closed after 3 s.
b=$(hits idle_timeout)
sleep 8 | curl -s -m 8 --unix-socket "$SOCK" telnet://eard >/dev/null 2>&1 &
idler=$!
sleep 1
open1=$(curl -s --unix-socket "$SOCK" http://eard/metrics | sed -n 's/^eard_connections //p')
sleep 4.5
open2=$(curl -s --unix-socket "$SOCK" http://eard/metrics | sed -n 's/^eard_connections //p')
t_eq "an idle connection is closed after idle_timeout ($open1 -> $open2 open)" \
    "$([ "$open1" -eq 2 ] && [ "$open2" -eq 1 ] && echo yes)" yes
tripped "idle_timeout" idle_timeout "$b"
kill $idler 2>/dev/null
wait $idler 2>/dev/null

grep -q 'eard_limit_hits_total{limit="spool_max_bytes"}' <(curl -s \
    --unix-socket "$SOCK" http://eard/metrics) &&
    t_ok "spool_max_bytes has a counter (tripped in t_faults)" ||
    t_fail "spool_max_bytes has a counter (tripped in t_faults)"
eard_stop TERM
t_eq "eard exits 0 after all the limits" "$EARD_RC" 0
it_done
