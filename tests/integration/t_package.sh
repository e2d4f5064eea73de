#!/usr/bin/env bash
# t_package.sh: the Debian package end to end (issue #10). Builds it (make
# deb: the committed tree; reused while HEAD is unchanged), installs it
# with dpkg -i into this system, checks the user, directories, conffile,
# units and man pages, runs the installed eard as the eard user with the
# installed config against a throwaway cluster, socket-activated the way
# eard.socket does it (systemd-socket-activate: LISTEN_FDS), and asks
# `earctl status` and a first check through the socket; then purges.
# Skipped when not root, without dpkg-buildpackage, or when an eard
# package is already installed (it is never replaced). EARD_DEB=FILE tests
# that package instead of building one.
. "$(dirname "$0")/lib.sh"

skip_all() {
	t_skip "t_package" "$1"
	it_done
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root (dpkg -i into this system)"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
    skip_all "dpkg-buildpackage/debhelper not installed (apt-get install debhelper devscripts)"
# One at a time on this machine: the package is installed system-wide.
exec 9>/tmp/eard-t_package.lock
flock -n 9 || skip_all "another t_package is running on this machine"
if dpkg-query -W -f='${Status}' eard 2>/dev/null | grep -q installed; then
	skip_all "an eard package is already installed; not replacing it"
fi

# The package: rebuilt only when HEAD moved since the last build; -O0
# (noopt) and no debug package, to keep the test near two minutes.
DEBDIR=$ROOT/$BUILD/deb
head=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo none)
deb=$(ls "$DEBDIR"/eard_*.deb 2>/dev/null | head -n 1)
if [ -n "${EARD_DEB:-}" ]; then
	deb=$EARD_DEB		# a package built elsewhere
elif [ -z "$deb" ] || [ "$(cat "$DEBDIR/HEAD" 2>/dev/null)" != "$head" ]; then
	DEB_BUILD_OPTIONS="noddebs noopt" make -C "$ROOT" --no-print-directory \
	    BUILD="$BUILD" deb >/tmp/t_package-build.log 2>&1 ||
	    { tail -n 20 /tmp/t_package-build.log >&2; it_abort "make deb failed"; }
	echo "$head" >"$DEBDIR/HEAD"
	deb=$(ls "$DEBDIR"/eard_*.deb | head -n 1)
fi
t_ok "make deb built $(basename "$deb")"
if command -v lintian >/dev/null; then
	lint=$(lintian "$deb" 2>/dev/null | grep -E '^[EW]:')
	t_eq "lintian: no errors or warnings" "$lint" ""
fi

had_user=no
getent passwd eard >/dev/null && had_user=yes
pkg_cleanup() {
	[ -n "${ACT_PID:-}" ] && kill -KILL "$ACT_PID" 2>/dev/null
	dpkg --purge eard >/dev/null 2>&1
	[ "$had_user" = no ] && getent passwd eard >/dev/null &&
	    deluser --system --quiet eard >/dev/null 2>&1
	[ "$had_user" = no ] && getent group eard >/dev/null &&
	    delgroup --system --quiet eard >/dev/null 2>&1
	it_cleanup
}

it_start nodaemon
trap pkg_cleanup EXIT
t_cmd "dpkg -i installs the package" dpkg -i "$deb"
t_eq "the eard system user exists" "$(getent passwd eard | cut -d: -f7)" \
    /usr/sbin/nologin
t_eq "/var/lib/eard belongs to eard, mode 750" \
    "$(stat -c '%U:%G %a' /var/lib/eard)" "eard:eard 750"
t_eq "/etc/eard/eard.conf is root:eard 640" \
    "$(stat -c '%U:%G %a' /etc/eard/eard.conf)" "root:eard 640"
t_eq "/etc/eard/eard.conf is a conffile" \
    "$(dpkg-query -W -f='${Conffiles}\n' eard | awk '$1 == "/etc/eard/eard.conf" { print "yes" }')" yes
for f in /usr/sbin/eard /usr/bin/earctl /etc/eard/eard.conf.example \
    /lib/systemd/system/eard.socket /lib/systemd/system/eard.service \
    /usr/share/bash-completion/completions/earctl \
    /usr/share/eard/schema/001_foundation.sql /usr/share/eard/queries/decisions.sql \
    /usr/share/eard/rules/rulepack.rng; do
	[ -e "$f" ] && t_ok "installed $f" || t_fail "installed $f"
done
for m in eard.8 earctl.1 eard.conf.5; do
	[ -e "/usr/share/man/man${m##*.}/$m.gz" ] || [ -e "/usr/share/man/man${m##*.}/$m" ] &&
	    t_ok "man page $m" || t_fail "man page $m"
done
t_eq "the unit runs /usr/sbin/eard as eard" \
    "$(grep -E '^(ExecStart|User)=' /lib/systemd/system/eard.service | tr '\n' ' ')" \
    "ExecStart=/usr/sbin/eard -f -c /etc/eard/eard.conf User=eard "
for d in ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
    ReadWritePaths=/var/lib/eard CapabilityBoundingSet= \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
	grep -qx "$d" /lib/systemd/system/eard.service && t_ok "unit has $d" ||
	    t_fail "unit has $d"
done
if systemctl is-system-running >/dev/null 2>&1; then
	t_skip "under systemd" "a running systemd was found but this test does not start units on a live system"
else
	t_skip "under systemd" "systemctl is-system-running: $(systemctl is-system-running 2>&1 | head -n 1); socket activation is exercised with systemd-socket-activate instead"
fi

# The installed binaries from here on.
EARCTL=/usr/bin/earctl
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import rules \
    /usr/share/eard/rules/[0-9]*.xml >"$T/import.log" 2>&1 ||
    { cat "$T/import.log" >&2; t_fail "the installed earctl imports the installed rulepacks"; }
# The eard user must reach the cluster's socket.
echo "unix_socket_permissions = 0777" >>"$T/pg/postgresql.conf"
pg_cluster_stop "$T" && pg_cluster_start "$T" || it_abort "cluster restart failed"

if ! command -v systemd-socket-activate >/dev/null || ! command -v setpriv >/dev/null; then
	t_skip "socket activation" "systemd-socket-activate or setpriv missing"
	it_done
fi
mkdir -p "$T/act"
ASOCK=$T/act/eard.sock
# As eard.socket + eard.service: systemd binds, eard (user eard) accepts.
# (systemd-socket-activate passes on only the environment named with -E.)
systemd-socket-activate -E EARD_DATABASE_URL="$EARD_DATABASE_URL" -l "$ASOCK" \
    setpriv --reuid eard --regid eard --init-groups \
    /usr/sbin/eard -f -c /etc/eard/eard.conf >"$T/act.log" 2>&1 &
ACT_PID=$!
for _ in $(seq 1 50); do [ -S "$ASOCK" ] && break; sleep 0.1; done
ok=1
for _ in $(seq 1 100); do
	"$EARCTL" --socket "$ASOCK" status >"$T/status.out" 2>&1 && { ok=0; break; }
	sleep 0.2
done
t_eq "earctl status through the activated socket says ready" "$ok" 0
grep -q "socket from systemd" "$T/act.log" && t_ok "eard took the socket from systemd (LISTEN_FDS)" ||
    t_fail "eard took the socket from systemd (LISTEN_FDS)" "$(tail -n 3 "$T/act.log")"
t_eq "eard runs as the eard user" \
    "$(ps -o user= -p "$ACT_PID" | tr -d " ")" eard
# A first check (15 CFR 774 Supp. 1, 3A090.a; 88 FR 73458): H100 SXM to CN
# on 2024-06-01 needs a licence; earctl exits 20.
"$EARCTL" --socket "$ASOCK" check chip --tops fp8=1979 --die-area 814 \
    --io-bw 900 --mem-bw 3350 --datacenter --to CN --as-of 2024-06-01 \
    >"$T/check.out" 2>&1
t_eq "the first check: H100 to CN needs a licence (exit 20)" "$?" 20
SOCK=$ASOCK
req GET /metrics
t_eq "the check shows on /metrics" \
    "$(printf '%s\n' "$BODY" | grep -c '^eard_verdicts_total{kind="chip",verdict="license_required"} 1$')" 1
ls /var/lib/eard/spool >/dev/null 2>&1 && t_ok "the spool is in /var/lib/eard/spool" ||
    t_fail "the spool is in /var/lib/eard/spool"
kill -TERM "$ACT_PID" 2>/dev/null
wait "$ACT_PID" 2>/dev/null
ACT_PID=

# Started by hand (no LISTEN_FDS), it binds its own socket.
mkdir -p "$T/own" && chown eard:eard "$T/own"
EARD_DATABASE_URL="$EARD_DATABASE_URL" setpriv --reuid eard --regid eard \
    --init-groups /usr/sbin/eard -f -c /etc/eard/eard.conf \
    --socket "$T/own/eard.sock" >"$T/own.log" 2>&1 &
ACT_PID=$!
ok=1
for _ in $(seq 1 100); do
	"$EARCTL" --socket "$T/own/eard.sock" status >/dev/null 2>&1 && { ok=0; break; }
	sleep 0.2
done
t_eq "started by hand, eard binds its own socket" "$ok" 0
kill -TERM "$ACT_PID" 2>/dev/null
wait "$ACT_PID" 2>/dev/null
ACT_PID=

t_cmd "dpkg --purge removes the package" dpkg --purge eard
[ ! -e /usr/sbin/eard ] && [ ! -e /etc/eard/eard.conf ] && [ ! -e /var/lib/eard ] &&
    t_ok "purge leaves no binary, config or spool" ||
    t_fail "purge leaves no binary, config or spool"
it_done
