/*
 * test_determine: determinations on a small hand-written ruleset
 * (tests/fixtures/ruleset-min.json), each row citing the fact it checks.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

#define H100 "\"chip\": {\"name\": \"NVIDIA H100 SXM5\", \"performance\": " \
	"[{\"format\": \"fp16\", \"bits\": 16, \"dense_tops\": 989.5}, " \
	"{\"format\": \"fp8\", \"bits\": 8, \"dense_tops\": 1979}], " \
	"\"die_area_mm2\": 814, \"io_bandwidth_gbs\": 900, " \
	"\"memory_bandwidth_gbs\": 3350, \"datacenter\": true}"
#define H200 "\"chip\": {\"name\": \"NVIDIA H200\", \"performance\": " \
	"[{\"format\": \"fp8\", \"dense_tops\": 1979}], " \
	"\"die_area_mm2\": 814, \"io_bandwidth_gbs\": 900, " \
	"\"memory_bandwidth_gbs\": 4800, \"datacenter\": true}"
#define H20 "\"chip\": {\"name\": \"NVIDIA H20\", \"performance\": " \
	"[{\"format\": \"fp16\", \"dense_tops\": 148}, {\"format\": \"fp8\", " \
	"\"dense_tops\": 296}], \"die_area_mm2\": 814, " \
	"\"io_bandwidth_gbs\": 900, \"memory_bandwidth_gbs\": 4000, " \
	"\"datacenter\": true}"
#define RTX4090 "\"chip\": {\"name\": \"RTX 4090\", \"performance\": " \
	"[{\"format\": \"int8\", \"dense_tops\": 660.6}], \"die_area_mm2\": " \
	"608, \"io_bandwidth_gbs\": 64, \"datacenter\": false}"
#define A800 "\"chip\": {\"name\": \"A800\", \"performance\": " \
	"[{\"format\": \"fp16\", \"dense_tops\": 312}], " \
	"\"die_area_mm2\": 826," \
	" \"io_bandwidth_gbs\": 400, \"datacenter\": true}"
#define CHIPX(tops, area, dc) "{\"performance\": [{\"format\": " \
	"\"fp8\", \"dense_tops\": " #tops "}], \"die_area_mm2\": " #area \
	", \"memory_bandwidth_gbs\": 1000, \"datacenter\": " dc "}"
#define RCN ", \"recipient\": {\"name\": \"Example\", \"headquarters\": \"CN\"}"

struct row {
	const char	*why;
	enum item_kind	 kind;
	const char	*body;
	const char	*verdict;
	const char	*eccn;		/* prefix; "" = null; NULL = any */
	const char	*policy;	/* "" = must be null; NULL = any */
	const char	*text_verdict;	/* NULL = must be absent */
	const char	*missing;	/* a field that must be in missing */
};

static const struct row rows[] = {
	{ "3A090.a.1 (TPP 15832 >= 4800), China D:5: RS licence, "
	  "presumption of denial (88 FR 73458; 15 CFR 742.6(b)(10))",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  H100 RCN "}", "license_required", "3A090.a.1",
	  "presumption_of_denial", NULL, NULL },
	{ "Israel is D:4 and A:6: excluded from the RS scope (88 FR 73458)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"IL\", "
	  H100 ", \"recipient\": {\"name\": \"X\", \"headquarters\": "
	  "\"IL\"}}", "no_license_required", "3A090.a", "", NULL, NULL },
	{ "headquarters rule: Malaysian subsidiary of a Chinese company "
	  "(15 CFR 744.23(a)(3), from 2023-11-17)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"MY\", "
	  H100 RCN "}", "license_required", "3A090.a", NULL, NULL, NULL },
	{ "headquarters rule could apply and no recipient is given: fail "
	  "closed naming recipient.headquarters",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"MY\", "
	  H100 "}", "needs_review", "3A090.a", NULL, NULL,
	  "recipient.headquarters" },
	{ "TPP 6000 without die area is still 3A090.a.1 (TPP >= 4800)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "750}], \"datacenter\": true}" RCN "}", "license_required",
	  "3A090.a.1", NULL, NULL, NULL },
	{ "TPP 3000 without die area: .a.2, .b or nothing, the answer "
	  "depends on PD (3A090 Technical Note 2)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "375}], \"datacenter\": true}" RCN "}", "needs_review", NULL, NULL,
	  NULL, "chip.die_area_mm2" },
	{ "TPP 3000 without die area to Germany (A:5): no licence whatever "
	  "the classification",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"DE\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "375}], \"datacenter\": true}, \"recipient\": {\"name\": \"X\", "
	  "\"headquarters\": \"DE\"}}", "no_license_required", NULL, "", NULL,
	  NULL },
	{ "RTX 4090 (not datacenter, TPP 5285) to China: 3A090.a with NAC "
	  "(Note 2 to 3A090; 15 CFR 740.8)",
	  ITEM_CHIP, "{\"as_of\": \"2023-12-01\", \"destination\": \"CN\", "
	  RTX4090 RCN "}", "license_exception", "3A090.a", NULL, NULL, NULL },
	{ "A800 in 2023-01: Oct 2022 3A090 needs TPP >= 4800 and I/O >= 600 "
	  "GB/s (87 FR 62186)",
	  ITEM_CHIP, "{\"as_of\": \"2023-01-01\", \"destination\": \"CN\", "
	  A800 RCN "}", "no_license_required", "", "", NULL, NULL },
	{ "A800 in 2023-12: 3A090.a.1 under 88 FR 73458",
	  ITEM_CHIP, "{\"as_of\": \"2023-12-01\", \"destination\": \"CN\", "
	  A800 RCN "}", "license_required", "3A090.a", NULL, NULL, NULL },
	{ "H20 with exporter NVIDIA after the 2025-04-09 letter",
	  ITEM_CHIP, "{\"as_of\": \"2025-05-01\", \"destination\": \"CN\", "
	  H20 RCN ", \"exporter\": {\"name\": \"NVIDIA\", \"country\": "
	  "\"US\"}}", "license_required", "", "presumption_of_denial", NULL,
	  NULL },
	{ "H20 without exporter after the letter: needs review naming the "
	  "exporter", ITEM_CHIP, "{\"as_of\": \"2025-05-01\", "
	  "\"destination\": \"CN\", " H20 RCN "}", "needs_review", "", NULL,
	  NULL, "exporter.name" },
	{ "H20 before the letter: below every 3A090 prong (DOMAIN 5.2)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  H20 RCN "}", "no_license_required", "", "", NULL, NULL },
	{ "H200 export to China 2026-03: case-by-case, TPP < 21000 and DRAM "
	  "< 6500 GB/s (91 FR 1684)",
	  ITEM_CHIP, "{\"as_of\": \"2026-03-01\", \"destination\": \"CN\", "
	  H200 RCN "}", "license_required", "3A090.a", "case_by_case", NULL,
	  NULL },
	{ "H200 reexport to China 2026-03: presumption of denial stays "
	  "(91 FR 1684)",
	  ITEM_CHIP, "{\"as_of\": \"2026-03-01\", \"destination\": \"CN\", "
	  H200 RCN ", \"export_type\": \"reexport\"}", "license_required",
	  "3A090.a", "presumption_of_denial", NULL, NULL },
	{ "H200 the day before 91 FR 1684 (2026-01-14): presumption of denial",
	  ITEM_CHIP, "{\"as_of\": \"2026-01-14\", \"destination\": \"CN\", "
	  H200 RCN "}", "license_required", "3A090.a", "presumption_of_denial",
	  NULL, NULL },
	{ "standalone HBM, density 11 > 2 GB/s/mm2, to China after "
	  "2024-12-02: 3A090.c (89 FR 96790)",
	  ITEM_CHIP, "{\"as_of\": \"2025-02-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"name\": \"HBM3E\", \"kind\": \"hbm\", "
	  "\"memory_bandwidth_density_gbs_mm2\": 11.0}" RCN "}",
	  "license_required", "3A090.c", NULL, NULL, NULL },
	{ "standalone HBM the day before 89 FR 96790 (2024-12-01)",
	  ITEM_CHIP, "{\"as_of\": \"2024-12-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"name\": \"HBM3E\", \"kind\": \"hbm\", "
	  "\"memory_bandwidth_density_gbs_mm2\": 11.0}" RCN "}",
	  "no_license_required", "", NULL, NULL, NULL },
	{ "published weights: not subject (15 CFR 734.7(a); 4E091 Note 1)",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"CN\", "
	  "\"model\": {\"name\": \"Llama\", \"published\": true, "
	  "\"training_ops\": 3.8e25}" RCN "}", "not_subject", "", "", NULL,
	  NULL },
	{ "4E091 before its compliance date 2025-05-15 (90 FR 4544)",
	  ITEM_MODEL, "{\"as_of\": \"2025-03-01\", \"destination\": \"AE\", "
	  "\"model\": {\"name\": \"X\", \"published\": false, "
	  "\"training_ops\": 3e26}}", "no_license_required", "4E091", "", NULL,
	  NULL },
	{ "4E091 after the 2025-05-13 non-enforcement: text says licence",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"model\": {\"name\": \"X\", \"published\": false, "
	  "\"training_ops\": 3e26}}", "no_license_required", "4E091", "",
	  "license_required", NULL },
	{ "4E091 text posture on request: licence, presumption of denial",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"name\": \"X\", "
	  "\"published\": false, \"training_ops\": 3e26}}", "license_required",
	  "4E091", "presumption_of_denial", NULL, NULL },
	{ "4E091 to Japan under the text: AIA available (15 CFR 740.27)",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"JP\", "
	  "\"posture\": \"text\", \"model\": {\"name\": \"X\", "
	  "\"published\": false, \"training_ops\": 3e26}}",
	  "license_exception", "4E091", NULL, NULL, NULL },
	{ "Note 1: derived from a published model, 2e25 additional <= "
	  "max(2.5e25, 25%)", ITEM_MODEL, "{\"as_of\": \"2025-06-01\", "
	  "\"destination\": \"SG\", \"posture\": \"text\", \"model\": "
	  "{\"name\": \"ft\", \"published\": false, \"derived_from\": "
	  "{\"name\": \"base\", \"published\": true, \"training_ops\": 9e25}, "
	  "\"additional_training_ops\": 2e25, \"training_ops\": 1.1e26}}",
	  "no_license_required", "", "", NULL, NULL },
	{ "Technical Note 3: 6e25 + 1e24 + 8e25 = 1.41e26 >= 1e26",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"name\": \"Z\", \"published\": "
	  "false, \"training_ops\": 6e25, \"synthetic_data\": [{\"generator\": "
	  "\"T\", \"generator_published\": false, \"generator_training_ops\": "
	  "8e25, \"generation_ops\": 1e24, \"share_of_training_ops\": 0.4}]}}",
	  "license_required", "4E091", NULL, NULL, NULL },
	{ "publish release: not subject after publication (15 CFR 734.7)",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"US\", "
	  "\"release\": \"publish\", \"model\": {\"name\": \"X\", "
	  "\"published\": false, \"training_ops\": 3e26}}", "not_subject", "",
	  "", NULL, NULL },
	{ "training ops unknown under the text layer: needs review",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"name\": \"X\", "
	  "\"published\": false}}", "needs_review", NULL, NULL, NULL,
	  "model.training_ops" },
	{ "training ops unknown before 4E091 existed: no licence either way",
	  ITEM_MODEL, "{\"as_of\": \"2024-06-01\", \"destination\": \"AE\", "
	  "\"model\": {\"name\": \"X\", \"published\": false}}",
	  "no_license_required", "", "", NULL, NULL },
	{ "6ND estimate: 1e12 params x 2e13 tokens x 6 = 1.2e26 (TN 2)",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"name\": \"X\", \"published\": "
	  "false, \"parameters\": 1e12, \"training_tokens\": 2e13}}",
	  "license_required", "4E091", NULL, NULL, NULL },
	/* Exact thresholds of 3A090 (88 FR 73458), chips built to hit them. */
	{ "TPP exactly 4800 is 3A090.a.1 (\"4800 or more\")",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(600, 1000, "true") RCN "}", "license_required",
	  "3A090.a.1", NULL, NULL, NULL },
	{ "TPP 4799.2 with PD 4.8 is 3A090.b.1, NAC for datacenter .b",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(599.9, 1000, "true") RCN "}",
	  "license_exception", "3A090.b.1", NULL, NULL, NULL },
	{ "TPP 2960 and PD exactly 5.92 is 3A090.a.2",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(370, 500, "true") RCN "}", "license_required",
	  "3A090.a.2", NULL, NULL, NULL },
	{ "TPP 2960 and PD 5.908 (< 5.92) is 3A090.b.1",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(370, 501, "true") RCN "}", "license_exception",
	  "3A090.b.1", NULL, NULL, NULL },
	{ "TPP exactly 2400 and PD exactly 1.6 is 3A090.b.1",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(300, 1500, "true") RCN "}", "license_exception",
	  "3A090.b.1", NULL, NULL, NULL },
	{ "TPP 2399.2 and PD 2.4: below .b.1 (2400) and .b.2 (PD 3.2)",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(299.9, 1000, "true") RCN "}",
	  "no_license_required", "", "", NULL, NULL },
	{ "TPP exactly 1600 and PD exactly 3.2 is 3A090.b.2",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(200, 500, "true") RCN "}", "license_exception",
	  "3A090.b.2", NULL, NULL, NULL },
	{ "Note 2: not datacenter and TPP < 4800 is outside .a and .b",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": " CHIPX(599.9, 500, "false") RCN "}",
	  "no_license_required", "", "", NULL, NULL },
	{ "Note 2 with datacenter unknown: the answer depends on it",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "599.9}], \"die_area_mm2\": 500}" RCN "}", "needs_review", NULL,
	  NULL, NULL, "chip.datacenter" },
	{ "91 FR 1684: TPP exactly 21000 is not below 21,000: presumption of "
	  "denial", ITEM_CHIP, "{\"as_of\": \"2026-03-01\", \"destination\": "
	  "\"CN\", \"chip\": {\"performance\": [{\"format\": \"fp8\", "
	  "\"dense_tops\": 2625}], \"die_area_mm2\": 814, "
	  "\"memory_bandwidth_gbs\": 4800, \"datacenter\": true}" RCN "}",
	  "license_required", "3A090.a", "presumption_of_denial", NULL, NULL },
	{ "91 FR 1684: DRAM exactly 6500 GB/s is not below 6,500",
	  ITEM_CHIP, "{\"as_of\": \"2026-03-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "2624.9}], \"die_area_mm2\": 814, \"memory_bandwidth_gbs\": 6500, "
	  "\"datacenter\": true}" RCN "}", "license_required", "3A090.a",
	  "presumption_of_denial", NULL, NULL },
	{ "91 FR 1684: TPP 20999.2 and DRAM 6499: case-by-case",
	  ITEM_CHIP, "{\"as_of\": \"2026-03-01\", \"destination\": \"CN\", "
	  "\"chip\": {\"performance\": [{\"format\": \"fp8\", \"dense_tops\": "
	  "2624.9}], \"die_area_mm2\": 814, \"memory_bandwidth_gbs\": 6499, "
	  "\"datacenter\": true}" RCN "}", "license_required", "3A090.a",
	  "case_by_case", NULL, NULL },
	/* Era boundaries: 88 FR 73458 took effect on 2023-11-17. */
	{ "A800 the day before 88 FR 73458 (2023-11-16): Oct 2022 I/O test",
	  ITEM_CHIP, "{\"as_of\": \"2023-11-16\", \"destination\": \"CN\", "
	  A800 RCN "}", "no_license_required", "", "", NULL, NULL },
	{ "A800 the day 88 FR 73458 takes effect (2023-11-17)",
	  ITEM_CHIP, "{\"as_of\": \"2023-11-17\", \"destination\": \"CN\", "
	  A800 RCN "}", "license_required", "3A090.a", NULL, NULL, NULL },
	{ "headquarters rule did not exist on 2023-11-16 (87 FR 62186: China "
	  "only)", ITEM_CHIP, "{\"as_of\": \"2023-11-16\", \"destination\": "
	  "\"MY\", " H100 RCN "}", "no_license_required", "3A090.a", "", NULL,
	  NULL },
	{ "Saudi Arabia (D:4, not A:5/A:6) needs the RS licence",
	  ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": \"SA\", "
	  H100 ", \"recipient\": {\"name\": \"X\", \"headquarters\": "
	  "\"SA\"}}", "license_required", "3A090.a", "case_by_case", NULL,
	  NULL },
	{ "exactly 1e26 operations is 4E091 (\"1e26 or more\")",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"published\": false, "
	  "\"training_ops\": 1e26}}", "license_required", "4E091", NULL, NULL,
	  NULL },
	{ "9.99e25 operations is not 4E091",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"published\": false, "
	  "\"training_ops\": 9.99e25}}", "no_license_required", "", "", NULL,
	  NULL },
	{ "published after as_of: on as_of the weights were unpublished",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"published\": true, "
	  "\"published_on\": \"2025-08-01\", \"training_ops\": 3e26}}",
	  "license_required", "4E091", NULL, NULL, NULL },
	{ "published before as_of: not subject (15 CFR 734.7(a))",
	  ITEM_MODEL, "{\"as_of\": \"2025-09-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"published\": true, "
	  "\"published_on\": \"2025-08-01\", \"training_ops\": 3e26}}",
	  "not_subject", "", "", NULL, NULL },
	{ "publication not stated, text layer would license: needs review",
	  ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": \"AE\", "
	  "\"posture\": \"text\", \"model\": {\"training_ops\": 3e26}}",
	  "needs_review", "4E091", NULL, NULL, "model.published" },
};

static struct ruleset *rs;

static int
setup(void **state)
{
	json_error_t	 jerr;
	json_t		*doc;
	char		*cause = NULL;

	(void)state;
	doc = json_load_file("tests/fixtures/ruleset-min.json", 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "cannot load ruleset-min.json: %s\n",
		    jerr.text);
		return (-1);
	}
	rs = ruleset_from_json(doc, "test-min", &cause);
	json_decref(doc);
	if (rs == NULL) {
		fprintf(stderr, "ruleset: %s\n", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	ruleset_unref(rs);
	return (0);
}

/* Decode, determine and serialise a body; the caller frees the JSON. */
static json_t *
run(enum item_kind kind, const char *body)
{
	struct ear_error err = { 0 };
	struct check	*c;
	struct verdict	*v;
	json_error_t	 jerr;
	json_t		*req, *out;

	req = json_loads(body, 0, &jerr);
	if (req == NULL)
		fail_msg("bad test body: %s: %s", jerr.text, body);
	c = check_decode(kind, req, date_from_ymd(2026, 11, 29), &err);
	json_decref(req);
	if (c == NULL)
		fail_msg("decode: %s (%s)", err.message, err.field);
	v = determine(rs, c);
	out = verdict_to_json(v, "test");
	verdict_free(v);
	check_free(c);
	return (out);
}

static bool
has_string(const json_t *a, const char *s)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return (true);
	}
	return (false);
}

static void
test_determine_table(void **state)
{
	const struct row *r;
	json_t		*out, *e, *p, *t;
	size_t		 i, bad = 0;
	char		*dump;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		r = &rows[i];
		out = run(r->kind, r->body);
		e = json_object_get(json_object_get(out, "classification"),
		    "eccn");
		p = json_object_get(out, "review_policy");
		t = json_object_get(out, "text_verdict");
		const char *got = json_string_value(json_object_get(out,
		    "verdict"));
		bool ok = strcmp(got, r->verdict) == 0;
		if (r->eccn != NULL && *r->eccn == '\0' && !json_is_null(e))
			ok = false;
		if (r->eccn != NULL && *r->eccn != '\0' &&
		    (!json_is_string(e) ||
		    !pred_eccn_matches(json_string_value(e), r->eccn)))
			ok = false;
		if (r->policy != NULL && *r->policy == '\0' && !json_is_null(p))
			ok = false;
		if (r->policy != NULL && *r->policy != '\0' &&
		    (!json_is_string(p) ||
		    strcmp(json_string_value(p), r->policy) != 0))
			ok = false;
		if (r->text_verdict == NULL && t != NULL)
			ok = false;
		if (r->text_verdict != NULL && (!json_is_string(t) ||
		    strcmp(json_string_value(t), r->text_verdict) != 0))
			ok = false;
		if (r->missing != NULL && !has_string(json_object_get(out,
		    "missing"), r->missing))
			ok = false;
		if (!ok) {
			dump = json_dumps(out, JSON_INDENT(1));
			fprintf(stderr, "FAIL row %zu: %s\n  want %s eccn=%s "
			    "policy=%s text=%s missing=%s\n%s\n", i, r->why,
			    r->verdict, r->eccn ? r->eccn : "*",
			    r->policy ? r->policy : "*",
			    r->text_verdict ? r->text_verdict : "-",
			    r->missing ? r->missing : "-", dump);
			free(dump);
			bad++;
		}
		json_decref(out);
	}
	assert_int_equal(bad, 0);
}

/* Entity List hit: licence, its own policy, no exception (744.16). */
static void
test_determine_entity_list_overrides_exception(void **state)
{
	struct ear_error err = { 0 };
	struct ear_listing hit = { "Example Tech Co", "Entity List (EL)",
	    "For all items subject to the EAR", "Presumption of denial.",
	    "88 FR 12170, 2/27/23", "name", 0.97, true, true };
	struct check	*c;
	struct verdict	*v;
	json_t		*req, *out, *reqs;

	(void)state;
	req = json_loads("{\"as_of\": \"2023-12-01\", \"destination\": "
	    "\"CN\", " RTX4090 RCN "}", 0, NULL);
	c = check_decode(ITEM_CHIP, req, 0, &err);
	assert_non_null(c);
	check_set_screening(c, &hit, 1, "csl-2026-07-31");
	v = determine(rs, c);
	assert_int_equal(verdict_kind(v), VERDICT_REQUIRED);
	out = verdict_to_json(v, "d1");
	assert_string_equal(json_string_value(json_object_get(out,
	    "review_policy")), "presumption_of_denial");
	reqs = json_object_get(out, "requirements");
	assert_true(json_array_size(reqs) >= 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(reqs, json_array_size(reqs) - 1), "citation")),
	    "88 FR 12170, 2/27/23");
	json_decref(out);
	verdict_free(v);

	/* A possible match ("review") is needs_review. */
	hit.match = false;
	check_set_screening(c, &hit, 1, "csl-2026-07-31");
	v = determine(rs, c);
	assert_int_equal(verdict_kind(v), VERDICT_REVIEW);
	verdict_free(v);

	/* Not subject: published weights stay not_subject with a note. */
	check_free(c);
	json_decref(req);
	req = json_loads("{\"as_of\": \"2025-06-01\", \"destination\": \"CN\","
	    " \"model\": {\"published\": true}}", 0, NULL);
	c = check_decode(ITEM_MODEL, req, 0, &err);
	assert_non_null(c);
	hit.match = true;
	check_set_screening(c, &hit, 1, "csl");
	v = determine(rs, c);
	assert_int_equal(verdict_kind(v), VERDICT_NOT_SUBJECT);
	verdict_free(v);
	check_free(c);
	json_decref(req);
}

/* The not_subject note names OFAC; the count shows its arithmetic. */
static void
test_determine_notes_and_count(void **state)
{
	json_t	*out, *count;
	char	*s;

	(void)state;
	out = run(ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": "
	    "\"CN\", \"model\": {\"published\": true}}");
	s = json_dumps(json_object_get(out, "notes"), 0);
	assert_non_null(strstr(s, "OFAC sanctions are a separate regime"));
	free(s);
	json_decref(out);

	out = run(ITEM_MODEL, "{\"as_of\": \"2025-06-01\", \"destination\": "
	    "\"AE\", \"model\": {\"name\": \"Z\", \"published\": false, "
	    "\"training_ops\": 6e25, \"synthetic_data\": [{\"generator\": "
	    "\"T\", \"generator_published\": false, \"generator_training_ops\":"
	    " 8e25, \"generation_ops\": 1e24, \"share_of_training_ops\": "
	    "0.4}]}}");
	count = json_object_get(out, "count");
	assert_string_equal(json_string_value(json_object_get(count,
	    "comparison")), "1.41e26 >= 1e26 by 41%");
	s = json_dumps(json_object_get(out, "notes"), 0);
	assert_non_null(strstr(s, "Note 2"));
	assert_non_null(strstr(s, "not enforced"));
	free(s);
	json_decref(out);

	/* Margins: H100 TPP 15832 is 11032 over 4800. */
	out = run(ITEM_CHIP, "{\"as_of\": \"2024-06-01\", \"destination\": "
	    "\"CN\", " H100 RCN "}");
	count = json_object_get(json_object_get(json_object_get(out,
	    "classification"), "margins"), "tpp_4800");
	assert_non_null(count);
	assert_true(json_real_value(json_object_get(count, "margin")) ==
	    11032.0);
	json_decref(out);
}

/* Verdict names and earctl exit codes (ARCHITECTURE.md, "Verdicts"). */
static void
test_determine_verdict_names_and_exit_codes(void **state)
{
	static const struct {
		enum verdict_kind	 kind;
		const char		*name;
		int			 code;
	} kinds[] = {
		{ VERDICT_NOT_SUBJECT, "not_subject", 0 },
		{ VERDICT_NO_LICENSE, "no_license_required", 0 },
		{ VERDICT_EXCEPTION, "license_exception", 10 },
		{ VERDICT_REQUIRED, "license_required", 20 },
		{ VERDICT_REVIEW, "needs_review", 30 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(kinds); i++) {
		assert_string_equal(verdict_kind_name(kinds[i].kind),
		    kinds[i].name);
		assert_int_equal(verdict_exit_code(kinds[i].kind),
		    kinds[i].code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determine_table),
		cmocka_unit_test(
		    test_determine_entity_list_overrides_exception),
		cmocka_unit_test(test_determine_notes_and_count),
		cmocka_unit_test(test_determine_verdict_names_and_exit_codes),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
