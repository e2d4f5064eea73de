/*
 * spool.c: the local, fsync'd, append-only file decisions go to when
 * PostgreSQL cannot take them (daemon/audit.c), replayed into the table
 * later.
 *
 * The file is a sequence of records, each framed as
 *	magic "EAS1" | length (u32, little-endian) | CRC-32 of payload (u32 LE)
 *	| payload (length bytes)
 * A batch is appended with one write() and made durable with fsync() before
 * spool_append() returns; a batch that cannot be written whole (disk full,
 * over the size cap) is cut off again, so the file only ever holds whole
 * batches. A crash mid-write leaves a partial trailing record: readers stop
 * at the first record that is short or fails its CRC, and spool_open() cuts
 * the file back to the last good record so later appends stay readable.
 *
 * Replaying is the caller's: read records with spool_next() from offset 0,
 * insert them idempotently (the decision id is the key), then
 * spool_truncate(). A crash between the insert and the truncation replays
 * the same records again, which the insert ignores: exactly once.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eard.h"

#define SPOOL_MAGIC		"EAS1"
#define SPOOL_HDR		12
#define SPOOL_MAX_RECORD	(256U * 1024 * 1024)

struct spool {
	char	*path;
	int	 fd;
	off_t	 size;		/* end of the last good record */
	size_t	 max_bytes;	/* 0: no cap */
	size_t	 records;	/* records in the file */
};

static uint32_t	spool_crc_table[256];
static int	spool_crc_ready;

/* The CRC-32 (IEEE 802.3, reflected) of a buffer. */
uint32_t
spool_crc32(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	uint32_t		 c;
	size_t			 i;
	int			 k;

	if (!spool_crc_ready) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
			spool_crc_table[i] = c;
		}
		spool_crc_ready = 1;
	}
	c = 0xffffffffU;
	for (i = 0; i < len; i++)
		c = spool_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return (c ^ 0xffffffffU);
}

static void
spool_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
spool_get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

/* Frame one record into a new buffer of SPOOL_HDR + len bytes. */
unsigned char *
spool_frame(const void *payload, size_t len, size_t *outlen)
{
	unsigned char	*p;

	p = xmalloc(SPOOL_HDR + len);
	memcpy(p, SPOOL_MAGIC, 4);
	spool_put_u32(p + 4, (uint32_t)len);
	spool_put_u32(p + 8, spool_crc32(payload, len));
	memcpy(p + SPOOL_HDR, payload, len);
	*outlen = SPOOL_HDR + len;
	return (p);
}

/* Read exactly len bytes at off: 1 read, 0 short (end of file), -1 error. */
static int
spool_pread(int fd, void *buf, size_t len, off_t off)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			return (0);
		got += (size_t)n;
	}
	return (1);
}

/*
 * Read the record at *off: 1 and the payload (caller frees, NUL-terminated)
 * with *off moved past it; 0 at the end (or at a partial or corrupt trailing
 * record); -1 on a read error.
 */
static int
spool_read_at(int fd, off_t *off, char **payload, size_t *len, char **cause)
{
	unsigned char	 hdr[SPOOL_HDR];
	uint32_t	 n, crc;
	char		*p;
	int		 r;

	if ((r = spool_pread(fd, hdr, sizeof hdr, *off)) <= 0)
		goto short_read;
	if (memcmp(hdr, SPOOL_MAGIC, 4) != 0)
		return (0);
	n = spool_get_u32(hdr + 4);
	crc = spool_get_u32(hdr + 8);
	if (n > SPOOL_MAX_RECORD)
		return (0);
	p = xmalloc((size_t)n + 1);
	if ((r = spool_pread(fd, p, n, *off + SPOOL_HDR)) <= 0) {
		free(p);
		goto short_read;
	}
	if (spool_crc32(p, n) != crc) {
		free(p);
		return (0);
	}
	p[n] = '\0';
	*payload = p;
	*len = n;
	*off += SPOOL_HDR + (off_t)n;
	return (1);

short_read:
	if (r == -1) {
		if (cause != NULL)
			xasprintf(cause, "could not read spool: %s",
			    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Open (creating) dir/decisions.spool, count its records and cut off a
 * partial trailing record. max_bytes caps the file (0: no cap).
 */
struct spool *
spool_open(const char *dir, size_t max_bytes, char **cause)
{
	struct spool	*sp;
	char		*path, *p;
	off_t		 off = 0;
	size_t		 len, n = 0;
	int		 fd, r, dfd;
	struct stat	 st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "could not create spool directory \"%s\": %s",
		    dir, strerror(errno));
		return (NULL);
	}
	xasprintf(&path, "%s/decisions.spool", dir);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "could not open spool file \"%s\": %s", path,
		    strerror(errno));
		free(path);
		return (NULL);
	}
	/* The file's name must survive a crash too. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	while ((r = spool_read_at(fd, &off, &p, &len, cause)) == 1) {
		free(p);
		n++;
	}
	if (r == -1) {
		close(fd);
		free(path);
		return (NULL);
	}
	if (fstat(fd, &st) == 0 && st.st_size > off) {
		log_warnx("spool \"%s\": ignoring %lld bytes of a partial or "
		    "corrupt record at offset %lld", path,
		    (long long)(st.st_size - off), (long long)off);
		if (ftruncate(fd, off) == -1 || fsync(fd) == -1) {
			xasprintf(cause, "could not truncate spool file \"%s\": "
			    "%s", path, strerror(errno));
			close(fd);
			free(path);
			return (NULL);
		}
	}
	sp = xcalloc(1, sizeof *sp);
	sp->path = path;
	sp->fd = fd;
	sp->size = off;
	sp->max_bytes = max_bytes;
	sp->records = n;
	return (sp);
}

/* Close the spool (its records stay in the file). */
void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	close(sp->fd);
	free(sp->path);
	free(sp);
}

/*
 * Append n records and fsync: 0 once all are durable, -1 (nothing appended)
 * when they cannot be, e.g. the disk is full or the cap would be passed.
 */
int
spool_append(struct spool *sp, const char *const *payloads,
    const size_t *lens, size_t n, char **cause)
{
	unsigned char	*buf, *rec;
	size_t		 total = 0, off = 0, rlen, i;
	ssize_t		 w = -1;

	for (i = 0; i < n; i++)
		total += SPOOL_HDR + lens[i];
	if (sp->max_bytes != 0 &&
	    (size_t)sp->size + total > sp->max_bytes) {
		xasprintf(cause, "spool file \"%s\" would exceed spool_max_bytes "
		    "(%zu)", sp->path, sp->max_bytes);
		return (-1);
	}
	buf = xmalloc(total ? total : 1);
	for (i = 0; i < n; i++) {
		rec = spool_frame(payloads[i], lens[i], &rlen);
		memcpy(buf + off, rec, rlen);
		off += rlen;
		free(rec);
	}
	off = 0;
	while (off < total) {
		w = write(sp->fd, buf + off, total - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(sp->fd) == -1)
		goto fail;
	free(buf);
	sp->size += (off_t)total;
	sp->records += n;
	return (0);

fail:
	xasprintf(cause, "could not write spool file \"%s\": %s", sp->path,
	    w == 0 ? "short write" : strerror(errno));
	free(buf);
	/* Take back whatever part of the batch got in. */
	if (ftruncate(sp->fd, sp->size) == -1)
		log_warn("could not truncate spool file \"%s\"", sp->path);
	return (-1);
}

/*
 * The record at *off (start at 0): 1 with the payload (caller frees), 0 at
 * the end, -1 on a read error.
 */
int
spool_next(struct spool *sp, off_t *off, char **payload, size_t *len,
    char **cause)
{
	if (*off >= sp->size)
		return (0);
	return (spool_read_at(sp->fd, off, payload, len, cause));
}

/* Empty the spool once its records are in the table. */
int
spool_truncate(struct spool *sp, char **cause)
{
	if (ftruncate(sp->fd, 0) == -1 || fsync(sp->fd) == -1) {
		xasprintf(cause, "could not truncate spool file \"%s\": %s",
		    sp->path, strerror(errno));
		return (-1);
	}
	sp->size = 0;
	sp->records = 0;
	return (0);
}

/* Records in the spool, not yet replayed. */
size_t
spool_records(const struct spool *sp)
{
	return (sp == NULL ? 0 : sp->records);
}

/* Bytes in the spool. */
size_t
spool_bytes(const struct spool *sp)
{
	return (sp == NULL ? 0 : (size_t)sp->size);
}

/* The spool file's path. */
const char *
spool_path(const struct spool *sp)
{
	return (sp->path);
}
