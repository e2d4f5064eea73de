#!/usr/bin/env bash
# run.sh: build and run every libFuzzer harness tests/fuzz/fuzz_X.c for
# FUZZ_SECONDS each (default 60). Generic over harnesses:
#   seeds       tests/fuzz/corpus/X/ (committed), plus the files listed in
#               tests/fuzz/X.seeds (paths relative to the repo root, e.g.
#               ../shared/data/...; missing ones are skipped)
#   dictionary  tests/fuzz/X.dict when present
#   only some   FUZZ_ONLY="ecfr fr"
# Needs clang. Builds libear, libearimp and libeard with ASan+UBSan in $BUILD
# (build-fuzz); harnesses link all three (fuzz_config needs the daemon's).
# Crashes are left in $BUILD/fuzz/X/ (crash-*); exit 1 if any harness fails.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
[ -n "$SECS" ] || SECS=60
command -v clang >/dev/null || { echo "fuzz: clang not found" >&2; exit 2; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# warnings are the gcc build's job; clang differs on some
make --no-print-directory BUILD="$BUILD" CC=clang WARN=-w OPT="-O1 -g -fno-omit-frame-pointer" \
    SAN="$SAN -fsanitize=fuzzer-no-link" "$BUILD/libear.a" "$BUILD/libearimp.a" "$BUILD/libeard.a" >/dev/null || exit 1
PKGS="libpq libevent libevent_pthreads libevent_openssl libxml-2.0 jansson libssl libcrypto libutf8proc"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
CFL="-std=gnu11 -g -O1 -D_GNU_SOURCE -Icore -Iimporters -Idaemon -Icli $(pkg-config --cflags $PKGS)"
rc=0
for src in tests/fuzz/fuzz_*.c; do
	x=$(basename "$src" .c)
	x=${x#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ] && ! printf ' %s ' $FUZZ_ONLY | grep -q " $x "; then
		continue
	fi
	out=$BUILD/fuzz/$x
	mkdir -p "$out/corpus"
	clang $CFL $SAN -fsanitize=fuzzer -o "$out/fuzz_$x" "$src" \
	    "$BUILD/libeard.a" "$BUILD/libearimp.a" "$BUILD/libear.a" $LIBS || { rc=1; continue; }
	[ -d "tests/fuzz/corpus/$x" ] && cp -f tests/fuzz/corpus/"$x"/* "$out/corpus/" 2>/dev/null
	if [ -f "tests/fuzz/$x.seeds" ]; then
		while read -r f; do
			case $f in ''|'#'*) continue ;; esac
			[ -f "$f" ] && cp -f "$f" "$out/corpus/"
		done <"tests/fuzz/$x.seeds"
	fi
	dict=()
	[ -f "tests/fuzz/$x.dict" ] && dict=(-dict="$PWD/tests/fuzz/$x.dict")
	echo "fuzz: $x for ${SECS}s"
	(cd "$out" && ./"fuzz_$x" "${dict[@]}" -max_total_time="$SECS" \
	    -max_len=4000000 -timeout=20 -rss_limit_mb=2048 corpus >fuzz.log 2>&1)
	st=$?
	if [ $st -ne 0 ]; then
		echo "fuzz: $x failed (exit $st); see $out/fuzz.log"
		tail -n 20 "$out/fuzz.log"
		rc=1
	else
		echo "fuzz: $x ok ($(grep -c . "$out/fuzz.log") log lines)"
	fi
done
exit $rc
