#!/usr/bin/env bash
# deps.sh: make sure the Debian packages eard builds and tests with are here.
# As root, installs exactly what is missing; otherwise says what to install.
set -euo pipefail

pkgs=(
	gcc make pkg-config libc6-dev
	libpq-dev libevent-dev libxml2-dev libxml2-utils libjansson-dev
	libcmocka-dev libssl-dev libutf8proc-dev
	postgresql-15 postgresql-client-15
	curl jq util-linux procps socat
)
[ "${EARD_DEPS_EXTRA:-}" = "" ] || read -r -a extra <<<"$EARD_DEPS_EXTRA"
pkgs+=("${extra[@]:-}")

missing=()
for p in "${pkgs[@]}"; do
	[ -n "$p" ] || continue
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "eard: missing Debian packages: ${missing[*]}" >&2
	echo "eard: install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
echo "eard: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
