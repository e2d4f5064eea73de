#!/usr/bin/env bash
# run.sh: `make run` — eard in the foreground on its embedded PostgreSQL.
#
# With EARD_DATABASE_URL set, nothing embedded starts: eard uses that server
# (migrate and import it yourself with earctl --database).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
EARD=$top/$BUILD/eard
EARCTL=$top/$BUILD/earctl

v=$(scripts/pg.sh vardir)
mkdir -p "$v/run" "$v/spool"
if [ -f "$v/eard.pid" ] && kill -0 "$(cat "$v/eard.pid")" 2>/dev/null; then
	echo "eard: already running (pid $(cat "$v/eard.pid")); \`make stop\` stops it" >&2
	exit 1
fi
# The development configuration; edit it freely, it is not overwritten.
[ -f "$v/eard.conf" ] || cat >"$v/eard.conf" <<CONF
# eard configuration for \`make run\` (see docs/eard.8 or eard --dump-config)
spool_dir = $v/spool
CONF
sock=$v/run/eard.sock

if [ -n "${EARD_DATABASE_URL:-}" ]; then
	echo "eard: using EARD_DATABASE_URL; no embedded PostgreSQL" >&2
	exec "$EARD" -f -c "$v/eard.conf" --socket "$sock" "$@"
fi

scripts/pg.sh start
# earctl's defaults find ./var/run: migrations as the superuser, imports as
# eard_admin, eard itself as eard (schema/001_foundation.sql).
"$EARCTL" db migrate --schema-dir "$top/schema"

# Bundled data: the curated rulepacks and the sample registry and lists.
# Each import is idempotent, so a second `make run` changes nothing.
"$EARCTL" import rules rules/[0-9]*.xml
for f in samples/chips*.json; do
	[ -e "$f" ] && "$EARCTL" import chips "$f"
done
for f in samples/models*.json; do
	[ -e "$f" ] && "$EARCTL" import models "$f"
done
# The real Consolidated Screening List when ../shared/data has it (checks
# screen their recipients and refuse to answer without a list).
csl=../shared/data/regs/csl/consolidated.json
[ -f "$csl" ] || csl=tests/fixtures/csl-sample.json
"$EARCTL" import csl "$csl"

echo "eard: socket $sock; try:"
echo "  curl --unix-socket $top/var/run/eard.sock http://eard/readyz"
"$EARD" -f -c "$v/eard.conf" --socket "$sock" \
    --database-url "$(scripts/pg.sh url daemon)" "$@" &
pid=$!
echo $pid >"$v/eard.pid"
trap 'kill -TERM $pid 2>/dev/null' INT TERM
rc=0
wait $pid || rc=$?
# A second wait: the first returns early when the trap ran.
wait $pid 2>/dev/null || true
rm -f "$v/eard.pid"
scripts/pg.sh stop
exit $rc
