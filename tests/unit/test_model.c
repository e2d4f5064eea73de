/*
 * test_model: 4E091 operation counting (core/model.c) at and around each
 * boundary of 15 CFR 774 Supp. 1, 4E091 (90 FR 4544): the 1e26 heading,
 * Note 1 (higher of 2.5e25 or 25%), Technical Note 3 (more than 10%, the
 * largest unpublished generator only, nothing counted twice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

static struct model_facts
facts(double ops)
{
	struct model_facts f;

	memset(&f, 0, sizeof f);
	f.training_ops = ops;
	f.parameters = f.training_tokens = NAN;
	f.published = TV_FALSE;
	f.derived_published = TV_UNKNOWN;
	f.derived_training_ops = f.additional_training_ops = NAN;
	return (f);
}

/* Heading: "10^26 or more operations": exactly 1e26 is caught. */
static void
test_model_threshold_is_inclusive(void **state)
{
	static const struct {
		double	 ops;
		enum tv	 over;
	} rows[] = {
		{ 1e26, TV_TRUE }, { 9.99e25, TV_FALSE }, { 1.0000001e26,
		TV_TRUE }, { 0, TV_FALSE },
	};
	struct model_params p;
	struct model_count c;
	struct model_facts f;
	size_t	 i;

	(void)state;
	model_params_default(&p);
	for (i = 0; i < nitems(rows); i++) {
		f = facts(rows[i].ops);
		assert_int_equal(model_count_ops(&f, &p, &c), 0);
		assert_int_equal(c.over, rows[i].over);
		assert_true(c.total == rows[i].ops);
		model_count_clear(&c);
	}
}

/* Note 1: excluded unless additional > max(2.5e25, 25% of the total). */
static void
test_model_note1_higher_of_floor_and_share(void **state)
{
	static const struct {
		const char	*why;
		double		 base, add;
		enum tv		 excluded;
	} rows[] = {
		/*
		 * 4E091 Note 1: more than the higher of 2.5e25 and 25% of
		 * the Note 2 operations; with Note 2 unset the 1e26
		 * threshold stands in, so the limit is 2.5e25 whatever the
		 * size of the model or of its base.
		 */
		{ "limit 2.5e25, additional equals it", 5e25, 2.5e25,
		  TV_TRUE },
		{ "limit 2.5e25, additional just above", 5e25, 2.6e25,
		  TV_FALSE },
		{ "a large base does not raise the limit", 2e26, 5e25,
		  TV_FALSE },
		{ "nor does a large total", 2e26, 7e25, TV_FALSE },
		{ "W07: 2e25 <= 2.5e25", 9e25, 2e25, TV_TRUE },
	};
	struct model_params p;
	struct model_count c;
	struct model_facts f;
	size_t	 i;

	(void)state;
	model_params_default(&p);
	for (i = 0; i < nitems(rows); i++) {
		f = facts(NAN);
		f.derived = true;
		f.derived_published = TV_TRUE;
		f.derived_training_ops = rows[i].base;
		f.additional_training_ops = rows[i].add;
		assert_int_equal(model_count_ops(&f, &p, &c), 0);
		assert_true(c.total == rows[i].base + rows[i].add);
		if (c.note1_excluded != rows[i].excluded)
			fail_msg("%s: got %s", rows[i].why,
			    tv_name(c.note1_excluded));
		model_count_clear(&c);
	}
	/* A Note 2 floor of 2e26 makes 25% of it (5e25) the limit. */
	p.note2_floor = 2e26;
	f = facts(NAN);
	f.derived = true;
	f.derived_published = TV_TRUE;
	f.derived_training_ops = 2e26;
	f.additional_training_ops = 5e25;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.note1_excluded, TV_TRUE);
	model_count_clear(&c);
	f.additional_training_ops = 5.1e25;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.note1_excluded, TV_FALSE);
	model_count_clear(&c);
	model_params_default(&p);
	/* Derived from an unpublished model: Note 1 does not apply. */
	f = facts(1.2e26);
	f.derived = true;
	f.derived_published = TV_FALSE;
	f.additional_training_ops = 1e24;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.note1_excluded, TV_FALSE);
	model_count_clear(&c);
}

/* Technical Note 3: more than 10%, largest unpublished generator only. */
static void
test_model_tn3_synthetic_data(void **state)
{
	struct model_synth s[2];
	struct model_params p;
	struct model_count c;
	struct model_facts f;
	json_t	*j;

	(void)state;
	model_params_default(&p);
	memset(s, 0, sizeof s);
	s[0] = (struct model_synth){ "T", TV_FALSE, 8e25, 1e24, 0.4 };
	f = facts(6e25);
	f.synth = s;
	f.nsynth = 1;
	/* W09: 6e25 + 1e24 + 8e25 = 1.41e26. */
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(fabs(c.total - 1.41e26) < 1e12);
	assert_int_equal(c.over, TV_TRUE);
	j = model_count_json(&c);
	assert_string_equal(json_string_value(json_object_get(j,
	    "comparison")), "1.41e26 >= 1e26 by 41%");
	json_decref(j);
	model_count_clear(&c);

	/* Exactly 10% is not "more than 10%": nothing added. */
	s[0].share_of_training_ops = 0.10;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(c.total == 6e25);
	assert_int_equal(c.synth_index, -1);
	model_count_clear(&c);
	s[0].share_of_training_ops = 0.11;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.synth_index, 0);
	model_count_clear(&c);

	/* Two over 10%: only the one with the most training operations. */
	s[0] = (struct model_synth){ "small", TV_FALSE, 5e25, 2e24, 0.2 };
	s[1] = (struct model_synth){ "large", TV_FALSE, 8e25, 1e24, 0.3 };
	f.nsynth = 2;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.synth_index, 1);
	assert_true(c.total == 6e25 + 1e24 + 8e25);
	model_count_clear(&c);

	/* A published generator: its generation counts, its training not. */
	s[1].generator_published = TV_TRUE;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(c.total == 6e25 + 1e24);
	model_count_clear(&c);

	/* The generator is the model's own base: not counted twice. */
	s[1].generator_published = TV_FALSE;
	f.derived = true;
	f.derived_name = "large";
	f.derived_published = TV_FALSE;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(c.total == 6e25 + 1e24);
	model_count_clear(&c);

	/* One generator in two entries of 6%: 12% > 10% ("a single model"). */
	f.derived = false;
	s[0] = (struct model_synth){ "T", TV_FALSE, 8e25, 1e24, 0.06 };
	s[1] = (struct model_synth){ "t", TV_FALSE, 8e25, 2e24, 0.06 };
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.synth_index, 0);
	assert_true(c.total == 6e25 + 3e24 + 8e25);
	model_count_clear(&c);
	s[1].generator = "U";
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_int_equal(c.synth_index, -1);
	assert_true(c.total == 6e25);
	model_count_clear(&c);

	/* Missing share: the total is unknown and the field is named. */
	f.derived = false;
	s[0].share_of_training_ops = NAN;
	assert_int_equal(model_count_ops(&f, &p, &c), -1);
	assert_int_equal(c.over, TV_UNKNOWN);
	assert_string_equal(c.missing[0],
	    "model.synthetic_data[0].share_of_training_ops");
	model_count_clear(&c);
}

/* Technical Note 2: 6 x N x D when no figure is stated, labelled. */
static void
test_model_estimate_and_missing(void **state)
{
	struct model_params p;
	struct model_count c;
	struct model_facts f;

	(void)state;
	model_params_default(&p);
	/* Llama 3.1 405B: 405e9 x 15.6e12 x 6 = 3.79e25 (DOMAIN §8). */
	f = facts(NAN);
	f.parameters = 405e9;
	f.training_tokens = 15.6e12;
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(c.estimated);
	assert_true(fabs(c.total - 3.7908e25) < 1e21);
	assert_int_equal(c.over, TV_FALSE);
	model_count_clear(&c);

	f.parameters = NAN;
	assert_int_equal(model_count_ops(&f, &p, &c), -1);
	assert_int_equal(c.nmissing, 1);
	assert_string_equal(c.missing[0], "model.training_ops");
	model_count_clear(&c);

	/* A Note 2 floor, when set, raises the threshold. */
	p.note2_floor = 2e26;
	f = facts(1.5e26);
	assert_int_equal(model_count_ops(&f, &p, &c), 0);
	assert_true(c.threshold == 2e26);
	assert_int_equal(c.over, TV_FALSE);
	model_count_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_threshold_is_inclusive),
		cmocka_unit_test(test_model_note1_higher_of_floor_and_share),
		cmocka_unit_test(test_model_tn3_synthetic_data),
		cmocka_unit_test(test_model_estimate_and_missing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
