# lib.sh: the integration-test harness (sourced by tests/integration/t_*.sh).
#
# Each test script gets its own throwaway PostgreSQL cluster and, if it asks,
# the real eard on a private Unix socket, and talks to it as a client would:
#
#	. "$(dirname "$0")/lib.sh"
#	it_start                  # cluster + migrations + eard (it_start nodaemon: no eard)
#	req POST /v1/checks/chip '{"destination":"CN", ...}'
#	t_eq "h100 to CN is licensed" "$(jqr .verdict)" license_required
#	it_done                   # prints "t_name: N passed, N failed", exits
#
# Variables after it_start: T (the temp dir), ROOT, EARD, EARCTL, SOCK,
# EARD_DATABASE_URL (as role eard), EARD_ADMIN_DATABASE_URL (superuser),
# EARD_IMPORT_DATABASE_URL (as eard_admin), PSQL (psql as superuser).
# After req: STATUS (HTTP status) and BODY (response body).
# Set KEEP=1 to keep the temp dir for a post-mortem.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
EARD=$ROOT/$BUILD/eard
EARCTL=$ROOT/$BUILD/earctl
SHARED=$ROOT/../shared
. "$ROOT/scripts/pglib.sh"

IT_NAME=$(basename "$0" .sh)
IT_PASS=0
IT_FAIL=0
IT_SKIP=0
IT_REAL=0
EARD_PID=
STATUS=
BODY=

it_cleanup() {
	[ -n "$EARD_PID" ] && kill -KILL "$EARD_PID" 2>/dev/null
	[ -n "${T:-}" ] && [ -d "$T/pg" ] && pg_cluster_stop "$T" immediate 2>/dev/null
	if [ -n "${T:-}" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	elif [ -n "${T:-}" ]; then
		echo "# kept $T" >&2
	fi
}

# it_start [nodaemon]: cluster, database, migrations, and eard.
it_start() {
	T=$(mktemp -d /tmp/eard-it.XXXXXX)
	chmod 0755 "$T"
	trap it_cleanup EXIT
	pg_cluster_init "$T" nosync || it_abort "initdb failed"
	pg_cluster_start "$T" || it_abort "cluster did not start"
	pg_cluster_createdb "$T" eard || it_abort "createdb failed"
	export EARD_ADMIN_DATABASE_URL="host=$T/run dbname=eard user=postgres"
	export EARD_IMPORT_DATABASE_URL="host=$T/run dbname=eard user=eard_admin"
	export EARD_DATABASE_URL="host=$T/run dbname=eard user=eard"
	PSQL=("$(pg_bindir)/psql" -h "$T/run" -U postgres -d eard -v ON_ERROR_STOP=1 -Atq)
	SOCK=$T/eard.sock
	export EARD_SOCKET=$SOCK
	mkdir -p "$T/spool"
	"$EARCTL" db migrate --schema-dir "$ROOT/schema" >"$T/migrate.log" 2>&1 ||
	    { cat "$T/migrate.log" >&2; it_abort "earctl db migrate failed"; }
	[ "${1:-}" = nodaemon ] || eard_start
}

# it_import_rules: the curated rulepacks, as eard_admin.
it_import_rules() {
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import rules \
	    "$ROOT"/rules/[0-9]*.xml >"$T/import-rules.log" 2>&1 ||
	    { cat "$T/import-rules.log" >&2; return 1; }
}

# eard_start [ARGS]: start eard on $SOCK and wait until /healthz answers.
eard_start() {
	[ -f "$T/eard.conf" ] || printf 'spool_dir = %s\n' "$T/spool" >"$T/eard.conf"
	"$EARD" -f -c "$T/eard.conf" --socket "$SOCK" \
	    --database-url "$EARD_DATABASE_URL" "$@" >>"$T/eard.log" 2>&1 &
	EARD_PID=$!
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null --unix-socket "$SOCK" http://eard/healthz; then
			return 0
		fi
		kill -0 "$EARD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 30 "$T/eard.log" >&2
	it_abort "eard did not start"
}

# eard_stop [SIGNAL]: stop eard and wait for it.
eard_stop() {
	[ -n "$EARD_PID" ] || return 0
	kill -"${1:-TERM}" "$EARD_PID" 2>/dev/null
	wait "$EARD_PID" 2>/dev/null
	EARD_RC=$?
	EARD_PID=
}

# wait_ready [SECONDS]: until /readyz answers 200.
wait_ready() {
	local n=$((${1:-10} * 10))
	for _ in $(seq 1 "$n"); do
		req GET /readyz
		[ "$STATUS" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# req METHOD PATH [BODY]: sets STATUS and BODY. BODY may be @file.
req() {
	local method=$1 path=$2 data=${3:-}
	local args=(-s -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" -X "$method")
	if [ -n "$data" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$data")
	fi
	STATUS=$(curl "${args[@]}" "http://eard$path" 2>/dev/null) || STATUS=000
	BODY=$(cat "$T/resp" 2>/dev/null)
}

# jqr EXPR: jq -r over the last BODY.
jqr() {
	printf '%s' "$BODY" | jq -r "$1" 2>/dev/null
}

t_ok() {
	IT_PASS=$((IT_PASS + 1))
	echo "ok - $1"
}

t_fail() {
	IT_FAIL=$((IT_FAIL + 1))
	echo "not ok - $1${2:+: $2}"
}

t_skip() {
	IT_SKIP=$((IT_SKIP + 1))
	echo "skip - $1${2:+: $2}"
}

# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "got '$2', want '$3'"
	fi
}

# t_status NAME WANT: the last request's HTTP status.
t_status() {
	t_eq "$1" "$STATUS" "$2"
}

# t_cmd NAME CMD...: the command exits 0.
t_cmd() {
	local name=$1
	shift
	if "$@" >"$T/cmd.out" 2>&1; then
		t_ok "$name"
	else
		t_fail "$name" "exit $?: $(tail -n 3 "$T/cmd.out" | tr '\n' ' ')"
	fi
}

# have_shared_data: true when ../shared/data is there; the script's tests
# then count as real-data tests in run.sh's summary.
have_shared_data() {
	[ -d "$SHARED/data" ] || return 1
	IT_REAL=1
}

it_abort() {
	echo "not ok - $IT_NAME: $1"
	IT_FAIL=$((IT_FAIL + 1))
	it_done
}

# it_done: the summary line run.sh reads, and the exit status.
it_done() {
	echo "$IT_NAME: $IT_PASS passed, $IT_FAIL failed, $IT_SKIP skipped" \
	    "(real data: $([ "$IT_REAL" = 1 ] && echo yes || echo no))"
	[ "$IT_FAIL" -eq 0 ]
	exit $?
}
