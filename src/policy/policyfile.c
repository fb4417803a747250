// SPDX-License-Identifier: Apache-2.0
/* Policy files (line based: allow/deny RULE..., network POSTURE, # comments) and sbx_policy_build(). */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define POLICY_FILE_MAX (16u << 20)

/*
 * A policy file's name where it starts "NAME:LINE:COL: ..." (the form
 * editors jump to): as given when it is plain printable ASCII, quoted
 * (sbx_quote()) when anything in it could split the line or reach a terminal.
 */
static const char *shown_name(char *buf, size_t len, const char *name)
{
	for (const char *c = name; *c; c++) {
		if (*c < 0x20 || *c > 0x7e || *c == '\'' || *c == '\\')
			return sbx_quote(buf, len, name);
	}
	return name;
}

__attribute__((format(printf, 6, 7))) static int perr(char *err, size_t errlen, const char *name, unsigned line,
						      size_t col, const char *fmt, ...)
{
	char q[SBX_QUOTE_LEN];
	va_list ap;
	int n;

	if (!errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u:%zu: ", shown_name(q, sizeof(q), name), line, col);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int do_line(struct sbx_policy *p, const char *name, unsigned lineno, const char *line, size_t len,
		   enum sbx_posture *posture, bool *posture_set, char *err, size_t errlen)
{
	char tok[1100], q[SBX_QUOTE_LEN];
	size_t i = 0, start, col, ntok = 0;
	int mode = -1; /* 0 allow, 1 deny, 2 network */
	size_t mode_col = 0;
	const char *hash = memchr(line, '#', len);

	if (hash)
		len = (size_t)(hash - line);
	for (;;) {
		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_space(line[i]))
			i++;
		col = start + 1;
		if (i - start >= sizeof(tok))
			return perr(err, errlen, name, lineno, col, "token too long");
		memcpy(tok, line + start, i - start);
		tok[i - start] = '\0';
		if (ntok++ == 0) {
			mode_col = col;
			if (strcmp(tok, "allow") == 0)
				mode = 0;
			else if (strcmp(tok, "deny") == 0)
				mode = 1;
			else if (strcmp(tok, "network") == 0)
				mode = 2;
			else
				return perr(err, errlen, name, lineno, col,
					    "unknown directive %s (expected allow, deny or network)",
					    sbx_quote(q, sizeof(q), tok));
			continue;
		}
		if (mode == 2) {
			enum sbx_posture want;

			if (ntok > 2)
				return perr(err, errlen, name, lineno, col, "network takes one posture");
			if (strcmp(tok, "blocked") == 0)
				want = SBX_POSTURE_BLOCKED;
			else if (strcmp(tok, "allowlist") == 0)
				want = SBX_POSTURE_ALLOWLIST;
			else if (strcmp(tok, "open") == 0)
				want = SBX_POSTURE_OPEN;
			else
				return perr(err, errlen, name, lineno, col,
					    "unknown posture %s (expected blocked, allowlist or open)",
					    sbx_quote(q, sizeof(q), tok));
			if (p->posture_locked && p->posture != want)
				return perr(err, errlen, name, lineno, col, "network posture %s conflicts with %s (%s)",
					    sbx_quote(q, sizeof(q), tok), p->posture_origin,
					    sbx_posture_name(p->posture));
			if (!p->posture_locked) {
				p->posture = want;
				p->posture_locked = true;
				snprintf(p->posture_origin, sizeof(p->posture_origin), "%s:%u",
					 shown_name(q, sizeof(q), name), lineno);
			}
			*posture = want;
			*posture_set = true;
			continue;
		}
		{
			struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FILE, .file = name, .line = lineno};
			char why[256];
			int r = sbx_policy_add_rule(p, mode == 1, tok, &o, why, sizeof(why));

			if (r == -EINVAL)
				return perr(err, errlen, name, lineno, col, "invalid rule %s: %s",
					    sbx_quote(q, sizeof(q), tok), why);
			if (r < 0)
				return r;
		}
	}
	if (ntok == 1 && mode == 2)
		return perr(err, errlen, name, lineno, mode_col,
			    "network needs a posture (blocked, allowlist or open)");
	if (ntok == 1)
		return perr(err, errlen, name, lineno, mode_col, "%s needs at least one rule",
			    mode == 0 ? "allow" : "deny");
	return 0;
}

int sbx_policy_load_buffer(struct sbx_policy *p, const char *name, const char *buf, size_t len,
			   enum sbx_posture *posture, bool *posture_set, char *err, size_t errlen)
{
	unsigned lineno = 1;
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (buf + off)) : len - off;
		const char *nul = memchr(buf + off, '\0', llen);
		int r;

		if (nul)
			return perr(err, errlen, name, lineno, (size_t)(nul - (buf + off)) + 1,
				    "NUL byte in policy file");
		r = do_line(p, name, lineno, buf + off, llen, posture, posture_set, err, errlen);
		if (r < 0)
			return r;
		off += llen + 1;
		lineno++;
	}
	return 0;
}

int sbx_policy_load_file(struct sbx_policy *p, const char *path, enum sbx_posture *posture, bool *posture_set,
			 char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;
	char q[SBX_QUOTE_LEN];
	int fd, r = 0;

	sbx_quote(q, sizeof(q), path);

	/* O_NONBLOCK: a FIFO (or a device) must not hang here; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open policy file: %s", q, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", q);
		close(fd);
		return r;
	}
	cap = (size_t)st.st_size + 1;
	if (st.st_size > (off_t)POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: policy file larger than 16 MiB", q);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: cannot read policy file: %s", q, strerror(-r));
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) { /* the file grew since fstat: refuse rather than read a moving target */
			snprintf(err, errlen, "%s: policy file changed while being read", q);
			close(fd);
			return -EINVAL;
		}
	}
	close(fd);
	return sbx_policy_load_buffer(p, path, buf, len, posture, posture_set, err, errlen);
}

int sbx_policy_build(const struct sbx_config *cfg, struct sbx_policy **out, char *err, size_t errlen)
{
	struct sbx_policy *p = NULL;
	int r;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	r = sbx_policy_new(cfg->posture, cfg->no_default_deny, &p);
	if (r < 0)
		return r;
	r = sbx_policy_reserve(p, cfg->n_rules);
	if (r < 0) {
		sbx_policy_free(p);
		return r;
	}
	if (cfg->posture_set) {
		p->posture_locked = true;
		snprintf(p->posture_origin, sizeof(p->posture_origin), "--network=%s", sbx_posture_name(cfg->posture));
	}
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct sbx_rule_arg *a = &cfg->rules[i];

		if (a->kind == SBX_RULE_ARG_FILE) {
			enum sbx_posture fp;
			bool fset = false;

			r = sbx_policy_load_file(p, a->text, &fp, &fset, err, errlen);
		} else {
			/* A rule from a --profile line names that line, as a policy file's does. */
			struct sbx_rule_origin o = {.kind = a->file ? SBX_ORIGIN_FILE : SBX_ORIGIN_FLAG,
						    .file = a->file,
						    .line = a->line};
			char why[256], q[SBX_QUOTE_LEN];
			bool deny = a->kind == SBX_RULE_ARG_DENY;

			r = sbx_policy_add_rule(p, deny, a->text, &o, why, sizeof(why));
			if (r == -EINVAL && a->file)
				snprintf(err, errlen, "%s:%u: %s %s: %s", a->file, a->line, deny ? "deny" : "allow",
					 sbx_quote(q, sizeof(q), a->text), why);
			else if (r == -EINVAL)
				snprintf(err, errlen, "%s %s: %s", deny ? "--deny" : "--allow",
					 sbx_quote(q, sizeof(q), a->text), why);
		}
		if (r < 0) {
			if (r == -ENOMEM && errlen && !err[0])
				snprintf(err, errlen, "out of memory while building the policy");
			sbx_policy_free(p);
			return r;
		}
	}
	*out = p;
	return 0;
}

/**
 * sbx_policy_file_posture() - the posture a policy file names, if any.
 * @path: the file
 * @posture: set when the file has a "network" line
 * @found: whether it has one
 * @err: one message on failure (the file's name, line and column for bad
 *	content; "cannot open policy file: No such file or directory" for a
 *	missing one)
 * @errlen: size of @err
 *
 * Reads and checks the whole file, as a run would.
 *
 * Return: 0, or a negative errno with @err set.
 */
int sbx_policy_file_posture(const char *path, enum sbx_posture *posture, bool *found, char *err, size_t errlen)
{
	struct sbx_policy *p = NULL;
	int r = sbx_policy_new(SBX_POSTURE_ALLOWLIST, false, &p);

	*found = false;
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	r = sbx_policy_load_file(p, path, posture, found, err, errlen);
	sbx_policy_free(p);
	return r;
}
