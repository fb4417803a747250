// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/lib: address conversion, descriptor passing, the list, the loop, the JSON-lines writer. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/fdpass.h"
#include "lib/jsonl.h"
#include "lib/linein.h"
#include "lib/livepolicy.h"
#include "lib/list.h"
#include "lib/procinfo.h"
#include "lib/loop.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

static void test_unmap(void **state)
{
	struct sbx_addr a = {.family = AF_INET6}, u;

	(void)state;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a.b);
	sbx_sockaddr_unmap(&a, &u);
	assert_int_equal(u.family, AF_INET);
	assert_memory_equal(u.b, "\x7f\0\0\x01", 4);
	inet_pton(AF_INET6, "2001:db8::1", a.b);
	sbx_sockaddr_unmap(&a, &u);
	assert_int_equal(u.family, AF_INET6);
	assert_memory_equal(u.b, a.b, 16);
}

static void test_from_addrinfo_dedupes(void **state)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct addrinfo ai3 = {.ai_family = AF_INET6, .ai_addr = (struct sockaddr *)&s6};
	struct addrinfo ai2 = {.ai_family = AF_INET, .ai_addr = (struct sockaddr *)&s4, .ai_next = &ai3};
	struct addrinfo ai1 = {.ai_family = AF_INET, .ai_addr = (struct sockaddr *)&s4, .ai_next = &ai2};
	struct sbx_addr out[4];

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::2", &s6.sin6_addr);
	assert_int_equal(sbx_sockaddr_from_addrinfo(&ai1, out, 4), 2);
	assert_int_equal(out[0].family, AF_INET);
	assert_int_equal(out[1].family, AF_INET6);
	assert_int_equal(sbx_sockaddr_from_addrinfo(&ai1, out, 1), 1);
}

static void test_fdpass_round_trip(void **state)
{
	int sv[2], p[2], fds[SBX_FDPASS_MAX], one = 1;
	size_t n_fds;
	pid_t pid;
	char buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sbx_fdpass_send(sv[0], "hi", 2, p, 2, getpid()), 0);
	assert_int_equal(sbx_fdpass_recv(sv[1], buf, sizeof(buf), fds, &n_fds, &pid), 2);
	assert_int_equal(n_fds, 2);
	assert_int_equal(pid, getpid());
	assert_int_equal(write(fds[1], "x", 1), 1); /* the passed write end reaches our read end */
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(sbx_fdpass_recv(sv[1], buf, sizeof(buf), fds + 2, &n_fds, &pid), -EAGAIN);
	assert_int_equal(sbx_fdpass_send(sv[0], "x", 1, p, SBX_FDPASS_MAX + 1, 0), -EINVAL);
	for (int i = 0; i < 2; i++) {
		close(fds[i]);
		close(p[i]);
		close(sv[i]);
	}
}

struct item {
	int v;
	struct sbx_list link;
};

static void test_list(void **state)
{
	struct sbx_list head = SBX_LIST_INIT(head), *pos, *tmp;
	struct item it[3] = {{.v = 1}, {.v = 2}, {.v = 3}};
	int sum = 0;

	(void)state;
	assert_null(sbx_list_first(&head, struct item, link));
	for (int i = 0; i < 3; i++)
		sbx_list_add_tail(&head, &it[i].link);
	assert_int_equal(sbx_list_first(&head, struct item, link)->v, 1);
	sbx_list_for_each_safe(pos, tmp, &head)
	{
		struct item *x = sbx_list_entry(pos, struct item, link);

		sum += x->v;
		if (x->v == 2)
			sbx_list_del(&x->link);
	}
	assert_int_equal(sum, 6);
	sbx_list_del(&it[1].link); /* twice is harmless */
	sbx_list_del(&it[0].link);
	assert_int_equal(sbx_list_first(&head, struct item, link)->v, 3);
	sbx_list_del(&it[2].link);
	assert_true(sbx_list_empty(&head));
}

/* A reader that stops: nothing blocks, lines are kept then dropped and counted, never torn. */
static void test_jsonl_full_pipe(void **state)
{
	struct sbx_loop *loop = NULL;
	struct sbx_jsonl *j = NULL;
	char line[200], buf[4096];
	int p[2], lines = 0, partial = 0, dropped_note = 0;
	size_t have = 0;

	(void)state;
	memset(line, 'x', sizeof(line));
	line[0] = '{';
	line[sizeof(line) - 2] = '}';
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0, 1);
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(sbx_jsonl_new(loop, p[1], "t-3", &j), 0);
	/* 4 KiB pipe + 256 KiB buffer: 5,000 lines of 200 bytes cannot all fit. */
	for (int i = 0; i < 5000; i++)
		sbx_jsonl_put(j, line, sizeof(line));
	assert_true(sbx_jsonl_dropped(j) > 0);
	assert_true(sbx_jsonl_dropped(j) < 5000);
	/* The reader catches up: every line comes out whole, then the count of the lost ones. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 2000; round++) {
		ssize_t n = read(p[0], buf + have, sizeof(buf) - have);
		char *nl;

		if (n <= 0) {
			sbx_jsonl_flush(j);
			n = read(p[0], buf + have, sizeof(buf) - have);
			if (n <= 0)
				break;
		}
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have))) {
			size_t l = (size_t)(nl - buf) + 1;

			if (l == sizeof(line) && buf[0] == '{')
				lines++;
			else if (memmem(buf, l, "\"event\":\"dropped\",\"lines\":", 26))
				dropped_note++;
			else
				partial++;
			memmove(buf, buf + l, have - l);
			have -= l;
		}
	}
	assert_int_equal(partial, 0);
	assert_int_equal(dropped_note, 1);
	assert_int_equal((uint64_t)lines + sbx_jsonl_dropped(j), 5000);
	sbx_jsonl_free(j, 0);
	sbx_loop_free(loop);
	close(p[0]);
	close(p[1]);
}

/* A file that runs out of room (RLIMIT_FSIZE stands in for a full disk): whole lines or none. */
static void test_jsonl_full_file(void **state)
{
	char path[] = "/tmp/sbx-jsonl-XXXXXX", line[100], content[1024];
	struct rlimit old, small = {.rlim_cur = 250, .rlim_max = RLIM_INFINITY};
	struct sbx_jsonl *j = NULL;
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	memset(line, 'y', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	assert_int_equal(sbx_jsonl_new(NULL, fd, "t-4", &j), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (int i = 0; i < 4; i++) /* 2 fit whole; the third is cut at 250 bytes and taken back */
		sbx_jsonl_put(j, line, sizeof(line));
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(sbx_jsonl_dropped(j), 2);
	sbx_jsonl_put(j, line, sizeof(line)); /* room again: the loss is reported first, then the line */
	n = pread(fd, content, sizeof(content) - 1, 0);
	assert_true(n > 0);
	content[n] = '\0';
	/* Whole lines only: data lines, and notes whose counts add up to what was lost. */
	{
		int whole = 0, reported = 0;

		for (char *l = content, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
			char *d = memmem(l, (size_t)(nl - l), "\"event\":\"dropped\",\"lines\":", 26);

			if ((size_t)(nl - l + 1) == sizeof(line) && l[0] == 'y')
				whole++;
			else if (d)
				reported += atoi(d + 26);
			else
				fail_msg("torn line: %.*s", (int)(nl - l), l);
		}
		assert_int_equal(content[n - 1], '\n');
		assert_int_equal(whole, 3);
		assert_int_equal(reported, 2);
	}
	sbx_jsonl_free(j, 0);
	close(fd);
	unlink(path);
}

static void test_quote(void **state)
{
	char b[SBX_QUOTE_LEN], small[12];

	(void)state;
	assert_string_equal(sbx_quote(b, sizeof(b), "/plain path"), "'/plain path'");
	assert_string_equal(sbx_quote(b, sizeof(b), NULL), "''");
	assert_string_equal(sbx_quote(b, sizeof(b), "a\nb\rc\td\x1b[31m\\'"), "'a\\nb\\rc\\td\\e[31m\\\\\\''");
	assert_string_equal(sbx_quote(b, sizeof(b), "\x01\x7f\x9b"), "'\\x01\\x7f\\x9b'");
	/* Printable UTF-8 stays; C1 controls, bidi controls, overlongs, surrogates and truncated sequences do not. */
	assert_string_equal(sbx_quote(b, sizeof(b), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'");
	assert_string_equal(sbx_quote(b, sizeof(b), "\xc2\x9b"), "'\\xc2\\x9b'");
	assert_string_equal(sbx_quote(b, sizeof(b), "\xe2\x80\xae\xe2\x81\xa6"), "'\\xe2\\x80\\xae\\xe2\\x81\\xa6'");
	assert_string_equal(sbx_quote(b, sizeof(b), "\xc0\xaf\xed\xa0\x80"), "'\\xc0\\xaf\\xed\\xa0\\x80'");
	assert_string_equal(sbx_quote(b, sizeof(b), "\xe2\x82"), "'\\xe2\\x82'");
	assert_string_equal(sbx_quote(b, sizeof(b), "\xf4\x90\x80\x80"), "'\\xf4\\x90\\x80\\x80'");
	/* Cut on a character boundary, never inside an escape or a UTF-8 sequence. */
	assert_string_equal(sbx_quote(small, sizeof(small), "abcdefghijkl"), "'abcdef...'");
	assert_string_equal(sbx_quote(small, sizeof(small), "abcde\n"), "'abcde...'");
	assert_string_equal(sbx_quote(small, sizeof(small), "abc\xc3\xa9"), "'abc\xc3\xa9'");
	assert_string_equal(sbx_quote(small, sizeof(small), "abcd\xe2\x82\xac"), "'abcd...'");
	assert_string_equal(sbx_quote(small, 7, "abc"), "");
	for (int c = 1; c < 256; c++) {
		char in[2] = {(char)c, 0};

		sbx_quote(b, sizeof(b), in);
		for (const unsigned char *p = (const unsigned char *)b; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
}

struct hup_probe {
	struct sbx_watch w;
	struct sbx_watch timer;
	unsigned calls;
	unsigned phase;
	unsigned seen[3];
};

static void hup_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct hup_probe *p = sbx_container_of(w, struct hup_probe, w);

	(void)loop;
	(void)events;
	p->calls++;
}

static void arm(struct sbx_watch *timer)
{
	struct itimerspec its = {.it_value = {0, 50 * 1000000L}};

	assert_int_equal(timerfd_settime(timer->fd, 0, &its, NULL), 0);
}

/* Every 50 ms: note the wake-ups of the phase that ends, start the next one. */
static void phase_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct hup_probe *p = sbx_container_of(w, struct hup_probe, timer);
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0) {
		/* spurious */
	}
	p->seen[p->phase] = p->calls;
	p->calls = 0;
	if (p->phase == 0)
		sbx_loop_pause(loop, &p->w);
	else if (p->phase == 1)
		assert_int_equal(sbx_loop_watch(loop, &p->w, EPOLLIN), 0);
	if (++p->phase == 3) {
		sbx_loop_quit(loop);
		return;
	}
	arm(w);
}

/*
 * A hung-up socket wakes epoll whatever the interest (EPOLLHUP, level-triggered):
 * interest 0 does not silence it, sbx_loop_pause() does, until it is watched again.
 */
static void test_loop_pause_silences_hup(void **state)
{
	struct sbx_loop *loop = NULL;
	struct hup_probe p = {.w = {.cb = hup_cb}, .timer = {.cb = phase_cb}};
	int sv[2];

	(void)state;
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	p.timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	assert_true(p.timer.fd >= 0);
	assert_int_equal(sbx_loop_watch(loop, &p.timer, EPOLLIN), 0);
	p.w.fd = sv[0];
	close(sv[1]); /* sv[0] is hung up now */
	assert_int_equal(sbx_loop_watch(loop, &p.w, 0), 0);
	arm(&p.timer);
	assert_int_equal(sbx_loop_run(loop), 0);
	assert_true(p.seen[0] > 1);  /* interest 0: woken again and again */
	assert_true(p.seen[1] <= 1); /* paused: silent (but for an event already in that batch) */
	assert_true(p.seen[2] > 0);  /* watched again: reported again */
	sbx_loop_unwatch(loop, &p.w);
	sbx_loop_unwatch(loop, &p.timer);
	close(sv[0]);
	close(p.timer.fd);
	sbx_loop_free(loop);
}

static void test_status_field(void **state)
{
	char v[32];
	mode_t old = umask(0027);

	(void)state;
	assert_int_equal(sbx_procinfo_status_field(getpid(), "Umask", v, sizeof(v)), 0);
	assert_string_equal(v, "0027");
	assert_int_equal(sbx_procinfo_status_field(getpid(), "Tgid", v, sizeof(v)), 0);
	assert_int_equal(atoi(v), getpid());
	assert_int_equal(sbx_procinfo_status_field(getpid(), "NoSuchField", v, sizeof(v)), -ENOENT);
	umask(old);
}

/* Out of descriptors, getaddrinfo() says "no such name": sbx reports its own shortage instead. */
static void test_resolve_out_of_fds(void **state)
{
	struct sbx_addr addrs[4];
	struct rlimit old, low;
	size_t n;
	int r;

	(void)state;
	if (sbx_sockaddr_resolve("localhost", addrs, 4, &n) != 0)
		skip(); /* control: no "localhost" in /etc/hosts here */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 3; /* 0, 1, 2 only: /etc/hosts cannot be opened */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = sbx_sockaddr_resolve("localhost", addrs, 4, &n);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(r, -EMFILE);
	assert_int_equal(n, 0);
}

/* ---- lib/livepolicy.c ---------------------------------------------------- */

struct watch_probe {
	struct sbx_livepolicy_watcher w;
	bool refuse;
	unsigned checks, changes;
	const struct sbx_policy *seen;
};

static int probe_check(struct sbx_livepolicy_watcher *w, const struct sbx_policy *next, char *err, size_t errlen)
{
	struct watch_probe *p = sbx_container_of(w, struct watch_probe, w);

	p->checks++;
	if (!p->refuse)
		return 0;
	snprintf(err, errlen, "cannot enforce that");
	return -EINVAL;
}

static void probe_changed(struct sbx_livepolicy_watcher *w, const struct sbx_policy *now)
{
	struct watch_probe *p = sbx_container_of(w, struct watch_probe, w);

	p->changes++;
	p->seen = now;
}

static struct sbx_livepolicy *live_of(enum sbx_posture posture, const char *allow)
{
	struct sbx_policy *p = NULL;
	struct sbx_livepolicy *lp = NULL;
	struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FLAG};
	char err[128];

	assert_int_equal(sbx_policy_new(posture, false, &p), 0);
	if (allow)
		assert_int_equal(sbx_policy_add_rule(p, false, allow, &o, err, sizeof(err)), 0);
	assert_int_equal(sbx_livepolicy_new(p, &lp), 0);
	return lp;
}

/* A reader keeps its version (and the rules it points to) across changes; watchers may refuse one. */
static void test_livepolicy(void **state)
{
	struct sbx_livepolicy *lp = live_of(SBX_POSTURE_ALLOWLIST, "pypi.org");
	struct watch_probe probe = {.w = {.check = probe_check, .changed = probe_changed}};
	struct sbx_rule_origin o = {.kind = SBX_ORIGIN_CONTROL, .line = 1};
	const struct sbx_policy *held;
	const struct sbx_rule *rule;
	char err[512];
	uint32_t id = 0, ids[1];

	(void)state;
	sbx_livepolicy_watch(lp, &probe.w);
	held = sbx_livepolicy_get(lp);
	rule = sbx_policy_rule_at(held, 0);
	assert_int_equal(sbx_livepolicy_version(lp), 1);

	assert_int_equal(sbx_livepolicy_add_rule(lp, false, "other.test", &o, &id, err, sizeof(err)), 0);
	assert_int_equal(sbx_livepolicy_version(lp), 2);
	assert_int_equal(probe.checks, 1);
	assert_int_equal(probe.changes, 1);
	assert_ptr_equal(probe.seen, sbx_livepolicy_peek(lp));
	assert_ptr_not_equal(held, sbx_livepolicy_peek(lp));
	assert_int_equal(sbx_policy_rule_count(sbx_livepolicy_peek(lp)), 2);
	/* The old version is still whole for its reader (ASan would catch a free). */
	assert_string_equal(sbx_policy_rule_text(rule), "pypi.org");
	assert_int_equal(sbx_policy_rule_count(held), 1);
	sbx_livepolicy_put(lp, held);

	/* A bad rule: the command line's words; nothing changes. */
	assert_int_equal(sbx_livepolicy_add_rule(lp, true, "0x7f.1", &o, &id, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--deny '0x7f.1': "));
	assert_int_equal(sbx_livepolicy_version(lp), 2);

	/* A watcher that cannot enforce a version refuses it, in its words. */
	probe.refuse = true;
	assert_int_equal(sbx_livepolicy_add_rule(lp, true, "evil.test", &o, &id, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cannot enforce that");
	assert_int_equal(sbx_livepolicy_version(lp), 2);
	assert_int_equal(probe.changes, 1);
	probe.refuse = false;

	/* Removal by id, and an id that names nothing. */
	ids[0] = id;
	assert_int_equal(sbx_livepolicy_remove(lp, ids, 1, "control:2", err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_rule_count(sbx_livepolicy_peek(lp)), 1);
	assert_int_equal(sbx_livepolicy_remove(lp, ids, 1, "control:3", err, sizeof(err)), -ENOENT);

	/* Narrowed and restored, never widened. */
	assert_int_equal(sbx_livepolicy_set_posture(lp, SBX_POSTURE_BLOCKED, "control:4", err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_posture(sbx_livepolicy_peek(lp)), SBX_POSTURE_BLOCKED);
	assert_int_equal(sbx_livepolicy_set_posture(lp, SBX_POSTURE_OPEN, "control:5", err, sizeof(err)), -EPERM);
	assert_int_equal(sbx_livepolicy_set_posture(lp, SBX_POSTURE_ALLOWLIST, "control:6", err, sizeof(err)), 0);
	assert_int_equal(sbx_livepolicy_launch_posture(lp), SBX_POSTURE_ALLOWLIST);
	sbx_livepolicy_unwatch(&probe.w);
	sbx_livepolicy_free(lp);

	/* A blocked run takes no rule at all. */
	lp = live_of(SBX_POSTURE_BLOCKED, NULL);
	assert_int_equal(sbx_livepolicy_add_rule(lp, false, "pypi.org", &o, &id, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no effect with --network=blocked"));
	sbx_livepolicy_free(lp);
}

/* ---- lib/linein.c ------------------------------------------------------- */

struct lines {
	struct sbx_linein in;
	char got[16][64];
	bool bad[16];
	unsigned n, ends;
	int end_err;
};

static void on_test_line(struct sbx_linein *in, unsigned lineno, char *line, bool bad)
{
	struct lines *l = sbx_container_of(in, struct lines, in);

	assert_int_equal(lineno, l->n + 1);
	if (l->n < 16) {
		snprintf(l->got[l->n], sizeof(l->got[0]), "%s", line);
		l->bad[l->n] = bad;
	}
	l->n++;
}

static void on_test_end(struct sbx_linein *in, int err)
{
	struct lines *l = sbx_container_of(in, struct lines, in);

	l->ends++;
	l->end_err = err;
	sbx_loop_quit(in->loop);
}

/* Lines split across writes, CRLF, an overlong line, a NUL byte, a last line without its newline. */
static void test_linein(void **state)
{
	struct sbx_loop *loop = NULL;
	struct lines l = {0};
	char *big = malloc(SBX_LINEIN_MAX * 3);
	int p[2];

	(void)state;
	assert_non_null(big);
	memset(big, 'x', SBX_LINEIN_MAX * 3);
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(sbx_linein_start(&l.in, loop, p[0], on_test_line, on_test_end), 0);
	assert_int_equal(write(p[1], "li", 2), 2);
	assert_int_equal(write(p[1], "st\r\nallow a\n", 12), 12);
	assert_int_equal(write(p[1], big, SBX_LINEIN_MAX * 3), SBX_LINEIN_MAX * 3);
	assert_int_equal(write(p[1], "\nde\0ny\nlast", 11), 11);
	close(p[1]);
	assert_int_equal(sbx_loop_run(loop), 0);
	assert_int_equal(l.ends, 1);
	assert_int_equal(l.end_err, 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.got[0], "list");
	assert_false(l.bad[0]);
	assert_string_equal(l.got[1], "allow a");
	assert_true(l.bad[2]); /* too long: reported once, skipped to its end */
	assert_string_equal(l.got[2], "");
	assert_true(l.bad[3]); /* a NUL byte */
	assert_string_equal(l.got[4], "last");
	assert_false(l.bad[4]);
	close(p[0]);
	/* A descriptor open only for writing is refused. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(sbx_linein_start(&l.in, loop, p[1], on_test_line, on_test_end), -EBADF);
	close(p[0]);
	close(p[1]);
	sbx_loop_free(loop);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_from_addrinfo_dedupes),
		cmocka_unit_test(test_fdpass_round_trip),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_status_field),
		cmocka_unit_test(test_loop_pause_silences_hup),
		cmocka_unit_test(test_jsonl_full_pipe),
		cmocka_unit_test(test_jsonl_full_file),
		cmocka_unit_test(test_resolve_out_of_fds),
		cmocka_unit_test(test_livepolicy),
		cmocka_unit_test(test_linein),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
