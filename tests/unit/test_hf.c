/*
 * test_hf: parameter counts from Hugging Face config.json (importers/hf.c),
 * against hand counts of the fixtures in tests/fixtures/registry/ and the
 * published totals of the real configs in ../shared/data/hf/configs/
 * (../shared/data/README.md; skipped when that folder is absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "importers.h"

#define FIX	"tests/fixtures/registry/"
#define HF	"../shared/data/hf/configs/"

static json_t *
load(const char *path)
{
	json_t	*j;

	j = json_load_file(path, JSON_DECODE_INT_AS_REAL, NULL);
	if (j == NULL)
		fail_msg("could not load %s", path);
	return j;
}

/* Fixtures counted by hand (the arithmetic is in each comment). */
static void
test_hf_counts_fixtures_exactly(void **state)
{
	static const struct {
		const char	*file;
		double		 total, active;
	} cases[] = {
		/*
		 * h=64, 2 layers, 4 heads of 16, 2 KV heads, MLP 128, V=100:
		 * attention 3 x 4096 = 12288, norms 128, MLP 3*64*128 = 24576,
		 * 2 x 36992 + embeddings and head 12800 + final norm 64.
		 */
		{ FIX "tiny-llama_config.json", 86848, 86848 },
		/* 4 experts of 24576 + router 256 per layer; 2 active. */
		{ FIX "tiny-mixtral_config.json", 234816, 136512 },
		/*
		 * Interleaved (step 2): layers 1 and 3 are MoE with 4 experts
		 * of 6144, a shared one and a router (30976; 12544 active),
		 * layers 0 and 2 dense with intermediate_size_mlp (24576).
		 */
		{ FIX "tiny-llama4_config.json", 173632, 136768 },
	};
	struct hf_estimate	 est;
	json_t			*c;
	char			*cause = NULL;
	size_t			 i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		c = load(cases[i].file);
		assert_int_equal(hf_estimate_params(c, &est, &cause), 0);
		assert_true(est.total == cases[i].total);
		assert_true(est.active == cases[i].active);
		json_decref(c);
	}
}

/* A hybrid Mamba model is not counted: "unsupported", not a number. */
static void
test_hf_unsupported_is_said(void **state)
{
	struct hf_estimate	 est;
	json_t			*c;
	char			*cause = NULL;

	(void)state;
	c = json_pack("{s:s, s:i, s:i, s:i, s:i}", "model_type", "nemotron_h",
	    "hidden_size", 64, "num_hidden_layers", 4,
	    "num_attention_heads", 4, "vocab_size", 100);
	assert_int_equal(hf_estimate_params(c, &est, &cause), -1);
	assert_string_equal(cause, "unsupported: nemotron_h");
	assert_true(isnan(est.total));
	free(cause);
	json_decref(c);
}

/* Published totals (../shared/data/README.md and the model cards). */
static void
test_hf_real_configs_match_known_totals(void **state)
{
	static const struct {
		const char	*file;
		double		 total;		/* published */
		double		 active;	/* 0: not checked */
		double		 tol;
	} cases[] = {
		{ "meta-llama--Meta-Llama-3.1-405B_config.json", 4.05e11, 0,
		    0.02 },
		{ "meta-llama--Meta-Llama-3.1-70B_config.json", 7.06e10, 0,
		    0.02 },
		{ "meta-llama--Meta-Llama-3.1-8B_config.json", 8.03e9, 0, 0.02 },
		/* 671B without the 14B multi-token-prediction module. */
		{ "deepseek-ai--DeepSeek-V3_config.json", 6.71e11, 3.7e10,
		    0.02 },
		{ "deepseek-ai--DeepSeek-R1_config.json", 6.71e11, 3.7e10,
		    0.02 },
		{ "deepseek-ai--DeepSeek-V3_native_inference_config_671B.json",
		    6.71e11, 3.7e10, 0.02 },
		/* V3.2 adds the sparse-attention indexer, under 0.2%. */
		{ "deepseek-ai--DeepSeek-V3.2_config.json", 6.71e11, 3.7e10,
		    0.04 },
		{ "Qwen--Qwen3-235B-A22B_config.json", 2.35e11, 2.2e10, 0.02 },
		{ "Qwen--Qwen3-30B-A3B_config.json", 3.05e10, 3.3e9, 0.02 },
		{ "Qwen--Qwen3-32B_config.json", 3.28e10, 0, 0.02 },
		{ "Qwen--Qwen3-8B_config.json", 8.2e9, 0, 0.02 },
		{ "Qwen--Qwen3-Coder-480B-A35B-Instruct_config.json", 4.8e11,
		    3.5e10, 0.02 },
		{ "openai--gpt-oss-120b_config.json", 1.17e11, 0, 0.02 },
		{ "openai--gpt-oss-20b_config.json", 2.1e10, 0, 0.02 },
		{ "mistralai--Mixtral-8x7B-v0.1_config.json", 4.67e10, 1.29e10,
		    0.02 },
		{ "mistralai--Mixtral-8x22B-v0.1_config.json", 1.41e11, 3.9e10,
		    0.02 },
		/* Interleaved MoE: a naive count gives ~7.8e11. */
		{ "meta-llama--Llama-4-Maverick-17B-128E-Instruct_config.json",
		    4.0e11, 1.7e10, 0.02 },
		/* 109B includes the vision tower, which is not counted. */
		{ "meta-llama--Llama-4-Scout-17B-16E-Instruct_config.json",
		    1.09e11, 1.7e10, 0.02 },
		{ "moonshotai--Kimi-K2-Instruct_config.json", 1.0e12, 3.2e10,
		    0.04 },
		{ "MiniMaxAI--MiniMax-M2.5_config.json", 2.29e11, 1.0e10, 0.11 },
		{ "zai-org--GLM-5_config.json", 7.44e11, 4.0e10, 0.05 },
	};
	struct hf_estimate	 est;
	json_t			*c;
	char			 path[512], *cause = NULL;
	size_t			 i;

	(void)state;
	if (access(HF, R_OK) != 0)
		skip();
	for (i = 0; i < nitems(cases); i++) {
		snprintf(path, sizeof path, HF "%s", cases[i].file);
		c = load(path);
		if (hf_estimate_params(c, &est, &cause) != 0)
			fail_msg("%s: %s", cases[i].file, cause);
		if (fabs(est.total / cases[i].total - 1) > cases[i].tol)
			fail_msg("%s: total %.4g, want %.4g", cases[i].file,
			    est.total, cases[i].total);
		if (cases[i].active > 0 &&
		    fabs(est.active / cases[i].active - 1) > cases[i].tol)
			fail_msg("%s: active %.4g, want %.4g", cases[i].file,
			    est.active, cases[i].active);
		json_decref(c);
	}
}

/* Gemma 4 (parallel dense + MoE blocks) and Nemotron-H (Mamba) say so. */
static void
test_hf_real_unsupported_configs(void **state)
{
	static const struct {
		const char	*file;
		const char	*cause;
	} cases[] = {
		{ "google--gemma-4-26B-A4B_config.json",
		    "unsupported: gemma4_text" },
		{ "nvidia--Nemotron-H-56B-Base-8K_config.json",
		    "unsupported: nemotron_h" },
	};
	struct registry_set	*set;
	const json_t		*it;
	char			 path[512], *cause = NULL;
	size_t			 i;

	(void)state;
	if (access(HF, R_OK) != 0)
		skip();
	set = registry_set_new(REGISTRY_MODELS);
	for (i = 0; i < nitems(cases); i++) {
		snprintf(path, sizeof path, HF "%s", cases[i].file);
		/* The import does not fail; the entry says why. */
		assert_int_equal(registry_parse_file(set, NULL, path, &cause), 0);
	}
	it = registry_set_items(set);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(it, "gemma-4-26b-a4b"), "facts"),
	    "parameters_unsupported"), "value")), cases[0].cause);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(it, "nemotron-h-56b-base-8k"),
	    "facts"), "parameters_unsupported"), "value")), cases[1].cause);
	registry_set_free(set);
}

/* Every real config imports, named from its file, detected as "hf". */
static void
test_hf_imports_every_config(void **state)
{
	struct registry_set	*set;
	const json_t		*it, *p;
	char			*cause = NULL;
	FILE			*ls;
	char			 line[512];
	size_t			 n = 0;

	(void)state;
	if (access(HF, R_OK) != 0)
		skip();
	set = registry_set_new(REGISTRY_MODELS);
	ls = popen("ls " HF "*.json", "r");
	assert_non_null(ls);
	while (fgets(line, sizeof line, ls) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (registry_parse_file(set, NULL, line, &cause) != 0)
			fail_msg("%s", cause);
		n++;
	}
	pclose(ls);
	assert_true(n >= 20);
	it = registry_set_items(set);
	p = json_object_get(json_object_get(json_object_get(json_object_get(it,
	    "meta-llama-3-1-405b"), "facts"), "parameters"), "value");
	assert_true(fabs(json_number_value(p) / 4.05e11 - 1) < 0.02);
	/* The native DeepSeek config merges into the DeepSeek-V3 entry. */
	assert_null(json_object_get(it,
	    "deepseek-v3-native-inference-config-671b"));
	registry_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hf_counts_fixtures_exactly),
		cmocka_unit_test(test_hf_unsupported_is_said),
		cmocka_unit_test(test_hf_real_configs_match_known_totals),
		cmocka_unit_test(test_hf_real_unsupported_configs),
		cmocka_unit_test(test_hf_imports_every_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
