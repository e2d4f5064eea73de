/*
 * replay.c: a main() for the libFuzzer harnesses without libFuzzer, so
 * that any compiler builds them and `make check` feeds every corpus file
 * through each harness once (tests/integration/t_fuzz_replay.sh). Each
 * argument is a file or a directory of files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Feed one file to the harness; 0 on success, -1 if unreadable. */
static int
replay_file(const char *path)
{
	FILE		*f;
	unsigned char	*buf = NULL;
	size_t		 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: could not open \"%s\"\n", path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap != 0 ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				exit(2);
			}
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Feed a file, or every regular file of a directory. */
static int
replay_path(const char *path, size_t *count)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 sub[4096];
	int		 rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: no such file \"%s\"\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (replay_file(sub) != 0)
				rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t	 count = 0;
	int	 i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (replay_path(argv[i], &count) != 0)
			rc = 1;
	}
	printf("replayed %zu inputs\n", count);
	return rc;
}
