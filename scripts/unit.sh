#!/usr/bin/env bash
# unit.sh: run each cmocka binary; one summary line at the end.
# UNIT_RUNNER (e.g. valgrind and its options) is put before each binary.
set -u
pass=0
fail=0
failed=()
for t in "$@"; do
	out=$(${UNIT_RUNNER:-} "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED|  SKIPPED) *\]|^skip:' |
	    sed "s|^|$(basename "$t"): |" || true
	n_ok=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	n_bad=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	pass=$((pass + ${n_ok:-0}))
	fail=$((fail + ${n_bad:-0}))
	if [ $rc -ne 0 ]; then
		[ -n "${n_bad:-}" ] || fail=$((fail + 1))
		failed+=("$(basename "$t")")
		printf '%s\n' "$out" | tail -n 30
	fi
done
echo "unit: $pass passed, $fail failed"
if [ ${#failed[@]} -gt 0 ]; then
	echo "unit: failing binaries: ${failed[*]}"
	exit 1
fi
exit 0
