/* test_spool: the decision spool's framing, CRC and recovery (daemon/spool.c). */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "eard.h"

static char	 tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_spool.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return (0);
}

static int
teardown(void **state)
{
	char	 path[128];

	(void)state;
	snprintf(path, sizeof path, "%s/decisions.spool", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return (0);
}

static struct spool *
open_spool(size_t cap)
{
	struct spool	*sp;
	char		*cause = NULL;

	sp = spool_open(tmpdir, cap, &cause);
	if (sp == NULL)
		fail_msg("spool_open: %s", cause);
	return (sp);
}

static void
append(struct spool *sp, const char *const *recs, size_t n)
{
	size_t	 lens[16], i;
	char	*cause = NULL;

	for (i = 0; i < n; i++)
		lens[i] = strlen(recs[i]);
	if (spool_append(sp, recs, lens, n, &cause) != 0)
		fail_msg("spool_append: %s", cause);
}

/* Read every record; returns how many, checking them against want. */
static size_t
read_all(struct spool *sp, const char *const *want, size_t nwant)
{
	off_t	 off = 0;
	char	*p, *cause = NULL;
	size_t	 len, n = 0;
	int	 r;

	while ((r = spool_next(sp, &off, &p, &len, &cause)) == 1) {
		if (n < nwant)
			assert_string_equal(p, want[n]);
		assert_int_equal(len, strlen(p));
		free(p);
		n++;
	}
	assert_int_equal(r, 0);
	return (n);
}

/* The CRC is the IEEE 802.3 one: CRC-32("123456789") = 0xcbf43926. */
static void
test_spool_crc32_check_value(void **state)
{
	(void)state;
	assert_int_equal(spool_crc32("123456789", 9), 0xcbf43926U);
	assert_int_equal(spool_crc32("", 0), 0);
}

/* A frame is "EAS1", length and CRC little-endian, then the payload. */
static void
test_spool_frame_layout(void **state)
{
	unsigned char	*f;
	size_t		 len;
	uint32_t	 crc = spool_crc32("abc", 3);

	(void)state;
	f = spool_frame("abc", 3, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(f, "EAS1", 4);
	assert_int_equal(f[4], 3);
	assert_int_equal(f[5] | f[6] | f[7], 0);
	assert_int_equal(f[8] | f[9] << 8 | f[10] << 16 | (uint32_t)f[11] << 24,
	    crc);
	assert_memory_equal(f + 12, "abc", 3);
	free(f);
}

/* Records come back in order, across a reopen, and are counted. */
static void
test_spool_appends_and_reads_back(void **state)
{
	static const char *const recs[] = { "{\"id\":\"a\"}", "{\"id\":\"b\"}",
	    "{\"id\":\"c\"}" };
	struct spool	*sp;

	(void)state;
	sp = open_spool(0);
	append(sp, recs, 2);
	append(sp, recs + 2, 1);
	assert_int_equal(spool_records(sp), 3);
	assert_int_equal(read_all(sp, recs, 3), 3);
	spool_close(sp);
	sp = open_spool(0);
	assert_int_equal(spool_records(sp), 3);
	assert_int_equal(read_all(sp, recs, 3), 3);
	spool_close(sp);
}

/*
 * A crash mid-write leaves half a record: it is ignored on read, cut off
 * at open, and records appended later are readable.
 */
static void
test_spool_partial_trailing_record_ignored(void **state)
{
	static const char *const recs[] = { "{\"id\":\"a\"}", "{\"id\":\"b\"}",
	    "{\"id\":\"c\"}" };
	struct spool	*sp;
	unsigned char	*f;
	char		 path[128];
	size_t		 len;
	int		 fd;
	struct stat	 st;

	(void)state;
	sp = open_spool(0);
	append(sp, recs, 2);
	spool_close(sp);
	snprintf(path, sizeof path, "%s/decisions.spool", tmpdir);
	f = spool_frame("{\"id\":\"torn\"}", 13, &len);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, len - 5), (ssize_t)(len - 5));
	close(fd);
	free(f);

	sp = open_spool(0);
	assert_int_equal(spool_records(sp), 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, spool_bytes(sp));
	append(sp, recs + 2, 1);
	assert_int_equal(read_all(sp, recs, 3), 3);
	spool_close(sp);
}

/* A record whose CRC does not match ends the readable spool. */
static void
test_spool_bad_crc_stops_reading(void **state)
{
	static const char *const recs[] = { "{\"id\":\"a\"}", "{\"id\":\"b\"}" };
	struct spool	*sp;
	char		 path[128], c;
	int		 fd;

	(void)state;
	sp = open_spool(0);
	append(sp, recs, 2);
	spool_close(sp);
	snprintf(path, sizeof path, "%s/decisions.spool", tmpdir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* Flip a payload byte of the second record. */
	assert_int_equal(pread(fd, &c, 1, 12 + 10 + 12 + 3), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, 12 + 10 + 12 + 3), 1);
	close(fd);
	sp = open_spool(0);
	assert_int_equal(spool_records(sp), 1);
	assert_int_equal(read_all(sp, recs, 1), 1);
	spool_close(sp);
}

/* Over spool_max_bytes nothing is written: the caller answers 503. */
static void
test_spool_cap_refuses_whole_batch(void **state)
{
	static const char *const recs[] = { "0123456789", "0123456789" };
	struct spool	*sp;
	size_t		 lens[2] = { 10, 10 };
	char		*cause = NULL;

	(void)state;
	sp = open_spool(30);		/* one record is 22 bytes framed */
	assert_int_equal(spool_append(sp, recs, lens, 2, &cause), -1);
	assert_non_null(strstr(cause, "spool_max_bytes"));
	free(cause);
	assert_int_equal(spool_records(sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
	append(sp, recs, 1);
	assert_int_equal(spool_records(sp), 1);
	spool_close(sp);
}

/*
 * Replay is exactly once: the table's insert ignores a decision id it has
 * (ON CONFLICT DO NOTHING), so a crash between the insert and the
 * truncation replays harmlessly; after the truncation nothing is left.
 */
static size_t	 table_n;
static char	*table[16];

static void
table_insert(const char *rec)
{
	size_t	 i;

	for (i = 0; i < table_n; i++)
		if (strcmp(table[i], rec) == 0)
			return;
	table[table_n++] = strdup(rec);
}

static void
replay(struct spool *sp)
{
	off_t	 off = 0;
	char	*p, *cause = NULL;
	size_t	 len;

	while (spool_next(sp, &off, &p, &len, &cause) == 1) {
		table_insert(p);
		free(p);
	}
}

static void
test_spool_replay_exactly_once(void **state)
{
	static const char *const recs[] = { "{\"id\":\"a\"}", "{\"id\":\"b\"}",
	    "{\"id\":\"c\"}" };
	struct spool	*sp;
	char		*cause = NULL;
	size_t		 i;

	(void)state;
	sp = open_spool(0);
	append(sp, recs, 3);
	replay(sp);
	spool_close(sp);		/* "crash" before the truncation */
	sp = open_spool(0);
	replay(sp);
	assert_int_equal(table_n, 3);
	assert_int_equal(spool_truncate(sp, &cause), 0);
	assert_int_equal(spool_records(sp), 0);
	spool_close(sp);
	sp = open_spool(0);
	assert_int_equal(spool_records(sp), 0);
	replay(sp);
	assert_int_equal(table_n, 3);
	spool_close(sp);
	for (i = 0; i < table_n; i++)
		free(table[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_crc32_check_value),
		cmocka_unit_test(test_spool_frame_layout),
		cmocka_unit_test_setup_teardown(test_spool_appends_and_reads_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_spool_partial_trailing_record_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_bad_crc_stops_reading,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_spool_cap_refuses_whole_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_replay_exactly_once,
		    setup, teardown),
	};

	log_init("test_spool", LOG_LVL_ERROR, false);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
