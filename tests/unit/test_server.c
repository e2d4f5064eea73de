/*
 * test_server.c: socket activation (server_listen_fds): the sockets
 * systemd hands over are taken only when LISTEN_PID is ours, as
 * sd_listen_fds(3) specifies, and the variables are then removed.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eard.h"

/* Put a socket on fd 3 as systemd would. */
static void
put_socket_on_3(void)
{
	int	 fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (fd != SERVER_LISTEN_FDS_START) {
		assert_int_equal(dup2(fd, SERVER_LISTEN_FDS_START),
		    SERVER_LISTEN_FDS_START);
		close(fd);
	}
}

static void
test_server_listen_fds_table(void **state)
{
	char	 me[32];
	static const struct {
		const char	*pid;	/* "self": our pid */
		const char	*fds;
		int		 want;
		bool		 unset;	/* the variables are removed */
	} rows[] = {
		{ "self", "1", 1, true },	/* ours: take fd 3 */
		{ "1", "1", 0, false },		/* another process's */
		{ "self", "0", 0, false },	/* none passed */
		{ "self", "x", 0, false },	/* malformed */
		{ "self7", "1", 0, false },	/* a longer pid: not ours */
		{ NULL, "1", 0, false },	/* no LISTEN_PID: not activated */
	};
	size_t	 i;

	(void)state;
	put_socket_on_3();
	snprintf(me, sizeof me, "%ld", (long)getpid());
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		unsetenv("LISTEN_PID");
		if (rows[i].pid != NULL) {
			char	 v[48];

			if (strncmp(rows[i].pid, "self", 4) == 0)
				snprintf(v, sizeof v, "%s%s", me, rows[i].pid + 4);
			else
				snprintf(v, sizeof v, "%s", rows[i].pid);
			setenv("LISTEN_PID", v, 1);
		}
		setenv("LISTEN_FDS", rows[i].fds, 1);
		assert_int_equal(server_listen_fds(), rows[i].want);
		assert_int_equal(getenv("LISTEN_FDS") == NULL, rows[i].unset);
		if (rows[i].want > 0)
			assert_true(fcntl(SERVER_LISTEN_FDS_START, F_GETFD) &
			    FD_CLOEXEC);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_listen_fds_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
