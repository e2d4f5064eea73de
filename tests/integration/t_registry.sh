#!/usr/bin/env bash
# t_registry.sh: the model and chip registry end to end: earctl import
# (Epoch CSVs, HF configs, the project's JSON) into a throwaway cluster,
# counts checked against the CSVs with awk, re-import idempotent, a changed
# fact making a new version, a bad file changing nothing, and the daemon's
# GET/POST /v1/models, GET /v1/chips and a check by registry id.
. "$(dirname "$0")/lib.sh"

it_start
FIX=$ROOT/tests/fixtures/registry
EPOCH=$SHARED/data/epoch
HFC=$SHARED/data/hf/configs

imp() {
	"$EARCTL" --database "$EARD_IMPORT_DATABASE_URL" import "$@"
}
sql() {
	"${PSQL[@]}" -c "$1"
}

# epoch_ops FILE...: "slug<TAB>training compute" for every row that states
# it, by an RFC 4180 scan in plain awk (quoted fields span lines), the slug
# made as registry_slug() makes it. Independent of importers/epoch.c.
epoch_ops() {
	local f
	for f in "$@"; do
		awk '
		function flush() {
			if (row == 0) hdr[col] = fld
			else if (col == cm) name = fld
			else if (col == cc) comp = fld
			col++; fld = ""
		}
		BEGIN { inq = 0; row = 0 }
		{
			line = $0
			if (NR == 1) sub(/^\357\273\277/, "", line)
			if (!inq) { col = 0; fld = ""; name = ""; comp = "" }
			else fld = fld "\n"
			n = length(line)
			for (i = 1; i <= n; i++) {
				ch = substr(line, i, 1)
				if (inq) {
					if (ch == "\"") {
						if (substr(line, i + 1, 1) == "\"") { fld = fld "\""; i++ }
						else inq = 0
					} else fld = fld ch
				} else if (ch == "\"") inq = 1
				else if (ch == ",") flush()
				else if (ch != "\r") fld = fld ch
			}
			if (inq) next
			flush()
			if (row == 0) {
				for (j = 0; j < col; j++) {
					if (hdr[j] == "Model") cm = j
					if (hdr[j] == "Training compute (FLOP)") cc = j
				}
				row = 1
				next
			}
			if (comp == "") next
			s = tolower(name)
			gsub(/[^a-z0-9]+/, "-", s)
			gsub(/^-+|-+$/, "", s)
			if (s != "") printf "%s\t%s\n", s, comp
		}' "$f"
	done
}

# --- real data: all four Epoch CSVs and every HF config -------------------
if have_shared_data && [ -d "$EPOCH" ]; then
	t_cmd "import the three Epoch model CSVs" imp models \
	    "$EPOCH/notable_ai_models.csv" "$EPOCH/large_scale_ai_models.csv" \
	    "$EPOCH/frontier_ai_models.csv"
	t_cmd "import Epoch ml_hardware.csv" imp chips "$EPOCH/ml_hardware.csv"
	t_cmd "import every HF config" imp models "$HFC"/*.json

	epoch_ops "$EPOCH/notable_ai_models.csv" \
	    "$EPOCH/large_scale_ai_models.csv" \
	    "$EPOCH/frontier_ai_models.csv" | sort >"$T/ops.tsv"
	for thr in 1e25 1e26; do
		want=$(awk -F'\t' -v t="$thr" '$2 + 0 >= t + 0 { print $1 }' \
		    "$T/ops.tsv" | sort -u | wc -l)
		got=$(sql "SELECT count(*) FROM models_current WHERE
		    training_ops_basis = 'stated' AND
		    (facts->>'training_ops')::float8 >= $thr")
		t_eq "models with training compute >= $thr match the CSVs ($want)" \
		    "$got" "$want"
	done
	want=$(awk -F'\t' '{ print $1 }' "$T/ops.tsv" | sort -u | wc -l)
	got=$(sql "SELECT count(*) FROM models_current WHERE
	    training_ops_basis = 'stated'")
	t_eq "every model with stated compute is in the registry" "$got" "$want"
	t_eq "170 chips from ml_hardware.csv" \
	    "$(sql "SELECT count(*) FROM chips")" 170
	t_eq "Llama 3.1 405B parameters estimated from config.json" \
	    "$(sql "SELECT round((facts->>'parameters')::numeric / 1e9)
	        FROM models_current WHERE id = 'meta-llama-3-1-405b'")" 406
	t_eq "Nemotron-H is said unsupported, not counted" \
	    "$(sql "SELECT detail->'parameters_unsupported'->>'value'
	        FROM models_current WHERE id = 'nemotron-h-56b-base-8k'")" \
	    "unsupported: nemotron_h"

	n0=$(sql "SELECT count(*) FROM model_facts")
	t_cmd "re-import of the Epoch CSVs" imp models \
	    "$EPOCH/notable_ai_models.csv" "$EPOCH/large_scale_ai_models.csv" \
	    "$EPOCH/frontier_ai_models.csv"
	t_eq "re-import is idempotent (no new fact versions)" \
	    "$(sql "SELECT count(*) FROM model_facts")" "$n0"
	t_cmd "re-import of one file alone" imp models \
	    "$EPOCH/notable_ai_models.csv"
	t_eq "a lower-priority file does not flip merged facts" \
	    "$(sql "SELECT count(*) FROM model_facts")" "$n0"
else
	t_skip "Epoch and HF imports" "../shared/data is absent"
fi

# --- fixtures: always -------------------------------------------------------
t_cmd "import fixture CSVs" imp models "$FIX/notable_ai_models.csv" \
    "$FIX/large_scale_ai_models.csv"
t_cmd "import fixture configs (one unsupported)" imp models \
    "$FIX"/tiny-*_config.json
t_cmd "import fixture model JSON" imp models "$FIX/models.json"
t_cmd "import fixture chips" imp chips "$FIX/ml_hardware.csv" "$FIX/chips.json"

t_eq "merged model: large-scale value wins" \
    "$(sql "SELECT facts->>'training_ops' FROM models_current
        WHERE id = 'gamma-3'")" "4.42e+24"
t_eq "6ND estimate labelled" \
    "$(sql "SELECT training_ops_basis || ' ' || (facts->>'training_ops')
        FROM models_current WHERE id = 'acme-frontier-1'")" "estimate 1.2e+25"
t_eq "derived_from resolves the base in the registry" \
    "$(sql "SELECT facts->'derived_from'->>'published'
        FROM models_current WHERE id = 'acme-small'")" "true"
t_eq "chip facts in the contract's shape" \
    "$(sql "SELECT facts->>'die_area_mm2' || ' ' ||
        json_array_length(facts->'performance')
        FROM chips_current WHERE id = 'nvidia-h100-sxm5-80gb'")" "814 3"

# A bad file changes nothing, and the error names file and line.
n0=$(sql "SELECT count(*) FROM model_facts")
if imp models --format epoch "$FIX/notable_ai_models.csv" \
    "$FIX/bad_number.csv" >"$T/bad.out" 2>&1; then
	t_fail "a bad file fails the import"
else
	t_ok "a bad file fails the import"
fi
t_eq "the error names file and line" \
    "$(grep -c 'bad_number.csv:3: column "Parameters"' "$T/bad.out")" 1
t_eq "a bad file changes nothing" \
    "$(sql "SELECT count(*) FROM model_facts")" "$n0"

# A changed fact becomes a new version; the old one is kept with its end.
sed 's/"parameters": 1.2e12/"parameters": 1.3e12/' "$FIX/models.json" \
    >"$T/models-changed.json"
t_cmd "import a changed fact" imp models "$T/models-changed.json"
t_eq "the changed fact has two versions, the old one closed" \
    "$(sql "SELECT count(*) || ' ' || count(upper(valid)) FROM model_facts
        WHERE item_id = 'acme-frontier-1' AND fact = 'parameters'")" "2 1"
t_eq "the current version is the new value" \
    "$(sql "SELECT facts->>'parameters' FROM models_current
        WHERE id = 'acme-frontier-1'")" "1300000000000"
n0=$(sql "SELECT count(*) FROM model_facts")
t_cmd "import the changed file again" imp models "$T/models-changed.json"
t_eq "and again changes nothing" \
    "$(sql "SELECT count(*) FROM model_facts")" "$n0"
t_eq "NOTIFY registry_changed channel is used" \
    "$(grep -c "pg_notify('registry_changed'" "$ROOT/schema/050_registry.sql")" 1

# --- through the daemon -----------------------------------------------------
req GET /v1/models/alpha-1
t_status "GET /v1/models/{id}" 200
t_eq "model facts by id" "$(jqr '.facts.training_ops')" "3.8e+25"
t_eq "facts carry their source" \
    "$(jqr '.detail.training_ops.dataset')" "epoch:notable_ai_models"
req GET /v1/models/no-such-model
t_status "unknown model is 404" 404
req GET /v1/chips/nvidia-h100-sxm5-80gb
t_status "GET /v1/chips/{id}" 200
t_eq "TPP computed: 1979 x 8" "$(jqr '.tpp')" 15832
t_eq "PD computed: 15832 / 814" "$(jqr '.performance_density * 100 | floor')" 1944
req GET /v1/chips/example-accelerator
t_eq "no die area: no PD, and why" "$(jqr '.performance_density_missing')" \
    "no die area"
req GET "/v1/models?over=1e26"
t_status "GET /v1/models?over=1e26" 200
t_eq "only models at or over 1e26" \
    "$(jqr '[.models[] | select(.ops < 1e26)] | length')" 0
req POST /v1/models '{"name":"Pipeline Model 7","parameters":7e11,"training_ops":1.5e26,"published":false}'
t_status "POST /v1/models registers a model" 201
t_eq "its id" "$(jqr '.ids[0]')" "pipeline-model-7"
req GET /v1/models/pipeline-model-7
t_eq "the registered facts are served" "$(jqr '.facts.training_ops')" "1.5e+26"
req POST /v1/models '{"name":"X","tokens":5}'
t_status "POST with an unknown field is 400" 400

"$EARCTL" models list --over 1e26 >"$T/list.out" 2>&1
t_eq "earctl models list --over 1e26 lists the registered model" \
    "$(grep -c 'pipeline-model-7' "$T/list.out")" 1
if have_shared_data && [ -d "$EPOCH" ]; then
	for id in grok-4 gpt-4-5 grok-3; do
		t_eq "earctl models list --over 1e26 lists $id" \
		    "$(grep -c "^$id " "$T/list.out")" 1
	done
fi

if it_import_rules; then
	req POST /v1/checks/chip '{"as_of":"2024-06-01","destination":"CN","chip":{"id":"example-dc-accelerator"}}'
	t_status "chip check by registry id" 200
	t_eq "registry chip to CN in 2024 needs a licence" "$(jqr .verdict)" \
	    license_required
	req POST /v1/checks/weights '{"as_of":"2025-06-01","destination":"AE","model":{"id":"pipeline-model-7"}}'
	t_status "weights check by registry id" 200
	# 4E091 Note 2 has no BIS figure: the verdict names the registry's most
	# compute-intensive published model as context, labelled a proxy.
	n2=$(jqr '[.notes[] | select(startswith("4E091 Note 2 context"))] | length')
	t_eq "a weights verdict carries the Note 2 context note" "$n2" 1
	if have_shared_data; then
		t_eq "the Note 2 context names a model and says it is a proxy" \
		    "$(jqr '[.notes[] | select(test("proxy from the registry.*as of 2025-06-01 is \""))] | length')" 1
	fi
	# The documented CI step: published weights pass, unknown facts block.
	printf '{"name":"Gate Open","training_ops":3e25,"published":true,"published_on":"2025-01-01"}' >"$T/open.json"
	printf '{"name":"Gate Unknown"}' >"$T/unknown.json"
	gate=$ROOT/docs/examples/release-gate.sh
	EARD_SOCKET=$SOCK AS_OF=2025-06-01 sh "$gate" "$T/open.json" CN \
	    >"$T/gate.out" 2>&1
	t_eq "release gate passes published weights (exit 0)" "$?" 0
	EARD_SOCKET=$SOCK AS_OF=2025-06-01 sh "$gate" "$T/unknown.json" CN \
	    >>"$T/gate.out" 2>&1
	t_eq "release gate registers a model with a name only" \
	    "$(grep -c '^release-gate: gate-unknown -> CN' "$T/gate.out")" 1
	EARD_SOCKET=$T/no-such.sock sh "$gate" "$T/open.json" CN \
	    >>"$T/gate.out" 2>&1
	t_eq "release gate fails closed when eard is unreachable (exit 1)" "$?" 1
else
	t_skip "checks by registry id" "the rulepacks did not import"
fi

it_done
