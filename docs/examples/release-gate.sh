#!/bin/sh
# release-gate.sh: a CI step to run before uploading model weights.
#
#   release-gate.sh MODEL_JSON DESTINATION [RELEASE]
#
# MODEL_JSON is the model's facts in the project's JSON (docs/release-
# pipeline.md): at least "name", and "training_ops" or what estimates it
# ("parameters" + "training_tokens", or "training_gpu_hours" +
# "training_peak_flops"), and "published". DESTINATION is an ISO 3166-1
# alpha-2 code (the cloud region's or partner's country; for a public
# release use the country you publish from). RELEASE is export (default),
# publish or deemed_export.
#
# It registers the facts (POST /v1/models: a new version where a fact
# changed), asks eard (POST /v1/checks/weights with the registry id) and
# exits:
#   0  not_subject or no_license_required: go ahead
#   1  license_required, needs_review or license_exception (an exception
#      has conditions a person must meet), or eard could not be asked:
#      the job fails closed
# Environment: EARD_SOCKET (default /run/eard/eard.sock), AS_OF (default
# today, UTC), ALLOW_EXCEPTION=1 to pass on license_exception.
set -eu

model_json=${1:?usage: release-gate.sh MODEL_JSON DESTINATION [RELEASE]}
dest=${2:?usage: release-gate.sh MODEL_JSON DESTINATION [RELEASE]}
release=${3:-export}
sock=${EARD_SOCKET:-/run/eard/eard.sock}
as_of=${AS_OF:-$(date -u +%Y-%m-%d)}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# call METHOD PATH BODY_FILE_OR_STRING: prints the HTTP status; body in $out
call() {
	curl -sS --max-time 30 --unix-socket "$sock" -o "$out" \
	    -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	    --data-binary "$3" "http://eard$2"
}

status=$(call POST /v1/models "@$model_json") || {
	echo "release-gate: could not reach eard on $sock" >&2
	exit 1
}
if [ "$status" != 201 ]; then
	echo "release-gate: registering the model failed (HTTP $status):" >&2
	cat "$out" >&2
	exit 1
fi
id=$(jq -r '.ids[0]' "$out")

body=$(jq -n --arg id "$id" --arg d "$dest" --arg r "$release" \
    --arg a "$as_of" \
    '{as_of: $a, destination: $d, release: $r, model: {id: $id}}')
status=$(call POST /v1/checks/weights "$body") || {
	echo "release-gate: could not reach eard on $sock" >&2
	exit 1
}
if [ "$status" != 200 ]; then
	echo "release-gate: the check failed (HTTP $status):" >&2
	cat "$out" >&2
	exit 1
fi

verdict=$(jq -r .verdict "$out")
echo "release-gate: $id -> $dest ($release) as of $as_of: $verdict" \
    "(decision $(jq -r .decision_id "$out"))"
jq -r '(.requirements // [])[] | "  requires: \(.citation) (\(.review_policy // "-"))",
    (.notes // [])[] | "  note: \(.)",
    (.missing // [])[] | "  missing: \(.)"' "$out"
case $verdict in
not_subject|no_license_required)
	exit 0 ;;
license_exception)
	[ "${ALLOW_EXCEPTION:-0}" = 1 ] && exit 0
	echo "release-gate: a licence exception applies; its conditions need" \
	    "a person (set ALLOW_EXCEPTION=1 once they are met)" >&2
	exit 1 ;;
*)
	echo "release-gate: blocked ($verdict); ask counsel with the" \
	    "decision id above" >&2
	exit 1 ;;
esac
