#!/usr/bin/env bash
# run.sh: every tests/integration/t_*.sh, each with its own cluster.
# Prints each script's lines and one total; exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
skip=0
real=0
realscripts=0
bad=()
shared=no
[ -d "$here/../../../shared/data" ] && shared=yes
for t in "$here"/t_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ -n "${ONLY:-}" ] && [[ "$name" != *"$ONLY"* ]]; then
		continue
	fi
	echo "# $name"
	out=$(bash "$t" 2>"/tmp/eard-$name.err")
	rc=$?
	printf '%s\n' "$out" | grep -v '^ok - ' || true
	line=$(printf '%s\n' "$out" | grep -E "^$name: [0-9]+ passed" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	skip=$((skip + ${s:-0}))
	if [[ "$line" == *"(real data: yes)"* ]]; then
		real=$((real + ${p:-0} + ${f:-0}))
		realscripts=$((realscripts + 1))
	fi
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		[ -n "$line" ] && [ "${f:-0}" -gt 0 ] || fail=$((fail + 1))
		bad+=("$name")
		tail -n 20 "/tmp/eard-$name.err"
	fi
	rm -f "/tmp/eard-$name.err"
done
echo "integration: ../shared/data present: $shared; $real tests in $realscripts scripts ran on it"
echo "integration: $pass passed, $fail failed, $skip skipped"
if [ ${#bad[@]} -gt 0 ]; then
	echo "integration: failing scripts: ${bad[*]}"
	exit 1
fi
exit 0
