#!/usr/bin/env bash
# t_ops.sh: operations without a package (issue #10): every config key in
# eard.conf(5), every metric in docs/metrics.md, earctl's bash completion
# from `earctl help`, --version of both programs, the JSON access log, and
# socket activation (LISTEN_FDS, as systemd hands eard its socket).
. "$(dirname "$0")/lib.sh"

it_start nodaemon
it_import_rules || it_abort "rule import failed"

# eard.conf(5) documents every key of the table (eard --dump-config).
missing=
for k in $(env -u EARD_DATABASE_URL "$EARD" --dump-config | sed -n 's/^\([a-z_]*\) = .*/\1/p'); do
	grep -q "^\.It Cm $k\( \|$\)" "$ROOT/docs/eard.conf.5" || missing="$missing $k"
done
t_eq "eard.conf.5 documents every key (scripts/gen-eard-conf5.sh)" "$missing" ""

# eard --version
v=$("$EARD" --version)
t_eq "eard --version names the version" "$(echo "$v" | head -n 1)" "eard $(cat "$ROOT/VERSION")"
echo "$v" | grep -q '^libevent .*libpq' && t_ok "eard --version names its libraries" ||
    t_fail "eard --version names its libraries" "$v"

# JSON logs: the access line carries request id, route, status, duration, verdict.
printf 'spool_dir = %s\nlog_format = json\n' "$T/spool" >"$T/eard.conf"
eard_start
wait_ready 20 || t_fail "eard ready"

# earctl --version asks the daemon for its version and ruleset.
out=$("$EARCTL" --socket "$SOCK" --version 2>&1)
t_eq "earctl --version prints its own version" "$(echo "$out" | head -n 1)" \
    "earctl $(cat "$ROOT/VERSION")"
req GET /readyz
rs=$(jqr .ruleset)
echo "$out" | grep -qx "ruleset $rs" && t_ok "earctl --version shows the ruleset eard serves" ||
    t_fail "earctl --version shows the ruleset eard serves" "$out"
echo "$out" | grep -q "^eard $(cat "$ROOT/VERSION") at $SOCK" &&
    t_ok "earctl --version shows eard's version" || t_fail "earctl --version shows eard's version" "$out"
out=$("$EARCTL" --socket "$T/nowhere.sock" --version 2>&1)
t_eq "earctl --version without eard says so" "$(echo "$out" | sed -n 2p)" \
    "eard: not running at $T/nowhere.sock"

# 15 CFR 774 Supp. 1, 3A090.a (88 FR 73458): H100 SXM to CN on 2024-06-01
# needs a licence (15 CFR 742.6(a)(6)(iii)).
curl -s -o /dev/null --unix-socket "$SOCK" -H 'X-Request-Id: ops-test-1' \
    -H 'Content-Type: application/json' --data-binary '{"as_of": "2024-06-01",
  "destination": "CN", "chip": {"name": "NVIDIA H100 SXM", "performance":
  [{"format": "fp8", "bits": 8, "dense_tops": 1979}], "die_area_mm2": 814,
  "io_bandwidth_gbs": 900, "memory_bandwidth_gbs": 3350, "datacenter": true}}' \
    http://eard/v1/checks/chip
sleep 0.2
line=$(grep '"request_id":"ops-test-1"' "$T/eard.log" | grep '"msg":"request done"' | tail -n 1)
t_eq "json access line: route" "$(echo "$line" | jq -r .route 2>/dev/null)" /v1/checks/chip
t_eq "json access line: status" "$(echo "$line" | jq -r .status 2>/dev/null)" 200
t_eq "json access line: verdict" "$(echo "$line" | jq -r .verdict 2>/dev/null)" license_required
t_eq "json access line: duration is a number" \
    "$(echo "$line" | jq -r '.duration_ms | type' 2>/dev/null)" number
t_eq "json access line: level and ts" \
    "$(echo "$line" | jq -r '[.level, (.ts | test("^[0-9-]+T"))] | @tsv' 2>/dev/null)" "info	true"
bad=$(grep -v '^{' "$T/eard.log" | head -n 3)
t_eq "with log_format = json every line is JSON" "$bad" ""

# docs/metrics.md names every metric /metrics shows, and the alerts use
# only documented ones (besides Prometheus' own up and the textfile ones).
req GET /metrics
missing=
for m in $(printf '%s\n' "$BODY" | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' | sort -u); do
	grep -q "\`$m\`" "$ROOT/docs/metrics.md" || missing="$missing $m"
done
t_eq "docs/metrics.md documents every metric" "$missing" ""
missing=
for m in $(grep -o 'eard_[a-z_]*' "$ROOT/docs/eard-alerts.yml" | sort -u); do
	grep -q "\`$m\`" "$ROOT/docs/metrics.md" || missing="$missing $m"
done
t_eq "the alert rules use documented metrics" "$missing" ""
t_eq "a verdict shows on /metrics" \
    "$(printf '%s\n' "$BODY" | grep -c '^eard_verdicts_total{kind="chip",verdict="license_required"} 1$')" 1
eard_stop

# Bash completion: command words from `earctl help`.
comp() {
	bash -c '
		earctl() { "$EARCTL" "$@"; }
		export -f earctl 2>/dev/null
		. "$1"
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_earctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' comp "$ROOT/contrib/bash-completion/earctl" "$@"
}
export EARCTL
t_eq "completion: earctl au<TAB>" "$(comp earctl au)" "audit "
t_eq "completion: earctl db <TAB>" "$(comp earctl db '')" "migrate status "
t_eq "completion: earctl audit <TAB>" "$(comp earctl audit '')" "verify "
t_eq "completion: earctl --js<TAB>" "$(comp earctl --js)" "--json "
missing=
for c in $("$EARCTL" help | sed -n '/^Commands:/,/^Exit/s/^  \([a-z]*\).*/\1/p' | sort -u); do
	comp earctl "" | grep -qw "$c" || missing="$missing $c"
done
t_eq "completion offers every first word of earctl help" "$missing" ""

# Socket activation: systemd-socket-activate binds, sets LISTEN_FDS and
# LISTEN_PID and execs eard, which serves the socket it is handed.
if command -v systemd-socket-activate >/dev/null; then
	ASOCK=$T/act.sock
	systemd-socket-activate -l "$ASOCK" "$EARD" -f -c "$T/eard.conf" \
	    --socket "$T/unused.sock" --database-url "$EARD_DATABASE_URL" \
	    >>"$T/act.log" 2>&1 &
	APID=$!
	ok=1
	for _ in $(seq 1 100); do
		[ -S "$ASOCK" ] && curl -s -o /dev/null --unix-socket "$ASOCK" \
		    http://eard/healthz && { ok=0; break; }
		sleep 0.1
	done
	t_eq "socket-activated eard answers on the socket it was handed" "$ok" 0
	[ ! -e "$T/unused.sock" ] && t_ok "socket-activated eard binds no socket of its own" ||
	    t_fail "socket-activated eard binds no socket of its own"
	kill -TERM "$APID"; wait "$APID" 2>/dev/null
	t_eq "socket-activated eard stops cleanly" "$?" 0
	# LISTEN_PID naming another process: not for us, bind our own.
	LISTEN_PID=1 LISTEN_FDS=1 "$EARD" -f -c "$T/eard.conf" --socket "$SOCK" \
	    --database-url "$EARD_DATABASE_URL" >>"$T/own.log" 2>&1 3</dev/null &
	APID=$!
	ok=1
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --unix-socket "$SOCK" http://eard/healthz && { ok=0; break; }
		sleep 0.1
	done
	t_eq "LISTEN_FDS for another pid is ignored (eard binds its socket)" "$ok" 0
	kill -TERM "$APID"; wait "$APID" 2>/dev/null
else
	t_skip "socket activation" "systemd-socket-activate not installed"
fi
it_done
