// SPDX-License-Identifier: Apache-2.0
/* JSON lines: string escaping and whole-line writes, for the status stream and the decision log. */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "sbx/util.h"

/**
 * sbx_json_escape() - escape @src as the inside of a JSON string.
 * @dst: output buffer, always NUL-terminated when @dst_len > 0
 * @dst_len: size of @dst
 * @src: NUL-terminated input (bytes >= 0x80 are copied as they are)
 *
 * Return: the length written (truncated at a character boundary if @dst is short).
 */
size_t sbx_json_escape(char *dst, size_t dst_len, const char *src)
{
	size_t o = 0;

	if (dst_len == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p == '\n') {
			memcpy(esc, "\\n", 2);
			n = 2;
		} else if (*p == '\t') {
			memcpy(esc, "\\t", 2);
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n >= dst_len)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

/*
 * Theory of operation
 *
 * --json-status-fd and --log-fd belong to whoever started sbx, and that
 * reader may be slow, stuck or gone; --log-file may sit on a full file
 * system. Nothing that writes a line may wait for any of them: the event
 * loop would stop (no --timeout, no forwarded signal, no proxy), and so
 * would the open posture's workers. So:
 *
 * 1. sbx writes through its own descriptor for the same file. A pipe, FIFO
 *    or terminal is reopened through /proc/self/fd/N with O_NONBLOCK (a new
 *    open file description: the caller's descriptor keeps its flags); a
 *    socket is dup()ed and written with MSG_DONTWAIT. Only when neither
 *    works is O_NONBLOCK set on a dup of the caller's descriptor.
 * 2. A line is written whole or kept whole: what the descriptor does not
 *    take goes to a buffer of SBX_JSONL_BUFFER bytes, flushed when the loop
 *    reports the descriptor writable (edge-triggered EPOLLOUT) and before
 *    every new line. Lines are shorter than PIPE_BUF, so a pipe takes each
 *    at once or not at all: readers never see half a line.
 * 3. A line that does not fit in the buffer is dropped and counted. When
 *    the reader catches up, a line {"event":"dropped","lines":N} says how
 *    many were lost, in the stream where they were lost.
 * 4. A regular file (--log-file) never blocks but can run out of space: a
 *    short write is cut back (ftruncate) to the end of the previous line and
 *    the line counts as dropped, so the file holds whole lines only.
 * 5. At exit sbx waits at most SBX_JSONL_DRAIN_MS for the reader to take
 *    the rest (the "exited" line), then gives up.
 *
 * Thread-safe: the open posture logs from its worker threads.
 */

enum jsonl_kind { K_FILE, K_PIPE, K_SOCK };

struct sbx_jsonl {
	struct sbx_loop *loop;
	struct sbx_watch w; /* our descriptor; watched for EPOLLOUT when pollable */
	enum jsonl_kind kind;
	pthread_mutex_t mu;
	char *buf;
	size_t len;
	char id[72];	  /* the sandbox's id, JSON-safe */
	uint64_t dropped; /* lost since the last "dropped" line */
	uint64_t dropped_total;
};

/* Write @len bytes at once if the descriptor takes them now; 1 written, 0 not now, -1 lost. */
static int put_now(struct sbx_jsonl *j, const char *line, size_t len)
{
	ssize_t n;

	if (j->kind == K_FILE) {
		off_t end = lseek(j->w.fd, 0, SEEK_END);

		do
			n = write(j->w.fd, line, len);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)len)
			return 1;
		if (n > 0 && end >= 0 && ftruncate(j->w.fd, end) == 0)
			return -1; /* cut back to the last whole line */
		return -1;
	}
	do
		n = j->kind == K_SOCK ? send(j->w.fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				      : write(j->w.fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return -1; /* EPIPE and the like: the reader is gone */
	/* A stream socket took part of it: keep the rest first in line. */
	memmove(j->buf + (len - (size_t)n), j->buf, j->len);
	memcpy(j->buf, line + n, len - (size_t)n);
	j->len += len - (size_t)n;
	return 1;
}

/* Write what is buffered, line by line. Called with the lock held. */
static void flush_locked(struct sbx_jsonl *j)
{
	size_t off = 0;

	while (off < j->len) {
		char *nl = memchr(j->buf + off, '\n', j->len - off);
		size_t l = nl ? (size_t)(nl - (j->buf + off)) + 1 : j->len - off;
		ssize_t n;

		do
			n = j->kind == K_SOCK ? send(j->w.fd, j->buf + off, l, MSG_DONTWAIT | MSG_NOSIGNAL)
					      : write(j->w.fd, j->buf + off, l);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			/* Gone for good: what is left is lost. */
			for (size_t k = off; k < j->len; k++)
				j->dropped += j->buf[k] == '\n';
			off = j->len;
			break;
		}
		off += (size_t)n;
	}
	memmove(j->buf, j->buf + off, j->len - off);
	j->len -= off;
	if (j->len == 0 && j->dropped) {
		char note[SBX_JSONL_HEADER_MAX + 64];
		int k = sbx_jsonl_begin(j, note, sizeof(note));

		k += snprintf(note + k, sizeof(note) - (size_t)k, "\"event\":\"dropped\",\"lines\":%llu}\n",
			      (unsigned long long)j->dropped);
		int r = put_now(j, note, (size_t)k);

		if (r == 0 && j->loop) {
			memcpy(j->buf, note, (size_t)k);
			j->len = (size_t)k;
			r = 1;
		}
		if (r > 0)
			j->dropped = 0;
	}
}

static void on_writable(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_jsonl *j = sbx_container_of(w, struct sbx_jsonl, w);

	pthread_mutex_lock(&j->mu);
	flush_locked(j);
	pthread_mutex_unlock(&j->mu);
}

/* Our own non-blocking descriptor for the file behind @fd (see the theory of operation, 1). */
static int own_fd(int fd, enum jsonl_kind *kind)
{
	struct stat st;
	char path[64];
	int mine, fl;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*kind = K_FILE;
		mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		return mine < 0 ? -errno : mine;
	}
	if (S_ISSOCK(st.st_mode)) {
		*kind = K_SOCK;
		mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		return mine < 0 ? -errno : mine;
	}
	*kind = K_PIPE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mine = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (mine >= 0)
		return mine;
	mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (mine < 0)
		return -errno;
	fl = fcntl(mine, F_GETFL);
	if (fl < 0 || fcntl(mine, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(mine);
		return -errno;
	}
	return mine;
}

/**
 * sbx_jsonl_new() - a writer of JSON lines to @fd that never blocks.
 * @loop: the event loop that flushes a slow reader's backlog, or NULL (no backlog kept)
 * @fd: the caller's descriptor (borrowed: the writer works on its own copy)
 * @id: the sandbox's id, on every line (see sbx_jsonl_begin())
 * @out: the writer
 *
 * Context: the supervisor, before the payload starts.
 * Return: 0, or a negative errno.
 */
int sbx_jsonl_new(struct sbx_loop *loop, int fd, const char *id, struct sbx_jsonl **out)
{
	struct sbx_jsonl *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	sbx_json_escape(j->id, sizeof(j->id), id ? id : "");
	j->buf = malloc(SBX_JSONL_BUFFER);
	if (!j->buf) {
		free(j);
		return -ENOMEM;
	}
	r = own_fd(fd, &j->kind);
	if (r < 0) {
		free(j->buf);
		free(j);
		return r;
	}
	pthread_mutex_init(&j->mu, NULL);
	j->w = (struct sbx_watch){.cb = on_writable, .fd = r};
	if (loop && j->kind != K_FILE && sbx_loop_watch(loop, &j->w, EPOLLOUT | EPOLLET) == 0)
		j->loop = loop;
	*out = j;
	return 0;
}

/**
 * sbx_jsonl_begin() - the fields every line starts with: its time and the sandbox's id.
 * @j: the writer (NULL: an empty id)
 * @buf: receives `{"time":"2026-11-29T10:15:33.123Z","id":"ID",`
 * @len: room in @buf, at least SBX_JSONL_HEADER_MAX
 *
 * The caller appends the event's own fields and "}\n". The time is UTC with
 * milliseconds (RFC 3339), taken now.
 *
 * Return: the length written.
 */
int sbx_jsonl_begin(const struct sbx_jsonl *j, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, len, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"id\":\"%s\",", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
		     j ? j->id : "");
	return n < 0 ? 0 : (size_t)n >= len ? (int)len - 1 : n;
}

/**
 * sbx_jsonl_put() - write one line, now or later, whole or not at all.
 * @j: the writer, or NULL (nothing is written)
 * @line: one JSON object and its newline, shorter than PIPE_BUF
 * @len: its length
 *
 * Never blocks. A line that can be neither written nor kept is dropped
 * and counted (see the theory of operation).
 *
 * Context: any thread.
 */
void sbx_jsonl_put(struct sbx_jsonl *j, const char *line, size_t len)
{
	int r = 0;

	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	flush_locked(j);
	if (j->len == 0 && !j->dropped)
		r = put_now(j, line, len);
	if (r == 0) {
		/* Not now: keep it behind what is waiting, if there is a loop to flush it and room. */
		r = -1;
		if (j->loop && j->len + len <= SBX_JSONL_BUFFER) {
			memcpy(j->buf + j->len, line, len);
			j->len += len;
			r = 1;
		}
	}
	if (r < 0) {
		j->dropped++;
		j->dropped_total++;
	}
	pthread_mutex_unlock(&j->mu);
}

/**
 * sbx_jsonl_printf() - write one line: the common fields, then @fmt's.
 * @j: the writer, or NULL (nothing is written)
 * @fmt: the rest of the object after its first fields, with its closing
 *	brace and without a newline ("\"event\":\"x\",\"n\":%d}")
 *
 * A line that would not fit SBX_JSONL_LINE_MAX is not written (never a torn
 * one); every caller's fields are bounded well below it.
 */
void sbx_jsonl_printf(struct sbx_jsonl *j, const char *fmt, ...)
{
	char line[SBX_JSONL_LINE_MAX];
	va_list ap;
	int h, n;

	if (!j)
		return;
	h = sbx_jsonl_begin(j, line, sizeof(line));
	va_start(ap, fmt);
	n = vsnprintf(line + h, sizeof(line) - 1 - (size_t)h, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1 - (size_t)h)
		return;
	n += h;
	line[n++] = '\n';
	sbx_jsonl_put(j, line, (size_t)n);
}

/**
 * sbx_jsonl_hello() - the first line of a stream: which schema, which sbx, which sandbox.
 * @j: a stream, or NULL
 * @stream: "status", "decisions", "status+decisions" (one descriptor for
 *	both), "questions" (--ask-fd) or "control" (--control-fd)
 * @posture: the posture's name
 */
void sbx_jsonl_hello(struct sbx_jsonl *j, const char *stream, const char *posture)
{
	sbx_jsonl_printf(
		j,
		"\"event\":\"hello\",\"schema\":%d,\"sbx\":\"%s\",\"stream\":\"%s\",\"posture\":\"%s\",\"sbx_pid\":%d}",
		SBX_EVENT_SCHEMA, SBX_VERSION, stream, posture, (int)getpid());
}

/**
 * sbx_jsonl_flush() - write what a slow reader left buffered, as far as it takes it now.
 * @j: the writer, or NULL
 *
 * The loop does this by itself when the descriptor becomes writable.
 *
 * Context: any thread.
 */
void sbx_jsonl_flush(struct sbx_jsonl *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	flush_locked(j);
	pthread_mutex_unlock(&j->mu);
}

/**
 * sbx_jsonl_dropped() - how many lines this writer has lost so far.
 * @j: the writer, or NULL
 *
 * Return: the count.
 */
uint64_t sbx_jsonl_dropped(struct sbx_jsonl *j)
{
	uint64_t n;

	if (!j)
		return 0;
	pthread_mutex_lock(&j->mu);
	n = j->dropped_total;
	pthread_mutex_unlock(&j->mu);
	return n;
}

/**
 * sbx_jsonl_fd() - the descriptor the writer writes through.
 * @j: the writer, or NULL
 *
 * A thread with a descriptor table of its own (the deputy's workers) keeps
 * this one in it. It stays the same until sbx_jsonl_free().
 *
 * Return: the descriptor, or -1 for NULL.
 */
int sbx_jsonl_fd(const struct sbx_jsonl *j)
{
	return j ? j->w.fd : -1;
}

/**
 * sbx_jsonl_free() - give a slow reader a last chance, then close.
 * @j: the writer, or NULL
 * @drain_ms: how long to wait for the reader to take the backlog
 *
 * Context: the supervisor, after the payload ended; no other thread writes.
 * Return: the lines lost that the stream itself never reported (no
 * "dropped" line could follow them), for the caller to say on stderr.
 */
uint64_t sbx_jsonl_free(struct sbx_jsonl *j, int drain_ms)
{
	uint64_t deadline, lost;

	if (!j)
		return 0;
	deadline = sbx_loop_now_ms() + (uint64_t)(drain_ms > 0 ? drain_ms : 0);
	pthread_mutex_lock(&j->mu);
	flush_locked(j);
	while ((j->len || j->dropped) && j->kind != K_FILE) {
		uint64_t now = sbx_loop_now_ms();
		struct pollfd p = {.fd = j->w.fd, .events = POLLOUT};

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0 || (p.revents & (POLLERR | POLLHUP)))
			break;
		flush_locked(j);
	}
	lost = j->dropped;
	for (size_t k = 0; k < j->len; k++)
		lost += j->buf[k] == '\n';
	pthread_mutex_unlock(&j->mu);
	if (j->loop)
		sbx_loop_unwatch(j->loop, &j->w);
	close(j->w.fd);
	pthread_mutex_destroy(&j->mu);
	free(j->buf);
	free(j);
	return lost;
}
