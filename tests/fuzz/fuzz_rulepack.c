/*
 * fuzz_rulepack.c: libFuzzer harness for the rulepack checker
 * (importers/rulepack.c: libxml2 parse without DTDs or entities, RELAX NG,
 * semantic checks, predicate conversion). Seeds: the curated packs listed in
 * tests/fuzz/rulepack.seeds. Dictionary: tests/fuzz/rulepack.dict.
 * RULEPACK_RNG names the schema (default: rules/rulepack.rng from the
 * repository root, which run.sh's working directory is three levels below).
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
	const char	*rng;
	char		*cause = NULL;

	if ((rng = getenv("RULEPACK_RNG")) == NULL)
		rng = "../../../rules/rulepack.rng";
	if (rulepack_validate_memory("fuzz.xml", (const char *)data, size, rng,
	    &cause) != 0)
		free(cause);
	return 0;
}
