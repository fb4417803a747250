// SPDX-License-Identifier: Apache-2.0
/* Lines from a caller's descriptor: bounded length, bounded work per wake-up, never a blocking read. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/linein.h"
#include "sbx/util.h"

/*
 * The writer is an orchestrator, which may be slow, stuck, hostile or gone:
 * a read never blocks (O_NONBLOCK on sbx's own end), one wake-up reads at
 * most SBX_LINEIN_BURST bytes (a flood cannot starve the proxy on the same
 * loop: epoll is level-triggered and comes back), a line longer than
 * SBX_LINEIN_MAX is reported once and skipped, and nothing is allocated
 * per line.
 */

#define SBX_LINEIN_BURST (64 * 1024)

static void deliver(struct sbx_linein *in, char *line, size_t len)
{
	in->lineno++;
	if (len && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	in->line(in, in->lineno, line, memchr(line, '\0', len) != NULL);
}

static void on_readable(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_linein *in = sbx_container_of(w, struct sbx_linein, w);
	size_t total = 0;

	while (in->w.fd >= 0 && total < SBX_LINEIN_BURST) {
		size_t room = SBX_LINEIN_MAX + 1 - in->len;
		ssize_t n = read(in->w.fd, in->buf + in->len, room);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			int err = n < 0 ? -errno : 0;

			/* A last line without its newline still counts. */
			if (n == 0 && in->len && !in->skipping)
				deliver(in, in->buf, in->len);
			sbx_linein_stop(in);
			if (in->end)
				in->end(in, err);
			return;
		}
		total += (size_t)n;
		in->len += (size_t)n;
		for (size_t i = 0; i < in->len && in->w.fd >= 0; i++) {
			if (in->buf[i] != '\n')
				continue;
			if (in->skipping) {
				in->skipping = false;
			} else {
				deliver(in, in->buf + start, i - start);
			}
			start = i + 1;
		}
		if (in->w.fd < 0)
			return; /* a callback stopped the reader */
		memmove(in->buf, in->buf + start, in->len - start);
		in->len -= start;
		if (in->len > SBX_LINEIN_MAX) {
			/* No newline in SBX_LINEIN_MAX + 1 bytes: too long, whatever follows. */
			in->len = 0;
			if (!in->skipping) {
				in->skipping = true;
				in->lineno++;
				in->buf[0] = '\0';
				in->line(in, in->lineno, in->buf, true);
			}
		}
	}
}

/**
 * sbx_linein_start() - read lines from @fd on the loop.
 * @in: the reader (embedded in its owner)
 * @loop: the event loop
 * @fd: a pipe, socket or file sbx may read; made non-blocking; not owned
 * @line: called for every line
 * @end: called once at end of input or on a read error, or NULL
 *
 * Return: 0 or a negative errno (-EBADF when @fd is not open for reading).
 */
int sbx_linein_start(struct sbx_linein *in, struct sbx_loop *loop, int fd, sbx_linein_line_fn line,
		     sbx_linein_end_fn end)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if ((fl & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	in->loop = loop;
	in->line = line;
	in->end = end;
	in->lineno = 0;
	in->skipping = false;
	in->len = 0;
	in->w = (struct sbx_watch){.cb = on_readable, .fd = fd};
	return sbx_loop_watch(loop, &in->w, EPOLLIN);
}

/**
 * sbx_linein_stop() - read no more (the descriptor is left open).
 * @in: the reader (a second call is harmless)
 */
void sbx_linein_stop(struct sbx_linein *in)
{
	if (in->w.fd < 0)
		return;
	sbx_loop_unwatch(in->loop, &in->w);
	in->w.fd = -1;
}
