#!/usr/bin/env bash
# t_consignee: the per-consignee, per-year total behind quantity caps.
#
# License Exception LPP in the AI diffusion text (90 FR 4544, 15 CFR 740.29,
# published 2025-01-15) covers up to 26,900,000 TPP per ultimate consignee
# per calendar year. The daemon asks the decision log what it has already
# cleared for the consignee that year; the log keeps that total as rows go
# in (schema/083_consignee_years.sql). An H100 SXM5 is 15,832 TPP (1,979
# dense FP8 TOPS x 8 bits), so 1,000 of them are 15,832,000 TPP: one such
# shipment fits the cap, a second the same year does not.
. "$(dirname "$0")/lib.sh"
it_start nodaemon
it_import_rules || it_abort "rulepack import failed"
# A recipient is screened before anything is decided: load the fixture list.
"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import csl \
    "$ROOT/tests/fixtures/csl-sample.json" >"$T/csl.log" 2>&1 ||
    it_abort "screening list import failed"
eard_start
wait_ready 20 || t_fail "eard ready with rules loaded" "$BODY"

# chip_check NAME QUANTITY AS_OF DESTINATION
chip_check() {
	req POST /v1/checks/chip "$(jq -nc --arg n "$1" --argjson q "$2" \
	    --arg d "$3" --arg dest "$4" '{as_of: $d, destination: $dest,
	    quantity: $q, recipient: {name: $n, headquarters: $dest},
	    chip: {name: "NVIDIA H100 SXM5", die_area_mm2: 814,
		performance: [{format: "fp8", bits: 8, dense_tops: 1979}],
		io_bandwidth_gbs: 900, memory_bandwidth_gbs: 3350,
		datacenter: true}}')"
}

# The scan the running total replaced, for comparison.
scan_total() {
	"${PSQL[@]}" -c "SELECT coalesce(sum(coalesce(
	    (response->'classification'->>'aggregate_tpp')::float8,
	    (response->'classification'->>'tpp')::float8)), 0)
	    FROM decisions WHERE kind = 'chip'
	    AND lower(request->'recipient'->>'name') = lower('$1')
	    AND response->>'as_of' >= '$2-01-01' AND response->>'as_of' < '$(($2 + 1))-01-01'
	    AND verdict IN ('no_license_required', 'license_exception')"
}
kept_total() {
	"${PSQL[@]}" -c "SELECT coalesce((SELECT tpp FROM consignee_years
	    WHERE consignee = lower('$1') AND year = $2), 0)"
}

chip_check "Running Total Consignee" 1000 2025-06-01 IN
t_status "first shipment answered" 200
t_eq "first shipment: enforced verdict" "$(jqr .verdict)" no_license_required
t_eq "first shipment: within LPP in the text" "$(jqr .text_verdict)" license_exception
first=$(jqr '.classification.aggregate_tpp // .classification.tpp')
t_eq "the year's total is the first shipment's TPP" \
    "$(kept_total "running total consignee" 2025)" "$first"

chip_check "RUNNING TOTAL CONSIGNEE" 1000 2025-09-01 IN
t_status "second shipment answered" 200
t_eq "second shipment: over LPP's yearly cap in the text" \
    "$(jqr .text_verdict)" license_required
t_eq "the total holds both shipments, whatever the case of the name" \
    "$(kept_total "Running Total Consignee" 2025)" \
    "$(scan_total "Running Total Consignee" 2025)"

# Another year starts from nothing.
chip_check "Running Total Consignee" 8 2025-12-31 IN
t_eq "a small shipment in December still counts against 2025" \
    "$(jqr .text_verdict)" license_required
t_eq "no total for 2026 yet" "$(kept_total "Running Total Consignee" 2026)" 0

# A licence-required answer clears nothing.
before=$(kept_total "Embargoed Consignee" 2025)
chip_check "Embargoed Consignee" 8 2025-06-01 CN
t_eq "to China the H100 needs a licence" "$(jqr .verdict)" license_required
t_eq "an uncleared decision adds nothing" \
    "$(kept_total "Embargoed Consignee" 2025)" "$before"

# Every total equals the scan over the log.
mismatch=$("${PSQL[@]}" -c "SELECT count(*) FROM consignee_years c
    WHERE c.tpp <> (SELECT coalesce(sum(coalesce(
	(d.response->'classification'->>'aggregate_tpp')::float8,
	(d.response->'classification'->>'tpp')::float8)), 0)
	FROM decisions d WHERE d.kind = 'chip'
	AND lower(d.request->'recipient'->>'name') = c.consignee
	AND left(d.response->>'as_of', 4)::integer = c.year
	AND d.verdict IN ('no_license_required', 'license_exception'))")
t_eq "every kept total equals the scan of the log" "$mismatch" 0

# eard cannot write the totals itself: only the log's trigger does.
out=$("$(pg_bindir)/psql" -h "$T/run" -U eard -d eard -Atq -c \
    "UPDATE consignee_years SET tpp = 0" 2>&1)
case "$out" in
*"permission denied"*) t_ok "eard's role cannot change a total" ;;
*) t_fail "eard's role cannot change a total" "$out" ;;
esac
it_done
