#!/usr/bin/env bash
# pg.sh: the embedded PostgreSQL of `make run` (./var) and friends.
#
#   pg.sh vardir     print the state directory (./var, or where it points)
#   pg.sh start      initdb if needed, start, create the database
#   pg.sh stop       stop the cluster
#   pg.sh stop-all   stop a running `make run`: eard, then the cluster
#   pg.sh psql ARGS  psql on the embedded database as its superuser
#   pg.sh url [admin|daemon]   the libpq connection string
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/pglib.sh"

# As root, the cluster runs as `postgres`, which may not reach the checkout
# (say, under /root): the state then lives in /var/lib/eard-dev/<hash> and
# ./var is a symbolic link to it, so every path below stays ./var/...
vardir() {
	local v=$top/var real
	if [ "$(id -u)" -eq 0 ] && [ ! -L "$v" ]; then
		real=/var/lib/eard-dev/$(printf '%s' "$top" | sha256sum | cut -c1-12)
		mkdir -p "$real"
		chown postgres:postgres "$real"
		chmod 0755 "$real"
		if [ -d "$v" ]; then
			echo "eard: $v exists but is not a link; move it away" >&2
			exit 1
		fi
		ln -s "$real" "$v"
	fi
	mkdir -p "$v"
	(cd "$v" && pwd -P)
}

url() {
	local v
	v=$(vardir)
	case "${1:-daemon}" in
	admin)	echo "host=$v/run dbname=eard user=postgres" ;;
	importer) echo "host=$v/run dbname=eard user=eard_admin" ;;
	*)	echo "host=$v/run dbname=eard user=eard" ;;
	esac
}

cmd=${1:-}
shift || true
case "$cmd" in
vardir)	vardir ;;
start)
	v=$(vardir)
	pg_cluster_init "$v"
	pg_cluster_start "$v"
	pg_cluster_createdb "$v" eard
	;;
stop)	pg_cluster_stop "$(vardir)" ;;
stop-all)
	v=$(vardir)
	if [ -f "$v/eard.pid" ] && kill -0 "$(cat "$v/eard.pid")" 2>/dev/null; then
		pid=$(cat "$v/eard.pid")
		kill -TERM "$pid"
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		echo "eard: stopped eard (pid $pid)"
	fi
	rm -f "$v/eard.pid"
	pg_cluster_stop "$v" && echo "eard: stopped the embedded PostgreSQL"
	;;
psql)
	v=$(vardir)
	exec "$(pg_bindir)/psql" -h "$v/run" -U postgres -d eard "$@"
	;;
url)	url "${1:-daemon}" ;;
*)
	echo "usage: pg.sh vardir|start|stop|stop-all|psql|url" >&2
	exit 2
	;;
esac
