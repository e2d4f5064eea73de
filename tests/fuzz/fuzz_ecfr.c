/*
 * fuzz_ecfr.c: libFuzzer harness for the eCFR parser (importers/ecfr.c).
 * Seeds: tests/fuzz/corpus/ecfr/ (the fixtures; run.sh adds the real CCL
 * from ../shared/data when present). Dictionary: tests/fuzz/ecfr.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ear.h"
#include "importers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecfr_doc	*doc;
	char		*cause = NULL;

	doc = ecfr_parse_memory((const char *)data, size, "2026-06-01", &cause);
	if (doc != NULL) {
		size_t	 i;

		/* touch what a store would read */
		for (i = 0; i < doc->nnodes; i++)
			(void)ecfr_text_has_number(doc->nodes[i].body, 4800);
		ecfr_free(doc);
	}
	free(cause);
	return 0;
}
