#!/usr/bin/env bash
# t_fuzz_replay: every libFuzzer harness tests/fuzz/fuzz_X.c, built with the
# plain compiler and tests/fuzz/replay.c as main(), replays its committed
# corpus (tests/fuzz/corpus/X/) and the seeds of tests/fuzz/X.seeds that
# exist (../shared/data files; skipped when absent). A crash, a sanitizer
# report (under make asan) or a hang fails the harness. Crashes found by
# `make fuzz` are added to corpus/X/ and so become regression tests here.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
out=$ROOT/$BUILD/fuzz-replay
mkdir -p "$out"
PKGS="libpq libevent libevent_pthreads libevent_openssl libxml-2.0 jansson libcrypto libutf8proc"
# the sanitizers of the build (make asan sets none here: read the objects')
SAN=
[[ "$BUILD" == *asan* ]] && SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
export RULEPACK_RNG=$ROOT/rules/rulepack.rng
export ASAN_OPTIONS=detect_leaks=1
for src in tests/fuzz/fuzz_*.c; do
	x=$(basename "$src" .c)
	x=${x#fuzz_}
	if ! ${CC:-cc} -std=gnu11 -O1 -g $SAN -D_GNU_SOURCE -Icore -Idaemon \
	    -Iimporters -Icli $(pkg-config --cflags $PKGS) -o "$out/$x" \
	    tests/fuzz/replay.c "$src" "$BUILD/libeard.a" "$BUILD/libearimp.a" \
	    "$BUILD/libear.a" $(pkg-config --libs $PKGS) -lpthread -lm \
	    >"$out/$x.build.log" 2>&1; then
		t_fail "fuzz_$x builds with a plain main()" \
		    "$(head -n 3 "$out/$x.build.log" | tr '\n' ' ')"
		continue
	fi
	inputs=()
	[ -d "tests/fuzz/corpus/$x" ] && inputs+=("tests/fuzz/corpus/$x")
	skipped=0
	if [ -f "tests/fuzz/$x.seeds" ]; then
		while read -r f; do
			case $f in ''|'#'*) continue ;; esac
			if [ -f "$f" ]; then inputs+=("$f"); else skipped=$((skipped + 1)); fi
		done <"tests/fuzz/$x.seeds"
	fi
	if [ ${#inputs[@]} -eq 0 ]; then
		t_skip "fuzz_$x corpus replays" "no corpus here"
		continue
	fi
	if timeout 120 "$out/$x" "${inputs[@]}" >"$out/$x.log" 2>&1; then
		t_ok "fuzz_$x: $(tail -n 1 "$out/$x.log") without a crash"
	else
		t_fail "fuzz_$x corpus replays without a crash" \
		    "$(grep -m 3 -E 'ERROR|runtime error|replay:' "$out/$x.log" | tr '\n' ' ')"
	fi
	[ $skipped -gt 0 ] && t_skip "fuzz_$x: $skipped seeds" "../shared/data absent"
done
it_done
