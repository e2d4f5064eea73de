/* cmd_status.c: work in progress (stub so the table links). */
#include "earctl.h"

/* Not implemented yet. */
int
cmd_status_exec(__attribute__((unused)) struct cmd_ctx *ctx,
    __attribute__((unused)) int argc, __attribute__((unused)) char **argv)
{
	cli_warnx("this command is not built yet");
	return (CLI_EXIT_ERROR);
}

