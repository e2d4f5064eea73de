#!/usr/bin/env bash
# t_hostile: hostile input (issue #8). HTTP: malformed request lines, huge
# headers, pipelining, invalid UTF-8, numbers out of range, unknown fields,
# dates out of range: each a clear 4xx JSON error, no decision recorded, the
# daemon still up. XML: external entities, a network DTD, an entity bomb and
# 10,000-deep nesting fed to every XML reader (earctl import rules, ecfr, fr;
# earctl rules validate): each refused with a clear error within seconds,
# nothing of /etc/passwd in the database. Limits themselves: t_limits.sh.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || { echo "skip - t_hostile: socat not installed"; exit 0; }
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

# decisions: rows in the decision log (superuser, past eard's role).
decisions() {
	"${PSQL[@]}" -c "SELECT count(*) FROM decisions"
}

# settle: the group commit has written what was answered.
settle() {
	sleep 0.5
}

# raw NAME: the bytes on stdin sent in one write over the Unix socket; the
# whole answer in $T/raw.NAME.
raw() {
	socat -t 3 - "UNIX-CONNECT:$SOCK" >"$T/raw.$1" 2>/dev/null
}

# statuses FILE: the status codes of every response in FILE, space-separated.
statuses() {
	tr -d '\r' <"$1" | sed -n 's|^HTTP/[0-9]\.[0-9] \([0-9][0-9][0-9]\).*|\1|p' |
	    tr '\n' ' ' | sed 's/ $//'
}

# bad NAME STATUS CODE [FIELD]: the last answer is a JSON error.
bad() {
	t_status "$1: $2" "$2"
	t_eq "$1: error code" "$(jqr .error.code)" "$3"
	[ -z "${4:-}" ] || t_eq "$1: names the field" "$(jqr .error.field)" "$4"
}

H100_CHIP='"chip":{"name":"NVIDIA H100 SXM","performance":[{"format":"fp8","bits":8,"dense_tops":1979}],"die_area_mm2":814,"io_bandwidth_gbs":900,"memory_bandwidth_gbs":3350,"datacenter":true}'

# A good check is recorded: the count below can see a decision.
n0=$(decisions)
req POST /v1/checks/chip "{\"as_of\":\"2024-06-01\",\"destination\":\"CN\",$H100_CHIP}"
t_status "a well-formed check answers 200" 200
settle
t_eq "a well-formed check is recorded" "$(decisions)" $((n0 + 1))
n0=$(decisions)

# HTTP framing, raw bytes.
# evhttp closes on a request line it cannot split (nothing to answer to);
# what it can parse but refuses gets the JSON 400 of limits.c.
printf 'GARBAGE\r\n\r\n' | raw badline
case "$(statuses "$T/raw.badline")" in
400|'') t_ok "malformed request line: 400 or closed" ;;
*) t_fail "malformed request line: 400 or closed" "$(head -c 200 "$T/raw.badline")" ;;
esac
printf 'GET /a b c d HTTP/1.1\r\n\r\n' | raw badline2
case "$(statuses "$T/raw.badline2")" in
4*|'') t_ok "request line with spaces: 4xx or closed" ;;
*) t_fail "request line with spaces: 4xx or closed" "$(head -c 200 "$T/raw.badline2")" ;;
esac
printf 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n' | raw badver
case "$(statuses "$T/raw.badver")" in
4*|505) t_ok "unknown HTTP version: 4xx/505" ;;
*) t_fail "unknown HTTP version: 4xx/505" "$(head -c 200 "$T/raw.badver")" ;;
esac
printf 'POST /v1/checks/chip HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}' | raw badlen
case "$(statuses "$T/raw.badlen")" in
4*|'') t_ok "negative Content-Length: 4xx or closed" ;;
*) t_fail "negative Content-Length: 4xx or closed" "$(statuses "$T/raw.badlen")" ;;
esac
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n' \
    "$(head -c 200000 /dev/zero | tr '\0' a)" | raw bighdr
case "$(statuses "$T/raw.bighdr")" in
4*|'') t_ok "200 KB header: 4xx or closed, not served" ;;
*) t_fail "200 KB header: 4xx or closed, not served" "$(statuses "$T/raw.bighdr")" ;;
esac
hdrs=()
for i in $(seq 1 2000); do hdrs+=(-H "X-H$i: v"); done
STATUS=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" \
    "${hdrs[@]}" http://eard/healthz 2>/dev/null) || STATUS=000
case $STATUS in
4*|000) t_ok "2000 headers: 4xx or closed ($STATUS)" ;;
*) t_fail "2000 headers: 4xx or closed" "$STATUS" ;;
esac

# Pipelining: three requests in one write, three answers in order.
body="{\"as_of\":\"2024-06-01\",\"destination\":\"CN\",$H100_CHIP,\"bogus\":1}"
{
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
	printf 'POST /v1/checks/chip HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	    "${#body}" "$body"
	printf 'GET /no/such/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	# Keep our side open: an early end of input could be read by eard
	# before it answered, and a half-closed client loses what is pending.
	sleep 2
} | raw pipe
t_eq "pipelined requests answered in order" "$(statuses "$T/raw.pipe")" "200 400 404"

# JSON bodies: each a 4xx naming the problem.
chip() {
	req POST /v1/checks/chip "{\"as_of\":\"2024-06-01\",\"destination\":\"CN\",$1}"
}
printf '{"as_of":"2024-06-01","destination":"CN","chip":{"name":"H\xff\xfe100","die_area_mm2":814}}' >"$T/badutf8.json"
req POST /v1/checks/chip "@$T/badutf8.json"
t_status "invalid UTF-8 in a JSON string: 400" 400
case "$(jqr .error.message)" in
*[Uu][Tt][Ff]*|*"decode byte 0xff"*) t_ok "invalid UTF-8: the message names the byte" ;;
*) t_fail "invalid UTF-8: the message names the byte" "$BODY" ;;
esac
printf '{"as_of":"2024-06-01","destination":"C\xc0\xaf"}' >"$T/overlong.json"
req POST /v1/checks/chip "@$T/overlong.json"
t_status "overlong UTF-8 sequence: 400" 400
chip '"chip":{"name":"x","die_area_mm2":NaN}'
bad "NaN" 400 malformed_json
chip '"chip":{"name":"x","die_area_mm2":1e400}'
bad "1e400" 400 malformed_json
chip '"chip":{"name":"x","performance":[{"format":"fp8","bits":8,"dense_tops":1e308}],"die_area_mm2":-814,"datacenter":true}'
t_status "negative die area: 400" 400
case "$(jqr .error.field)" in
*die_area*) t_ok "negative die area: names the field" ;;
*) t_fail "negative die area: names the field" "$BODY" ;;
esac
chip "$H100_CHIP,\"quantity\":1e300"
t_status "quantity 1e300: 400" 400
t_eq "quantity 1e300: names the field" "$(jqr .error.field)" quantity
chip "$H100_CHIP,\"quantity\":-3"
t_status "negative quantity: 400" 400
t_eq "negative quantity: names the field" "$(jqr .error.field)" quantity
chip "$H100_CHIP,\"quantity\":99999999999999999999999"
t_status "quantity beyond 64 bits: 400" 400
chip "$H100_CHIP,\"shipment_mode\":\"air\""
bad "unknown top-level field" 400 unknown_field shipment_mode
chip '"chip":{"name":"x","die_area_mm2":814,"colour":"green"}'
t_status "unknown chip field: 400" 400
case "$(jqr .error.field)" in
*colour*) t_ok "unknown chip field: names it" ;;
*) t_fail "unknown chip field: names it" "$BODY" ;;
esac
for d in 1899-12-31 2024-02-30 9999-99-99 2024-13-01 "2024-06-01T00:00:00Z" ""; do
	req POST /v1/checks/chip "{\"as_of\":\"$d\",\"destination\":\"CN\",$H100_CHIP}"
	t_status "as_of \"$d\": 400" 400
	t_eq "as_of \"$d\": names the field" "$(jqr .error.field)" as_of
done
req POST /v1/checks/chip "{\"as_of\":\"2024-06-01\",\"destination\":\"\\u0000N\",$H100_CHIP}"
t_status "NUL in a country code: 400" 400
req POST /v1/checks/chip '[]'
t_status "an array for a body: 400" 400
req POST /v1/checks/chip "$(printf '%0.s[' $(seq 1 5000))"
case $STATUS in
4*) t_ok "5000 nested arrays: 4xx ($STATUS)" ;;
*) t_fail "5000 nested arrays: 4xx" "$STATUS" ;;
esac

settle
t_eq "no hostile request recorded a decision" "$(decisions)" "$n0"
req GET /healthz
t_status "eard still up after the HTTP hostiles" 200
kill -0 "$EARD_PID" 2>/dev/null && t_ok "eard process alive" ||
    t_fail "eard process alive"

# XML: four hostile documents per root element.
X=$T/xml
mkdir -p "$X"
# gen ROOT: ROOT-xxe, -netdtd, -laughs, -deep .xml in $X.
gen() {
	local r=$1 i
	printf '<?xml version="1.0"?>\n<!DOCTYPE %s [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n<%s id="&xxe;" N="&xxe;"><HEAD>&xxe;</HEAD></%s>\n' \
	    "$r" "$r" "$r" >"$X/$r-xxe.xml"
	printf '<?xml version="1.0"?>\n<!DOCTYPE %s SYSTEM "http://127.0.0.1:1/x.dtd">\n<%s><HEAD>x</HEAD></%s>\n' \
	    "$r" "$r" "$r" >"$X/$r-netdtd.xml"
	{
		printf '<?xml version="1.0"?>\n<!DOCTYPE %s [\n<!ENTITY l0 "lol">\n' "$r"
		for i in 1 2 3 4 5 6 7 8 9; do
			printf '<!ENTITY l%d "%s">\n' $i \
			    "$(printf "&l$((i - 1));%.0s" 1 2 3 4 5 6 7 8 9 10)"
		done
		printf ']>\n<%s N="&l9;"><HEAD>&l9;</HEAD></%s>\n' "$r" "$r"
	} >"$X/$r-laughs.xml"
	{
		printf '<?xml version="1.0"?>\n<%s>' "$r"
		printf '<P>%.0s' $(seq 1 10000)
		printf '</P>%.0s' $(seq 1 10000)
		printf '</%s>\n' "$r"
	} >"$X/$r-deep.xml"
}
gen rulepack
gen DIV5
gen RULE
imp=(--database "$EARD_IMPORT_DATABASE_URL")
# xml NAME ROOT CMD...: each hostile file refused, quickly, with a message.
xml() {
	local name=$1 root=$2 k f rc t0 t1
	shift 2
	for k in xxe netdtd laughs deep; do
		f=$X/$root-$k.xml
		t0=$(date +%s%N)
		timeout 30 "$@" "$f" >"$T/xml.out" 2>&1
		rc=$?
		t1=$(date +%s%N)
		if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "$root-$k.xml\|$k\|entit\|DTD\|doctype\|document type\|depth" "$T/xml.out"; then
			t_ok "$name $k: refused ($(head -n 1 "$T/xml.out" | cut -c 1-110))"
		else
			t_fail "$name $k: refused with a clear error" \
			    "exit $rc: $(head -n 2 "$T/xml.out" | tr '\n' ' ')"
		fi
		if [ $(((t1 - t0) / 1000000)) -lt 5000 ]; then
			t_ok "$name $k: within 5 s ($(((t1 - t0) / 1000000)) ms)"
		else
			t_fail "$name $k: within 5 s" "$(((t1 - t0) / 1000000)) ms"
		fi
		if grep -q 'root:x:0:0' "$T/xml.out"; then
			t_fail "$name $k: no /etc/passwd in the output"
		fi
	done
}
xml "rules validate" rulepack "$EARCTL" rules validate
xml "import rules" rulepack "$EARCTL" "${imp[@]}" import rules
xml "import ecfr" DIV5 "$EARCTL" "${imp[@]}" import ecfr --date 2024-06-01
xml "import fr" RULE "$EARCTL" "${imp[@]}" import fr
# Nothing of the password file anywhere in the database.
leak=$("$(pg_bindir)/pg_dump" -h "$T/run" -U postgres -d eard -a 2>/dev/null |
    grep -c 'root:x:0:0\|/bin/bash\|/usr/sbin/nologin')
t_eq "no /etc/passwd content in the database" "$leak" 0

req GET /healthz
t_status "eard still up at the end" 200
it_done
