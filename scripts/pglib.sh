# pglib.sh: start and stop a private PostgreSQL cluster (sourced, not run).
#
# A cluster lives in a directory D: D/pg (data), D/run (Unix socket, the
# only listener: no TCP), D/pg.log. PostgreSQL refuses to run as root, so as
# root the cluster runs as the `postgres` user, which must own D.

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { echo "eard: no PostgreSQL server found (apt-get install postgresql-15)" >&2; return 1; }
	echo "$d"
}

# Run a command as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_cluster_init D [nosync]: initdb into D/pg unless it is there.
pg_cluster_init() {
	local d=$1 nosync=${2:-} bin
	bin=$(pg_bindir) || return 1
	mkdir -p "$d/run"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$d" "$d/run"
	fi
	[ -f "$d/pg/PG_VERSION" ] && return 0
	pg_as_owner "$bin/initdb" -D "$d/pg" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 ${nosync:+--no-sync} >"$d/initdb.log" 2>&1 || {
		cat "$d/initdb.log" >&2
		return 1
	}
	cat >>"$d/pg/postgresql.conf" <<CONF
# eard: private cluster, Unix socket only
listen_addresses = ''
unix_socket_directories = '$d/run'
unix_socket_permissions = 0770
max_connections = 100
shared_buffers = 64MB
CONF
	if [ -n "$nosync" ]; then
		echo "fsync = off" >>"$d/pg/postgresql.conf"
		echo "synchronous_commit = off" >>"$d/pg/postgresql.conf"
	fi
}

# pg_cluster_start D: start it (waits until it accepts connections).
pg_cluster_start() {
	local d=$1 bin
	bin=$(pg_bindir) || return 1
	if pg_as_owner "$bin/pg_ctl" -D "$d/pg" status >/dev/null 2>&1; then
		return 0
	fi
	if [ "$(id -u)" -eq 0 ]; then
		touch "$d/pg.log" && chown postgres:postgres "$d/pg.log"
	fi
	pg_as_owner "$bin/pg_ctl" -D "$d/pg" -l "$d/pg.log" -w -t 60 start >/dev/null || {
		tail -n 20 "$d/pg.log" >&2
		return 1
	}
}

# pg_cluster_stop D [mode]: stop it (fast by default; immediate for crashes).
pg_cluster_stop() {
	local d=$1 mode=${2:-fast} bin
	bin=$(pg_bindir) || return 1
	pg_as_owner "$bin/pg_ctl" -D "$d/pg" status >/dev/null 2>&1 || return 0
	pg_as_owner "$bin/pg_ctl" -D "$d/pg" -m "$mode" -w -t 60 stop >/dev/null
}

# pg_cluster_createdb D NAME: create the database unless it exists.
pg_cluster_createdb() {
	local d=$1 name=$2 bin
	bin=$(pg_bindir) || return 1
	if ! "$bin/psql" -h "$d/run" -U postgres -d postgres -Atqc \
	    "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
		"$bin/psql" -h "$d/run" -U postgres -d postgres -qc \
		    "CREATE DATABASE \"$name\"" >/dev/null
	fi
}
