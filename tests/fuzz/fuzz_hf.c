/*
 * fuzz_hf: libFuzzer harness for the Hugging Face config.json estimator
 * (importers/hf.c) and the project's model/chip JSON (models_json.c,
 * chips_json.c). Seeds: corpus/hf/; dictionary: hf.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "importers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		enum registry_kind	 kind;
		const char		*format;
	} runs[] = {
		{ REGISTRY_MODELS, "hf" },
		{ REGISTRY_MODELS, "json" },
		{ REGISTRY_CHIPS, "json" },
	};
	struct registry_set	*set;
	struct hf_estimate	 est;
	json_t			*j;
	char			*cause = NULL;
	size_t			 i;

	j = json_loadb((const char *)data, size, JSON_DECODE_INT_AS_REAL,
	    NULL);
	if (j != NULL) {
		if (hf_estimate_params(j, &est, &cause) != 0)
			free(cause);
		json_decref(j);
	}
	for (i = 0; i < nitems(runs); i++) {
		cause = NULL;
		set = registry_set_new(runs[i].kind);
		if (registry_parse_buffer(set, runs[i].format,
		    (const char *)data, size, "fuzz.json", &cause) != 0)
			free(cause);
		registry_set_free(set);
	}
	return 0;
}
