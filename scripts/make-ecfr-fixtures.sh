#!/usr/bin/env bash
# make-ecfr-fixtures.sh: build eCFR versioner-API fixtures for parts 740,
# 738 and 744 from the derived tables in ../shared/data (no raw XML of those
# parts exists here). The markup is the API's: DIV5 TYPE="PART" > DIV9
# TYPE="APPENDIX" > TABLE class="gpo_table" with THEAD/TBODY, TR, TH, TD.
# The results are committed under tests/fixtures/ecfr/ with small expected
# files, so tests run without ../shared. Needs jq. Run from the repo root.
set -euo pipefail
D=../shared/data/regs/derived
CSL=../shared/data/regs/csl/consolidated.json
OUT=tests/fixtures/ecfr
DATE=2026-07-23
mkdir -p "$OUT"

# XML text escaping, as a jq function.
ESC='def x: gsub("&";"&amp;") | gsub("<";"&lt;") | gsub(">";"&gt;");'

# --- 15 CFR 740 Supp. 1: Country Groups A, D, E (eCFR 2026-07-23) ---
{
cat <<HDR
<?xml version="1.0" encoding="UTF-8"?>
<!-- Fixture built by scripts/make-ecfr-fixtures.sh from ecmcp_country-groups.json (eCFR $DATE, 15 CFR 740 Supp. 1); markup as the eCFR versioner API serves it. -->
<DIV5 N="740" TYPE="PART" hierarchy_metadata="{&quot;path&quot;:&quot;/on/$DATE/title-15/part-740&quot;}">
<HEAD>PART 740—LICENSE EXCEPTIONS
</HEAD>
<DIV9 N="Supplement No. 1 to Part 740" TYPE="APPENDIX">
<HEAD>Supplement No. 1 to Part 740—Country Groups
</HEAD>
HDR
jq -r "$ESC"'
  . as $r
  | ["A","D","E"][] as $g
  | ($r.groups | keys | map(select(startswith($g))) | sort) as $cols
  | "<P>Country Group \($g)</P>\n<DIV width=\"100%\"><DIV class=\"gpotbl_div\">\n<TABLE border=\"1\" cellpadding=\"1\" cellspacing=\"1\" class=\"gpo_table\" frame=\"void\" width=\"100%\">\n<THEAD>\n<TR>\n<TH class=\"center\">Country</TH>\n"
    + ([$cols[] | "<TH class=\"center\">[\(.)]\n<br></br>\($r.labels[.] | x)</TH>\n"] | join(""))
    + "</TR>\n</THEAD>\n<TBODY>\n"
    + ([$r.byCountry[$g] | to_entries | sort_by(.key)[] | . as $e
        | "<TR>\n<TD class=\"left\">\($e.key | x)</TD>\n"
          + ([$cols[] | . as $col | if ($e.value | index($col)) != null then "<TD class=\"center\">X</TD>\n" else "<TD class=\"center\"></TD>\n" end] | join(""))
          + "</TR>\n"] | join(""))
    + "</TBODY>\n</TABLE>\n</DIV></DIV>"
' "$D/ecmcp_country-groups.json"
echo '</DIV9>'
echo '</DIV5>'
} >"$OUT/part740_country_groups.xml"
jq -r '.byCountry | to_entries[] | .value | to_entries[] | .key as $c | .value[] | "\(.)|\($c)"' \
    "$D/ecmcp_country-groups.json" | LC_ALL=C sort >"$OUT/part740_country_groups.expected"

# --- 15 CFR 738 Supp. 1: Commerce Country Chart (eCFR 2026-07-23) ---
{
cat <<HDR
<?xml version="1.0" encoding="UTF-8"?>
<!-- Fixture built by scripts/make-ecfr-fixtures.sh from ecmcp_country-chart.json (eCFR $DATE, 15 CFR 738 Supp. 1); markup as the eCFR versioner API serves it. -->
<DIV5 N="738" TYPE="PART" hierarchy_metadata="{&quot;path&quot;:&quot;/on/$DATE/title-15/part-738&quot;}">
<HEAD>PART 738—COMMERCE CONTROL LIST OVERVIEW AND THE COUNTRY CHART
</HEAD>
<DIV9 N="Supplement No. 1 to Part 738" TYPE="APPENDIX">
<HEAD>Supplement No. 1 to Part 738—Commerce Country Chart
</HEAD>
HDR
jq -r "$ESC"'
  . as $r
  | "<DIV width=\"100%\"><DIV class=\"gpotbl_div\">\n<TABLE border=\"1\" cellpadding=\"1\" cellspacing=\"1\" class=\"gpo_table\" frame=\"void\" width=\"100%\">\n<THEAD>\n<TR>\n<TH class=\"center\">Countries</TH>\n"
    + ([$r.columns | group_by(.[0:2])[] | "<TH class=\"center\" colspan=\"\(length)\">\($r.columnLabels[.[0]] | x)</TH>\n"] | join(""))
    + "</TR>\n<TR>\n<TH class=\"center\"></TH>\n"
    + ([$r.columns[] | "<TH class=\"center\">\(.)</TH>\n"] | join(""))
    + "</TR>\n</THEAD>\n<TBODY>\n"
    + ([(($r.countries | to_entries) + ($r.embargoed | to_entries)) | sort_by(.key)[] | . as $e
        | "<TR>\n<TD class=\"left\">\($e.key | x)" + ([$e.value.footnotes[] | " <SU>\(.)</SU>"] | join("")) + "</TD>\n"
          + (if $e.value.pointer then "<TD class=\"left\" colspan=\"\($r.columns | length)\">\($e.value.pointer | x)</TD>\n"
             else ([$r.columns[] | . as $col | if ($e.value.marks | index($col)) != null then "<TD class=\"center\">X</TD>\n" else "<TD class=\"center\"></TD>\n" end] | join("")) end)
          + "</TR>\n"] | join(""))
    + "</TBODY>\n</TABLE>\n</DIV></DIV>"
' "$D/ecmcp_country-chart.json"
echo '</DIV9>'
echo '</DIV5>'
} >"$OUT/part738_country_chart.xml"
jq -r '(.countries + .embargoed) | to_entries[] | "\(.key)|\((.value.marks // []) | join(","))|\(.value.footnotes | map(tostring) | join(","))"' \
    "$D/ecmcp_country-chart.json" | LC_ALL=C sort >"$OUT/part738_country_chart.expected"

# --- 15 CFR 744 Supp. 4: Entity List, from the CSL's Entity List rows ---
# A subset (entries whose first address is in one of these countries), in
# the eCFR layout: 5 columns, the country cell blank on continuation rows.
CC='{"CA":"CANADA","FR":"FRANCE","DE":"GERMANY","NL":"NETHERLANDS","LU":"LUXEMBOURG","GB":"UNITED KINGDOM","JP":"JAPAN","KR":"KOREA, SOUTH","TW":"TAIWAN","SG":"SINGAPORE","IN":"INDIA","IL":"ISRAEL","FI":"FINLAND","CH":"SWITZERLAND","IE":"IRELAND","BE":"BELGIUM"}'
{
cat <<HDR
<?xml version="1.0" encoding="UTF-8"?>
<!-- Fixture built by scripts/make-ecfr-fixtures.sh from the Entity List rows of the Consolidated Screening List (trade.gov, 2026-07-31); markup as the eCFR versioner API serves 15 CFR 744 Supp. 4. -->
<DIV5 N="744" TYPE="PART" hierarchy_metadata="{&quot;path&quot;:&quot;/on/$DATE/title-15/part-744&quot;}">
<HEAD>PART 744—CONTROL POLICY: END-USER AND END-USE BASED
</HEAD>
<DIV9 N="Supplement No. 4 to Part 744" TYPE="APPENDIX">
<HEAD>Supplement No. 4 to Part 744—Entity List
</HEAD>
<DIV width="100%"><DIV class="gpotbl_div">
<TABLE border="1" cellpadding="1" cellspacing="1" class="gpo_table" frame="void" width="100%">
<THEAD>
<TR>
<TH class="center">Country</TH>
<TH class="center">Entity</TH>
<TH class="center">License requirement</TH>
<TH class="center">License review policy</TH>
<TH class="center">Federal Register citation</TH>
</TR>
</THEAD>
<TBODY>
HDR
jq -r --argjson cc "$CC" "$ESC"'
  [.results[] | select(.source | startswith("Entity List"))
   | select((.addresses | length) > 0 and $cc[.addresses[0].country] != null)
   | . + {c: $cc[.addresses[0].country]}]
  | sort_by(.c, .name) | group_by(.c)[] | to_entries[] | .key as $i | .value as $e
  | "<TR>\n<TD class=\"left\">" + (if $i == 0 then ($e.c | x) else "" end) + "</TD>\n"
    + "<TD class=\"left\">\($e.name | x)"
    + (if ($e.alt_names | length) > 0 then
         ", a.k.a., the following \($e.alt_names | length) alias" + (if ($e.alt_names | length) > 1 then "es" else "" end) + ":"
         + ([$e.alt_names | to_entries[] | "\n<br></br>—\(.value | x)" + (if .key == (($e.alt_names | length) - 1) then "" else ";" end)] | join(""))
       else "" end)
    + "</TD>\n<TD class=\"left\">\($e.license_requirement // "" | x)</TD>\n"
    + "<TD class=\"left\">\($e.license_policy // "" | x)</TD>\n"
    + "<TD class=\"left\">\($e.federal_register_notice // "" | x)</TD>\n</TR>"
' "$CSL"
echo '</TBODY>'
echo '</TABLE>'
echo '</DIV></DIV>'
echo '</DIV9>'
echo '</DIV5>'
} >"$OUT/part744_entity_list.xml"
jq -r --argjson cc "$CC" '
  .results[] | select(.source | startswith("Entity List"))
  | select((.addresses | length) > 0 and $cc[.addresses[0].country] != null)
  | "\(.addresses[0].country)|\(.name)|\(.alt_names | join(";"))|\(.license_policy // "")|\(.federal_register_notice // "")"
' "$CSL" | LC_ALL=C sort >"$OUT/part744_entity_list.expected"
wc -l "$OUT"/*.expected
