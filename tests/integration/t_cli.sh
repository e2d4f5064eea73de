#!/usr/bin/env bash
# t_cli: earctl against a real cluster and the real eard — migrations
# (idempotent, a changed file refused, pending listed), status, checks and
# their exit codes, --json, lookups, eard down -> exit 3, --help everywhere.
. "$(dirname "$0")/lib.sh"
it_start nodaemon

# earctl_rc ARGS...: run earctl, output in $T/out and $T/err, exit in RC.
earctl_rc() {
	"$EARCTL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# --- db migrate / db status (it_start has migrated once already) ---
nfiles=$(ls "$ROOT"/schema/[0-9][0-9][0-9]_*.sql | wc -l)
earctl_rc db migrate --schema-dir "$ROOT/schema"
t_eq "db migrate a second time exits 0" "$RC" 0
t_eq "db migrate a second time applies nothing" \
    "$(grep -c '^applied ' "$T/out")" 0
t_eq "schema_migrations has one row per file" \
    "$("${PSQL[@]}" -c 'SELECT count(*) FROM schema_migrations')" "$nfiles"
t_eq "schema_migrations records each file's sha256" \
    "$("${PSQL[@]}" -c "SELECT sha256 FROM schema_migrations WHERE name = '001_foundation.sql'")" \
    "$(sha256sum "$ROOT/schema/001_foundation.sql" | cut -d' ' -f1)"
earctl_rc db status --schema-dir "$ROOT/schema"
t_eq "db status exits 0 when up to date" "$RC" 0
t_eq "db status lists every migration as applied" \
    "$(grep -c ' applied ' "$T/out")" "$nfiles"
earctl_rc --csv db status --schema-dir "$ROOT/schema"
t_eq "db status --csv has a header and one line per file" \
    "$(wc -l <"$T/out")" "$((nfiles + 1))"

mkdir -p "$T/schema2"
cp "$ROOT"/schema/*.sql "$T/schema2/"
printf '\n-- edited after it was applied\n' >>"$T/schema2/001_foundation.sql"
printf 'CREATE TABLE t_cli_probe (a int);\n' >"$T/schema2/999_t_cli_probe.sql"
earctl_rc db migrate --schema-dir "$T/schema2"
t_eq "db migrate refuses when an applied file changed" "$RC" 4
t_eq "the refusal names the file" \
    "$(grep -c 'migration "001_foundation.sql" has changed' "$T/err")" 1
t_eq "the refusal applies nothing" \
    "$("${PSQL[@]}" -c "SELECT to_regclass('t_cli_probe') IS NULL")" t
cp "$ROOT/schema/001_foundation.sql" "$T/schema2/"
earctl_rc db status --schema-dir "$T/schema2"
t_eq "db status exits 1 with a pending migration" "$RC" 1
t_eq "db status shows it pending" \
    "$(grep -c '^999_t_cli_probe.sql *pending' "$T/out")" 1
earctl_rc db migrate --schema-dir "$T/schema2"
t_eq "db migrate applies the pending one" "$(cat "$T/out")" \
    "applied 999_t_cli_probe.sql"
t_eq "and its table exists" \
    "$("${PSQL[@]}" -c "SELECT to_regclass('t_cli_probe') IS NOT NULL")" t
printf 'CREATE TABLE t_cli_bad (a int);\nSELECT no_such_column;\n' \
    >"$T/schema2/998_bad.sql"
earctl_rc db migrate --schema-dir "$T/schema2"
t_eq "a failing migration exits 4" "$RC" 4
t_eq "its error names file and line" \
    "$(grep -c '998_bad.sql:2: column "no_such_column" does not exist' "$T/err")" 1
t_eq "and rolls back its transaction" \
    "$("${PSQL[@]}" -c "SELECT to_regclass('t_cli_bad') IS NULL")" t

# --- eard down: exit 3 ---
earctl_rc --socket "$T/no-such.sock" status
t_eq "status with eard down exits 3" "$RC" 3
earctl_rc --socket "$T/no-such.sock" check chip --tops fp16=312 --to CN
t_eq "check with eard down exits 3" "$RC" 3

# --- usage errors: exit 2 ---
earctl_rc check chip --tops fp16=312
t_eq "check chip without --to exits 2" "$RC" 2
earctl_rc check chip --tops fp16=312 --to CN --frobnicate
t_eq "an unknown flag exits 2" "$RC" 2
t_eq "and names the flag" "$(grep -c 'unknown option "--frobnicate"' "$T/err")" 1

# --- --help for every command ---
earctl_rc help
t_eq "earctl help exits 0" "$RC" 0
names=$(sed -n '/^Commands:/,/^$/p' "$T/out" | grep '^  [a-z]' |
    awk '{ n = ""; for (i = 1; i <= NF; i++) { if ($i !~ /^[a-z][a-z-]*$/) break; n = n (n == "" ? "" : " ") $i } print n }')
t_eq "earctl help lists commands" "$([ -n "$names" ] && echo yes)" yes
while IFS= read -r name; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	earctl_rc $name --help
	if [ "$RC" = 0 ] && grep -q "^usage: earctl .*$name" "$T/out"; then
		t_ok "earctl $name --help"
	else
		t_fail "earctl $name --help" "exit $RC: $(head -c 200 "$T/err")"
	fi
done <<<"$names"
earctl_rc --version
# The first line is earctl's own; the next say what eard has loaded, or that
# it is not running (it is not, yet).
t_eq "--version" "$(head -n 1 "$T/out")" "earctl $(cat "$ROOT/VERSION" 2>/dev/null || echo 0.0.0)"
t_eq "--version without eard" "$(sed -n 2p "$T/out" | cut -d' ' -f1-3)" "eard: not running"

# --- against the real daemon ---
it_import_rules || t_fail "import the rulepacks with earctl import rules"
# Checks naming a recipient screen it, so a list must be loaded.
earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import csl \
    "$ROOT/tests/fixtures/csl-sample.json"
t_eq "import csl of the sample list exits 0" "$RC" 0
earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import rules \
    "$ROOT/tests/fixtures/no-such-pack.xml"
t_eq "import of a missing file exits 4" "$RC" 4
earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import ecfr \
    "$ROOT/tests/fixtures/ecfr/part740_country_groups.xml"
t_eq "import ecfr of the Part 740 fixture exits 0" "$RC" 0
earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import fr \
    "$ROOT/tests/fixtures/fr/FR_2023-03929_trimmed.xml"
t_eq "import fr of the FR fixture exits 0" "$RC" 0
for kind in chips models; do
	earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import "$kind" \
	    "$ROOT/tests/fixtures/registry/$kind.json"
	t_eq "import $kind of the registry fixture exits 0" "$RC" 0
	earctl_rc --database "$EARD_IMPORT_DATABASE_URL" import "$kind" \
	    "$ROOT/tests/fixtures/registry/$kind.json"
	t_eq "importing $kind again exits 0 (idempotent)" "$RC" 0
done
earctl_rc rules validate "$ROOT"/rules/[0-9]*.xml
t_eq "rules validate of the curated packs exits 0" "$RC" 0
eard_start
wait_ready 20 || t_fail "eard ready" "$BODY"

earctl_rc status
t_eq "status exits 0 when ready" "$RC" 0
t_eq "status says ready" "$(grep -c '^ready: *yes' "$T/out")" 1
earctl_rc --json status
t_eq "status --json is JSON saying ready" "$(jq -r .ready "$T/out")" true

# 87 FR 62186 (eff. 2022-10-07): A100 (TPP 4992, I/O 600 GB/s) to China
# needs a licence, 15 CFR 742.6(a)(6) — expert case C02.
a100=(--tops fp16=312 --tops int8=624 --die-area 826 --io-bw 600
    --mem-bw 2039 --datacenter --recipient "Example Customer Ltd"
    --recipient-hq CN --as-of 2023-01-01)
earctl_rc check chip "${a100[@]}" --to CN
t_eq "A100 to CN on 2023-01-01 exits 20 (license_required)" "$RC" 20
t_eq "and prints the verdict" "$(grep -c '^verdict: *license_required' "$T/out")" 1
t_eq "and the ECCN" "$(grep -c '^ECCN: *3A090' "$T/out")" 1
earctl_rc --json check chip "${a100[@]}" --to CN
t_eq "--json exits 20 too" "$RC" 20
t_eq "--json prints eard's reply" "$(jq -r .verdict "$T/out")" license_required
t_eq "--json reply carries a decision id" \
    "$(jq -r '.decision_id | length > 0' "$T/out")" true

# Same rule: the A800 (I/O 400 GB/s) is outside 3A090 — expert case C03.
earctl_rc check chip --tops fp16=312 --die-area 826 --io-bw 400 \
    --mem-bw 2039 --datacenter --recipient "Example Customer Ltd" \
    --recipient-hq CN --as-of 2023-01-01 --to CN
t_eq "A800 to CN on 2023-01-01 exits 0 (no_license_required)" "$RC" 0
t_eq "and prints the verdict" \
    "$(grep -c '^verdict: *no_license_required' "$T/out")" 1

# The same request from a file, through stdin.
"$EARCTL" check chip "${a100[@]}" --to CN --dry-run >"$T/req.json"
earctl_rc check chip --file "$T/req.json"
t_eq "check chip --file exits 20" "$RC" 20
"$EARCTL" check chip --file - <"$T/req.json" >/dev/null 2>&1
t_eq "check chip --file - (stdin) exits 20" "$?" 20

# An error reply: unknown registry chip.
earctl_rc check chip --chip no-such-chip --to CN
t_eq "an error reply exits 4" "$RC" 4

earctl_rc eccn 3A090 --as-of 2024-06-01
t_eq "eccn 3A090 exits 0" "$RC" 0
t_eq "eccn 3A090 prints something" "$([ -s "$T/out" ] && echo yes)" yes
earctl_rc country CN --as-of 2024-06-01
t_eq "country CN exits 0" "$RC" 0
t_eq "country CN lists D:5" "$(grep -c 'D:5' "$T/out" | awk '{ print ($1 > 0) }')" 1

eard_stop TERM
earctl_rc status
t_eq "status after eard stopped exits 3" "$RC" 3

it_done
