#!/usr/bin/env bash
# t_checks_registry.sh: a check naming a registry chip by id costs one
# registry lookup, not one per check: eard keeps the facts until the
# registry changes. Asserts that repeated checks by id send no further
# SELECT to chips_current (counted in the server's statement log), that a
# re-import (NOTIFY registry_changed) is seen by the next check, that an
# unknown id stops being unknown once imported, and that with the database
# down an id never looked up fails closed (503) while the rules answer.
. "$(dirname "$0")/lib.sh"

it_start nodaemon
printf 'spool_dir = %s\naudit_mode = async\n' "$T/spool" >"$T/eard.conf"
eard_start
if ! it_import_rules; then
	t_skip "checks by registry id" "the rulepacks did not import"
	it_done
fi
wait_ready 20 || t_fail "ready after the rules import"

imp() {
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import "$@" \
	    >"$T/imp.log" 2>&1
}
# chips FILE TOPS: one chip, "Example DC Accelerator", at that fp8 rate.
chips() {
	cat >"$1" <<JSON
{"chips": [{"name": "Example DC Accelerator", "performance": [
  {"format": "fp8", "bits": 8, "dense_tops": $2}],
  "die_area_mm2": 814, "io_bandwidth_gbs": 900,
  "memory_bandwidth_gbs": 3350, "datacenter": true}]}
JSON
}
# lookups: SELECTs of chips_current the server has logged so far.
lookups() {
	grep -c "FROM chips_current WHERE id" "$T/pg.log" 2>/dev/null || true
}
CHECK='{"as_of":"2024-06-01","destination":"CN","chip":{"id":"example-dc-accelerator"}}'

"${PSQL[@]}" -c "ALTER SYSTEM SET log_statement = 'all'" \
    -c "SELECT pg_reload_conf()" >/dev/null

chips "$T/chips1.json" 1979
t_cmd "import the chip (fp8 1979 TOPS)" imp chips "$T/chips1.json"
sleep 0.5

# 3A090.a: TPP = 1979 x 8 = 15,832 >= 4,800 (15 CFR 774 Supp. 1, 3A090.a;
# 88 FR 73458); CN is in D:5, so a licence is required on 2024-06-01.
req POST /v1/checks/chip "$CHECK"
t_status "check by id" 200
t_eq "TPP from the registry facts" "$(jqr .classification.tpp)" 15832
t_eq "3A090.a to CN" "$(jqr .verdict)" license_required
n1=$(lookups)
for _ in 1 2 3 4 5; do req POST /v1/checks/chip "$CHECK"; done
t_status "the same check again" 200
t_eq "five more checks by id: no further lookup" "$(lookups)" "$n1"

# A new version of the chip's facts: the import NOTIFYs registry_changed.
# 100 x 8 = 800 TPP is below every 3A090 threshold.
chips "$T/chips2.json" 100
t_cmd "re-import with fp8 100 TOPS" imp chips "$T/chips2.json"
got=
for _ in $(seq 1 30); do
	req POST /v1/checks/chip "$CHECK"
	got=$(jqr .classification.tpp)
	[ "$got" = 800 ] && break
	sleep 0.1
done
t_eq "registry_changed: the next check uses the new facts" "$got" 800
t_eq "looked up again after the change" "$(( $(lookups) > n1 ))" 1

# An unknown id is remembered as unknown only until the registry changes.
req POST /v1/checks/chip '{"as_of":"2024-06-01","destination":"CN","chip":{"id":"example-later-chip"}}'
t_status "unknown id" 404
t_eq "unknown id: error code" "$(jqr .error.code)" unknown_chip
cat >"$T/chips3.json" <<JSON
{"chips": [{"name": "Example Later Chip", "performance": [
  {"format": "fp8", "bits": 8, "dense_tops": 1979}],
  "die_area_mm2": 814, "datacenter": true}]}
JSON
t_cmd "import the later chip" imp chips "$T/chips3.json"
st=
for _ in $(seq 1 30); do
	req POST /v1/checks/chip '{"as_of":"2024-06-01","destination":"CN","chip":{"id":"example-later-chip"}}'
	st=$STATUS
	[ "$st" = 200 ] && break
	sleep 0.1
done
t_eq "imported later: known after registry_changed" "$st" 200

# Database down: a cached id still answers (the rules are in memory, the
# decision goes to the spool); an id never looked up fails closed.
req POST /v1/checks/chip "$CHECK"
t_status "looked up once more before the database goes" 200
pg_cluster_stop "$T" fast
req POST /v1/checks/chip "$CHECK"
t_status "database down: cached id answers" 200
req POST /v1/checks/chip '{"as_of":"2024-06-01","destination":"CN","chip":{"id":"example-other-chip"}}'
t_status "database down: uncached id fails closed" 503
t_eq "database down: registry_unavailable" "$(jqr .error.code)" \
    registry_unavailable
pg_cluster_start "$T"

it_done
