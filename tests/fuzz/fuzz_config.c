/*
 * fuzz_config: libFuzzer harness for eard's configuration file parser
 * (daemon/config.c, config_parse_buffer() over the key table) and the
 * dump that must read back. Seeds: corpus/config/; dictionary: config.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eard_config	 c;
	char			*text, *cause = NULL, *dump;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&c);
	if (config_parse_buffer("fuzz.conf", text, &c, &cause) != 0)
		free(cause);
	else {
		dump = config_dump(&c);
		free(dump);
	}
	config_free(&c);
	free(text);
	return 0;
}
