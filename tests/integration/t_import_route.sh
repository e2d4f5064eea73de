#!/usr/bin/env bash
# t_import_route: POST /v1/import/{kind} (admin), the socket form of
# `earctl import`. Every curated rulepack through the route, a re-import
# that changes nothing, a bad pack that gets 400 naming its line and leaves
# the rules as they were, the CSL fixture through the route and into
# GET /v1/lists, 403 for roles other than admin (role_map and an unknown
# uid), and 413 telling to use the CLI for files over max_body_size.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
uid=$(id -u)
printf 'spool_dir = %s\nsocket_mode = 0666\n' "$T/spool" >"$T/eard.conf"
eard_start

# import KIND FILE [QUERY]: POST the file's bytes.
import() {
	req POST "/v1/import/$1?name=$(basename "$2")${3:+&$3}" "@$2"
}

# The curated packs, in file-name order, each through the route.
n=0
bad=
for f in "$ROOT"/rules/[0-9]*.xml; do
	import rules "$f"
	n=$((n + 1))
	if [ "$STATUS" != 200 ] || [ "$(jqr .imported)" != 1 ]; then
		bad="$(basename "$f"): HTTP $STATUS $BODY"
		break
	fi
done
[ -z "$bad" ] && t_ok "each of the $n curated rulepacks imports through the route" ||
    t_fail "the curated rulepacks import through the route" "$bad"
t_eq "the rebuild wrote rule rows" "$([ "$(jqr .rows)" -gt 0 ] && echo yes)" yes
wait_ready 20 || t_fail "eard ready after the route import" "$BODY"
req GET /readyz
v1=$(jqr .ruleset)
t_eq "the daemon loaded the imported rules" "$([ -n "$v1" ] &&
    [ "$v1" != null ] && echo yes)" yes
req POST /v1/checks/chip '{"destination": "CN", "chip": {"name": "H100 SXM",
  "performance": [{"format": "fp8", "bits": 8, "dense_tops": 1979}],
  "die_area_mm2": 814, "datacenter": true}}'
t_eq "a check works on the route-imported rules (H100 to CN)" \
    "$(jqr .verdict)" license_required
packs=$("${PSQL[@]}" -c "SELECT count(*) || ':' || string_agg(sha256, ','
    ORDER BY id) FROM rulepacks")

# Re-import: unchanged, nothing rebuilt.
import rules "$ROOT/rules/35-88FR73458.xml"
t_status "a re-import is answered 200" 200
t_eq "a re-import reports the pack unchanged" \
    "$(jqr '[.imported, .unchanged, .rows] | map(tostring) | join(" ")')" "0 1 0"

# A bad pack: 400 with file and line; the rules are as they were.
import rules "$ROOT/tests/fixtures/rulepacks/bad-range.xml"
t_status "a bad pack gets 400" 400
case $(jqr .error.message) in
bad-range.xml:5:*"<param name=\"p\">"*) t_ok "the error names the file, line and element" ;;
*) t_fail "the error names the file, line and element" "$BODY" ;;
esac
t_eq "the error does not leak the temp path" \
    "$(jqr .error.message | grep -c eard-import)" 0
t_eq "a bad pack changes no stored pack" "$("${PSQL[@]}" -c "SELECT count(*)
    || ':' || string_agg(sha256, ',' ORDER BY id) FROM rulepacks")" "$packs"
sleep 0.3
req GET /readyz
t_eq "a bad pack leaves the loaded ruleset version" "$(jqr .ruleset)" "$v1"
t_eq "no temp files are left in spool_dir" \
    "$(find "$T/spool" -name 'eard-import.*' | wc -l)" 0

# Requests the route refuses before any work.
req POST /v1/import/nonsense '<x/>'
t_status "an unknown kind gets 404" 404
req POST "/v1/import/rules?name=../../etc/x.xml" \
    @"$ROOT/tests/fixtures/rulepacks/bad-range.xml"
t_eq "a name with a path keeps only the file name" \
    "$STATUS $(jqr .error.message | cut -d: -f1-2)" "400 x.xml:5"
req POST /v1/import/rules
t_status "an empty body gets 400" 400
req POST "/v1/import/ecfr?date=yesterday" '<x/>'
t_status "a malformed date gets 400" 400

# The CSL fixture through the route, then in GET /v1/lists.
import csl "$ROOT/tests/fixtures/csl-sample.json"
t_status "the CSL fixture imports through the route" 200
t_eq "the CSL import reports parties and a version" \
    "$(jqr '(.parties > 0) and (.version > 0) and (.unchanged == false)')" true
csl_version=$(jqr .version)
for _ in $(seq 1 100); do
	req GET /v1/lists
	[ "$(jqr '.parties > 0')" = true ] && break
	sleep 0.1
done
t_eq "GET /v1/lists shows the imported parties" "$(jqr '.parties > 0')" true
t_eq "GET /v1/lists names the imported version" \
    "$(jqr "[.. | objects | select(has(\"list_version\")) | .list_version |
    tostring] | index(\"$csl_version\") != null")" true
import csl "$ROOT/tests/fixtures/csl-sample.json"
t_eq "the same CSL file again is unchanged" "$(jqr .unchanged)" true

# Other roles: 403.
nobody_status() {
	runuser -u nobody -- curl -s -o /dev/null -w '%{http_code}' \
	    --unix-socket "$SOCK" -X POST --data-binary "@$1" \
	    "http://eard/v1/import/rules" 2>/dev/null
}
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	t_eq "an unknown uid gets 403" \
	    "$(nobody_status "$ROOT/rules/35-88FR73458.xml")" 403
else
	t_skip "an unknown uid gets 403" "no nobody user or runuser"
fi
for role in pipeline counsel analyst; do
	printf 'spool_dir = %s\nsocket_mode = 0666\nrole_map = "%s:%s"\n' \
	    "$T/spool" "$uid" "$role" >"$T/eard.conf"
	kill -HUP "$EARD_PID"
	sleep 0.4
	import rules "$ROOT/rules/35-88FR73458.xml"
	t_eq "role $role gets 403 on an import" "$STATUS" 403
done

# Over max_body_size: 413 pointing at the CLI.
printf 'spool_dir = %s\nmax_body_size = 1KiB\n' "$T/spool" >"$T/eard.conf"
kill -HUP "$EARD_PID"
sleep 0.4
import rules "$ROOT/rules/35-88FR73458.xml"
t_status "a file over max_body_size gets 413" 413
case $(jqr .error.message) in
*"earctl import"*) t_ok "the 413 says to use earctl import" ;;
*) t_fail "the 413 says to use earctl import" "$BODY" ;;
esac

it_done
