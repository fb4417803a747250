/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by every module: cleanup attributes, ownership transfer, errno. */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SBX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The object that embeds @ptr as its @member. */
#define sbx_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void sbx_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void sbx_freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(sbx_closep)))
#define _cleanup_free_ __attribute__((cleanup(sbx_freep)))

/* Hand ownership of a descriptor or pointer over, leaving the cleanup a no-op. */
#define SBX_TAKE_FD(fd)              \
	({                           \
		int _sbx_fd_ = (fd); \
		(fd) = -1;           \
		_sbx_fd_;            \
	})
#define SBX_TAKE_PTR(p)                      \
	({                                   \
		__typeof__(p) _sbx_p_ = (p); \
		(p) = NULL;                  \
		_sbx_p_;                     \
	})

/* -errno of the last failed call, never 0 (some libraries fail without setting errno). */
static inline int sbx_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/*
 * Text from the user or the payload in a message: sbx_quote() renders it on
 * one line, in single quotes, with every byte a terminal could act on
 * escaped. It lives here, header-only, because every layer writes such
 * messages, the pure ones at the bottom (policy files, rules) included.
 */

/* Room for a quoted path in a message: longer text is cut and ends in "...'". */
#define SBX_QUOTE_LEN 256

/*
 * Length of the UTF-8 sequence at @p if it is valid, shortest-form, not a
 * surrogate, and safe to show: not a C1 control (U+0080-U+009F, which some
 * terminals obey like ESC sequences), not a bidirectional or line/paragraph
 * control (U+061C, U+200E-U+200F, U+2028-U+202E, U+2066-U+2069, which
 * reorder or split what the reader sees). 0 otherwise.
 */
static inline size_t sbx_quote_utf8_len(const unsigned char *p)
{
	uint32_t cp;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp <= 0x9f || cp == 0x61c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

/**
 * sbx_quote() - @s as one line that a terminal or a log shows literally.
 * @buf: receives the quoted text
 * @len: size of @buf; below 8 it receives an empty string
 * @s: any bytes up to a NUL (NULL is shown as '')
 *
 * The text goes between single quotes. Printable ASCII and valid, printable
 * UTF-8 are kept; newline, carriage return, tab, ESC, backslash and the
 * quote are written \n, \r, \t, \e, \\ and \'; every other byte (C0 and
 * C1 controls, DEL, invalid UTF-8, bidirectional controls) is written
 * \xNN. Text that does not fit is cut on a character boundary and ends in
 * "...'".
 *
 * Context: any; no allocation, async-signal-safe.
 * Return: @buf, for use as a printf argument.
 */
static inline const char *sbx_quote(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '\'';
	while (*p) {
		char esc[4];
		const char *piece = esc;
		size_t n = 2, adv = 1, u;

		esc[0] = '\\';
		switch (*p) {
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case 0x1b:
			esc[1] = 'e';
			break;
		case '\\':
		case '\'':
			esc[1] = (char)*p;
			break;
		default:
			if (*p >= 0x20 && *p < 0x7f) {
				piece = (const char *)p;
				n = 1;
			} else if ((u = sbx_quote_utf8_len(p)) > 0) {
				piece = (const char *)p;
				n = adv = u;
			} else {
				esc[1] = 'x';
				esc[2] = hex[*p >> 4];
				esc[3] = hex[*p & 15];
				n = 4;
			}
			break;
		}
		/* Keep room for "...'" and the NUL whatever comes next. */
		if (o + n + 5 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, piece, n);
		o += n;
		p += adv;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

#endif
