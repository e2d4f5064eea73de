/*
 * fuzz_csv: libFuzzer harness for the RFC 4180 reader and the number
 * parser (importers/csv.c), and the Epoch parsers that sit on them.
 * Seeds: corpus/csv/; dictionary: csv.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "importers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader	*r;
	struct registry_set	*set;
	char			**f, *cause = NULL;
	size_t			 n, i;
	double			 v;

	r = csv_open((const char *)data, size);
	while (csv_next(r, &f, &n, &cause) == 1) {
		for (i = 0; i < n; i++)
			(void)csv_number(f[i], &v);
	}
	free(cause);
	csv_close(r);

	cause = NULL;
	set = registry_set_new(REGISTRY_MODELS);
	if (registry_parse_buffer(set, "epoch", (const char *)data, size,
	    "fuzz.csv", &cause) != 0)
		free(cause);
	registry_set_free(set);
	cause = NULL;
	set = registry_set_new(REGISTRY_CHIPS);
	if (registry_parse_buffer(set, "epoch", (const char *)data, size,
	    "fuzz.csv", &cause) != 0)
		free(cause);
	registry_set_free(set);
	return 0;
}
