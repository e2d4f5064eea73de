/*
 * fuzz_fr.c: libFuzzer harness for the Federal Register parser
 * (importers/fr.c). Seeds: tests/fuzz/corpus/fr/. Dictionary:
 * tests/fuzz/fr.dict.
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
	struct fr_doc	*doc;
	char		*cause = NULL;

	doc = fr_parse_memory((const char *)data, size, &cause);
	fr_free(doc);
	free(cause);
	return 0;
}
