/*
 * fuzz_check: libFuzzer harness for the check request decoder
 * (core/request.c, check_decode()) behind POST /v1/checks/chip and
 * /v1/checks/weights: the body is parsed as the daemon does (jansson,
 * duplicates rejected) and decoded as both kinds. Seeds: corpus/check/
 * (the contract's examples and the public cases); dictionary: check.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ear.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ear_error	 err = { 0 };
	struct check		*c;
	json_error_t		 jerr;
	json_t			*body;

	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (body == NULL || !json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	if ((c = check_decode(ITEM_CHIP, body, date_from_ymd(2025, 1, 1), &err)) != NULL)
		check_free(c);
	error_clear(&err);
	if ((c = check_decode(ITEM_MODEL, body, date_from_ymd(2025, 1, 1), &err)) != NULL)
		check_free(c);
	error_clear(&err);
	json_decref(body);
	return 0;
}
