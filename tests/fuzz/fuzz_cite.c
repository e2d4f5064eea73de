/*
 * fuzz_cite: libFuzzer harness for cite_split() (core/cite.c), which
 * splits the cite= of GET /v1/text. Seeds: corpus/cite/ (the citation
 * forms of the rulepacks); dictionary: cite.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ear.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cite_part	 parts[16];
	char			*s;
	size_t			 n, i;

	s = malloc(size + 1);
	if (s == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	n = cite_split(s, parts, 16);
	if (n == 0 || n > 16)
		abort();
	for (i = 0; i < n; i++) {
		if (memchr(parts[i].cite, '\0', sizeof parts[i].cite) == NULL ||
		    memchr(parts[i].eccn, '\0', sizeof parts[i].eccn) == NULL)
			abort();
	}
	free(s);
	return (0);
}
