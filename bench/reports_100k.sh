#!/usr/bin/env bash
# reports_100k.sh: how long each analyst report takes on 100,000 decisions.
#
#	BUILD=build bench/reports_100k.sh
#
# A throwaway cluster gets the report fixtures (tests/fixtures/reports) and
# 100,000 copies of their decisions spread over January to March 2026, then
# each report runs through `earctl report --direct` and is timed, earctl's
# start and connection included. Prints one line per report.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
EARCTL=$ROOT/$BUILD/earctl
. "$ROOT/scripts/pglib.sh"
T=$(mktemp -d /tmp/eard-r100k.XXXXXX)
chmod 0755 "$T"
trap 'pg_cluster_stop "$T" immediate >/dev/null 2>&1; rm -rf "$T"' EXIT
pg_cluster_init "$T" nosync >/dev/null
pg_cluster_start "$T"
pg_cluster_createdb "$T" eard
export EARD_ADMIN_DATABASE_URL="host=$T/run dbname=eard user=postgres"
"$EARCTL" db migrate --schema-dir "$ROOT/schema" >/dev/null
P=("$(pg_bindir)/psql" -h "$T/run" -U postgres -d eard -v ON_ERROR_STOP=1 -Atq)
for f in "$ROOT"/tests/fixtures/reports/*.sql; do
	"${P[@]}" -f "$f" >/dev/null
done
# Copies bypass decisions_append (their hashes are the originals'): the
# reports read the rows, not the chain.
"${P[@]}" -c "SELECT decisions_ensure_partition(t) FROM generate_series(
    '2026-01-01'::timestamptz, '2026-04-01', interval '1 month') t" >/dev/null
"${P[@]}" -c "INSERT INTO decisions (id, decided_at, kind, requester, request,
    response, verdict, ruleset_version, lists_version, chain, seq, prev_hash,
    hash)
SELECT 'x' || g || '-' || d.id, timestamptz '2026-01-01' +
    (g % 80) * interval '1 day' + (g % 86400) * interval '1 second', d.kind,
    d.requester, d.request, d.response, d.verdict, d.ruleset_version,
    d.lists_version, to_char(timestamptz '2026-01-01' +
    (g % 80) * interval '1 day', 'YYYY-MM'), 1000000 + row_number() OVER (),
    d.prev_hash, d.hash
FROM generate_series(1, 100000 / (SELECT count(*) FROM decisions)) g,
    (SELECT * FROM decisions) d"
"${P[@]}" -c "ANALYZE decisions"
echo "decisions: $("${P[@]}" -c 'SELECT count(*) FROM decisions')"
for c in "decisions --from 2026-01-01 --to 2026-03-01" \
    "decisions --from 2026-01-01 --to 2026-04-01 --kind chip" \
    "exposure --as-of 2026-03-01" "screening --from 2026-01-01 --to 2026-03-01" \
    "freshness --as-of 2026-03-01" "near-thresholds" "chips"; do
	read -r -a args <<<"$c"
	s=$(date +%s%N)
	"$EARCTL" --csv report "${args[@]}" --direct \
	    --queries-dir "$ROOT/queries" >/dev/null
	e=$(date +%s%N)
	printf '%-55s %6.3f s\n' "report $c" "$(( (e - s) / 1000 ))e-6"
done
