#!/usr/bin/env bash
# deb.sh: build the Debian package from the committed tree (git archive
# HEAD; a copy, so the checkout stays clean; outside git, the files as
# they are): $BUILD/deb/eard_VERSION_ARCH.deb. Needs debhelper.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
out=$root/$BUILD/deb
version=$(cat "$root/VERSION")
command -v dpkg-buildpackage >/dev/null ||
    { echo "deb: dpkg-buildpackage not found (apt-get install debhelper devscripts)" >&2; exit 1; }
rm -rf "$out/src"
mkdir -p "$out/src/eard-$version"
cd "$root"
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	git archive --format=tar HEAD | tar -x -C "$out/src/eard-$version"
else
	tar -c --exclude='./build*' --exclude=./var . | tar -x -C "$out/src/eard-$version"
fi
cd "$out/src/eard-$version"
DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1 ||
    { tail -n 40 "$out/build.log" >&2; exit 1; }
mv ../eard*_"$version"*.deb ../eard_"$version"*.changes \
    ../eard_"$version"*.buildinfo "$out/" 2>/dev/null || true
ls "$out"/eard_"$version"*.deb
