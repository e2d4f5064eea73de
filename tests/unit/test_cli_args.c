/*
 * test_cli_args.c: earctl's command line. Flags of `check chip` and
 * `check weights` become exactly the JSON body of ARCHITECTURE.md's check
 * contract; bad flags exit 2 with a message naming the flag; the command
 * table matches the man page; verdicts map to the documented exit codes.
 *
 * The command table lives in cli/earctl.c, which is not in libearctl.a:
 * it is included here without its main().
 */
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

#define EARCTL_NO_MAIN
#include "../../cli/earctl.c"

/* Run fn with stderr captured into buf. */
static int
capture_stderr(int (*fn)(void *), void *arg, char *buf, size_t len)
{
	FILE	*tmp;
	int	 saved, rc;
	size_t	 n;

	fflush(stderr);
	tmp = tmpfile();
	assert_non_null(tmp);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	rc = fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return (rc);
}

/* Split a command line on spaces into a fresh argv (argv[0] = "chip"). */
static int
split_args(const char *line, char **argv, int max, char *store)
{
	int	 argc = 0;
	char	*p;

	strcpy(store, line);
	for (p = strtok(store, " "); p != NULL && argc < max - 1;
	    p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	return (argc);
}

struct body_case {
	const char	*name;
	bool		 weights;
	const char	*args;		/* after "earctl check chip|weights" */
	const char	*want;		/* the exact request body */
};

static const struct body_case body_cases[] = {
	/*
	 * NVIDIA H100 SXM figures as in ARCHITECTURE.md's contract example:
	 * dense FP8 1979 TOPS, BF16 989.5 TOPS, die 814 mm2.
	 */
	{ "H100 to CN with every chip flag", false,
	  "chip --tops fp8=1979 --tops bf16=989.5 --die-area 814 --io-bw 900 "
	  "--mem-bw 3350 --datacenter --to cn --as-of 2024-06-01 "
	  "--quantity 256 --recipient Acme --recipient-hq CN "
	  "--exporter NVIDIA --exporter-country us --export-type reexport "
	  "--name H100",
	  "{\"as_of\":\"2024-06-01\",\"destination\":\"CN\","
	  "\"chip\":{\"name\":\"H100\",\"performance\":["
	  "{\"format\":\"fp8\",\"bits\":8,\"dense_tops\":1979},"
	  "{\"format\":\"bf16\",\"bits\":16,\"dense_tops\":989.5}],"
	  "\"die_area_mm2\":814,\"io_bandwidth_gbs\":900,"
	  "\"memory_bandwidth_gbs\":3350,\"datacenter\":true},"
	  "\"quantity\":256,"
	  "\"recipient\":{\"name\":\"Acme\",\"headquarters\":\"CN\"},"
	  "\"exporter\":{\"name\":\"NVIDIA\",\"country\":\"US\"},"
	  "\"export_type\":\"reexport\"}" },
	{ "explicit bit length and no-datacenter", false,
	  "chip --tops tf32:19=494.7 --no-datacenter --to AE",
	  "{\"destination\":\"AE\",\"chip\":{\"performance\":["
	  "{\"format\":\"tf32\",\"bits\":19,\"dense_tops\":494.7}],"
	  "\"datacenter\":false}}" },
	{ "registered chip by id", false,
	  "chip --chip nvidia-h20 --to=CN --as-of=2025-04-20 --exporter NVIDIA",
	  "{\"as_of\":\"2025-04-20\",\"destination\":\"CN\","
	  "\"chip\":{\"id\":\"nvidia-h20\"},\"exporter\":{\"name\":\"NVIDIA\"}}" },
	{ "HBM stack kind", false,
	  "chip --kind hbm --mem-bw 1229 --to CN",
	  "{\"destination\":\"CN\",\"chip\":{\"kind\":\"hbm\","
	  "\"memory_bandwidth_gbs\":1229}}" },
	/* 4E091: 90 FR 4544, threshold 1e26 operations. */
	{ "unpublished model to AE", true,
	  "weights --training-ops 3e26 --parameters 1e12 --unpublished "
	  "--to AE --as-of 2025-06-01",
	  "{\"as_of\":\"2025-06-01\",\"destination\":\"AE\","
	  "\"model\":{\"training_ops\":3e26,\"parameters\":1000000000000,"
	  "\"published\":false}}" },
	{ "derived model, publish release, text posture", true,
	  "weights --name ft --derived-from base --base-ops 9e25 "
	  "--base-published --additional-ops 2e25 --to US --release publish "
	  "--posture text",
	  "{\"destination\":\"US\",\"release\":\"publish\",\"posture\":\"text\","
	  "\"model\":{\"name\":\"ft\",\"additional_training_ops\":2e25,"
	  "\"derived_from\":{\"name\":\"base\",\"training_ops\":9e25,"
	  "\"published\":true}}}" },
	{ "registered model by id", true,
	  "weights --model llama-3.1-405b --to CN",
	  "{\"destination\":\"CN\",\"model\":{\"id\":\"llama-3.1-405b\"}}" },
};

static void
test_cli_check_flags_make_exact_body(void **state)
{
	struct cmd_ctx	 ctx;
	char		*argv[64], store[1024], *got_s, *want_s;
	json_t		*got, *want;
	json_error_t	 jerr;
	size_t		 i;
	int		 argc, rc;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	for (i = 0; i < nitems(body_cases); i++) {
		const struct body_case *c = &body_cases[i];

		argc = split_args(c->args, argv, 64, store);
		got = NULL;
		rc = c->weights ? cmd_check_weights_body(&ctx, argc, argv,
		    &got) : cmd_check_chip_body(&ctx, argc, argv, &got);
		if (rc != 0)
			fail_msg("%s: exit %d", c->name, rc);
		want = json_loads(c->want, 0, &jerr);
		if (want == NULL)
			fail_msg("%s: bad expected JSON: %s", c->name, jerr.text);
		if (!json_equal(got, want)) {
			got_s = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
			want_s = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
			fail_msg("%s:\n got  %s\n want %s", c->name, got_s,
			    want_s);
		}
		json_decref(got);
		json_decref(want);
	}
}

/* The body's numbers keep their type: 1979 an integer, 989.5 a real. */
static void
test_cli_check_numbers_keep_their_form(void **state)
{
	struct cmd_ctx	 ctx;
	char		*argv[16], store[256];
	json_t		*got, *perf;
	int		 argc;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	argc = split_args("chip --tops fp8=1979 --tops bf16=989.5 --to CN",
	    argv, 16, store);
	assert_int_equal(cmd_check_chip_body(&ctx, argc, argv, &got), 0);
	perf = json_object_get(json_object_get(got, "chip"), "performance");
	assert_true(json_is_integer(json_object_get(json_array_get(perf, 0),
	    "dense_tops")));
	assert_true(json_is_real(json_object_get(json_array_get(perf, 1),
	    "dense_tops")));
	json_decref(got);
}

/* --file gives the request; flags amend it. */
static void
test_cli_check_file_then_flags(void **state)
{
	struct cmd_ctx	 ctx;
	char		 path[] = "/tmp/earctl-test-XXXXXX", line[256];
	char		*argv[16], store[256];
	json_t		*got, *want;
	FILE		*f;
	int		 fd, argc;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	fputs("{\"destination\":\"AE\",\"as_of\":\"2024-01-01\","
	    "\"chip\":{\"name\":\"x\",\"die_area_mm2\":100}}", f);
	fclose(f);
	snprintf(line, sizeof line, "chip --file %s --to CN --die-area 200",
	    path);
	argc = split_args(line, argv, 16, store);
	assert_int_equal(cmd_check_chip_body(&ctx, argc, argv, &got), 0);
	want = json_loads("{\"destination\":\"CN\",\"as_of\":\"2024-01-01\","
	    "\"chip\":{\"name\":\"x\",\"die_area_mm2\":200}}", 0, NULL);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	unlink(path);
}

struct bad_case {
	const char	*name;
	const char	*line;		/* full earctl argv after argv[0] */
	int		 exit;
	const char	*message;	/* substring of stderr */
};

static const struct bad_case bad_cases[] = {
	{ "unknown flag", "check chip --tops fp8=1 --to CN --bogus", 2,
	  "unknown option \"--bogus\"" },
	{ "flag without its value", "check chip --tops fp8=1 --to", 2,
	  "option \"--to\" needs a value" },
	{ "no destination", "check chip --tops fp8=1979", 2,
	  "no destination given: use --to CC" },
	{ "no chip at all", "check chip --to CN", 2, "no chip given" },
	{ "bad country code", "check chip --tops fp8=1 --to China", 2,
	  "invalid value for --to: \"China\"" },
	{ "bad date", "check chip --tops fp8=1 --to CN --as-of 2024-13-01", 2,
	  "invalid value for --as-of" },
	{ "negative number", "check chip --tops fp8=1 --die-area -3 --to CN",
	  2, "invalid value for --die-area" },
	{ "format without bit length", "check chip --tops tf32=494 --to CN", 2,
	  "unknown number format \"tf32\"" },
	{ "tops without value", "check chip --tops fp8 --to CN", 2,
	  "invalid value for --tops" },
	{ "zero quantity", "check chip --tops fp8=1 --to CN --quantity 0", 2,
	  "invalid value for --quantity" },
	{ "bad export type",
	  "check chip --tops fp8=1 --to CN --export-type smuggle", 2,
	  "use one of export, reexport, in_country_transfer" },
	{ "id and facts together",
	  "check chip --chip h100 --tops fp8=1 --to CN", 2,
	  "--chip cannot be combined" },
	{ "stray operand", "check chip --tops fp8=1 --to CN extra", 2,
	  "unexpected argument \"extra\"" },
	{ "bad release", "check weights --training-ops 1e26 --to CN "
	  "--release leak", 2, "invalid value for --release" },
	{ "unknown command", "frobnicate", 2, "unknown command \"frobnicate\"" },
	{ "unknown global option", "--frob status", 2,
	  "unknown global option \"--frob\"" },
	{ "eccn without code", "eccn", 2, "missing operand" },
	{ "bad timeout", "--timeout 0 status", 2, "invalid value for --timeout" },
};

struct run_arg {
	const char	*line;
};

static int
run_line(void *arg)
{
	struct run_arg	*ra = arg;
	char		*argv[64], store[1024], line[1100];

	snprintf(line, sizeof line, "earctl %s", ra->line);
	return (cmd_run(split_args(line, argv, 64, store), argv));
}

static void
test_cli_bad_flags_exit_2_with_message(void **state)
{
	struct run_arg	ra;
	char		err[4096];
	size_t		i;
	int		rc;

	(void)state;
	for (i = 0; i < nitems(bad_cases); i++) {
		ra.line = bad_cases[i].line;
		rc = capture_stderr(run_line, &ra, err, sizeof err);
		if (rc != bad_cases[i].exit)
			fail_msg("%s: exit %d, want %d; stderr: %s",
			    bad_cases[i].name, rc, bad_cases[i].exit, err);
		if (strstr(err, bad_cases[i].message) == NULL)
			fail_msg("%s: stderr \"%s\" lacks \"%s\"",
			    bad_cases[i].name, err, bad_cases[i].message);
	}
}

/* The exit codes of ARCHITECTURE.md's verdict table. */
static void
test_cli_verdict_exit_codes(void **state)
{
	static const struct {
		const char	*verdict;
		int		 exit;
	} t[] = {
		{ "not_subject", 0 }, { "no_license_required", 0 },
		{ "license_exception", 10 }, { "license_required", 20 },
		{ "needs_review", 30 }, { "bogus", 4 }, { NULL, 4 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < nitems(t); i++)
		assert_int_equal(cli_exit_for_verdict(t[i].verdict), t[i].exit);
}

/* Multi-word names match word by word, the longest first. */
static void
test_cli_command_lookup(void **state)
{
	char	*a1[] = { (char *)"check", (char *)"chip", (char *)"--to", NULL };
	char	*a2[] = { (char *)"db", (char *)"status", NULL };
	char	*a3[] = { (char *)"check", NULL };
	char	*a4[] = { (char *)"checkchip", NULL };
	const struct cmd_entry *e;
	int	 n;

	(void)state;
	e = cmd_find(3, a1, &n);
	assert_non_null(e);
	assert_string_equal(e->name, "check chip");
	assert_int_equal(n, 2);
	e = cmd_find(2, a2, &n);
	assert_string_equal(e->name, "db status");
	assert_null(cmd_find(1, a3, &n));
	assert_null(cmd_find(1, a4, &n));
}

/* Read the man page (run from the top of the tree, as make does). */
static char *
read_man_page(void)
{
	static const char *const paths[] = { "docs/earctl.1",
	    "../docs/earctl.1", "../../docs/earctl.1" };
	FILE	*f = NULL;
	char	*buf;
	long	 n;
	size_t	 i;

	for (i = 0; i < nitems(paths) && f == NULL; i++)
		f = fopen(paths[i], "r");
	if (f == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc(n + 1);
	buf[fread(buf, 1, n, f)] = '\0';
	fclose(f);
	return (buf);
}

/* Every command of the table is documented in docs/earctl.1 (.It Cm NAME). */
static void
test_cli_every_command_in_man_page(void **state)
{
	char	*man, *want;
	size_t	 i;

	(void)state;
	man = read_man_page();
	assert_non_null(man);
	for (i = 0; i < cmd_table_size; i++) {
		xasprintf(&want, "\n.It Cm %s", cmd_table[i].name);
		if (strstr(man, want) == NULL)
			fail_msg("docs/earctl.1 lacks \"%s\": document the "
			    "command \"%s\"", want + 1, cmd_table[i].name);
		free(want);
		assert_non_null(cmd_table[i].usage);
		assert_non_null(cmd_table[i].help);
		assert_non_null(cmd_table[i].exec);
	}
	/* And every exit code. */
	for (i = 0; i < 8; i++) {
		static const char *const codes[] = { "0", "1", "2", "3", "4",
		    "10", "20", "30" };

		xasprintf(&want, "\n.It %s\n", codes[i]);
		if (strstr(man, want) == NULL)
			fail_msg("docs/earctl.1 lacks exit code %s", codes[i]);
		free(want);
	}
	free(man);
}

struct help_arg {
	const char	*name;
};

static int
run_help(void *arg)
{
	struct help_arg	*ha = arg;
	char		 line[256], *argv[16], store[256];
	int		 rc, fd, null;

	snprintf(line, sizeof line, "earctl %s --help", ha->name);
	fflush(stdout);
	fd = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDOUT_FILENO);
	rc = cmd_run(split_args(line, argv, 16, store), argv);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	close(null);
	return (rc);
}

/* `earctl CMD --help` answers 0 for every command, without running it. */
static void
test_cli_help_for_every_command(void **state)
{
	struct help_arg	ha;
	char		err[1024];
	size_t		i;
	int		rc;

	(void)state;
	for (i = 0; i < cmd_table_size; i++) {
		ha.name = cmd_table[i].name;
		rc = capture_stderr(run_help, &ha, err, sizeof err);
		if (rc != 0 || err[0] != '\0')
			fail_msg("earctl %s --help: exit %d, stderr \"%s\"",
			    cmd_table[i].name, rc, err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_check_flags_make_exact_body),
		cmocka_unit_test(test_cli_check_numbers_keep_their_form),
		cmocka_unit_test(test_cli_check_file_then_flags),
		cmocka_unit_test(test_cli_bad_flags_exit_2_with_message),
		cmocka_unit_test(test_cli_verdict_exit_codes),
		cmocka_unit_test(test_cli_command_lookup),
		cmocka_unit_test(test_cli_every_command_in_man_page),
		cmocka_unit_test(test_cli_help_for_every_command),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
