// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the judge of unix socket paths (src/deputy/unix.c): sbx's tmpfs, the payload's own, --allow-unix. */

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

/* A scratch directory under /var/tmp (a real filesystem, not this test's tmpfs if /tmp is one). */
struct scratch {
	char dir[64];
	int dir_fd;
};

static void scratch_new(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/var/tmp/sbx-test-unix.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	s->dir_fd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->dir_fd >= 0);
}

static void scratch_free(struct scratch *s)
{
	char cmd[128];

	close(s->dir_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

/* A unix socket bound at @dir/@name; its path in @path. */
static int bound_socket(const struct scratch *s, const char *name, int type, char *path, size_t len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(path, len, "%s/%s", s->dir, name);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static int judge_path(struct sbx_unix *u, const char *path, const char **allowed)
{
	int fd = open(path, O_PATH | O_CLOEXEC), r;

	assert_true(fd >= 0);
	r = sbx_unix_judge(u, fd, allowed);
	close(fd);
	return r;
}

static void test_verdicts(void **state)
{
	struct scratch s;
	char host[128], other[128], mine[128], file[128], err[256] = "";
	const char *allow[1] = {host};
	struct sbx_config cfg = {.posture = SBX_POSTURE_OPEN, .allow_unix = allow, .n_allow_unix = 1};
	struct sbx_unix *u = NULL;
	const char *allowed = NULL;
	struct stat st;
	int hfd, ofd, mfd, f, diag;
	uint64_t dev;

	scratch_new(&s);
	hfd = bound_socket(&s, "host.sock", SOCK_STREAM, host, sizeof(host));
	ofd = bound_socket(&s, "other.sock", SOCK_STREAM, other, sizeof(other));
	snprintf(file, sizeof(file), "%s/file", s.dir);
	f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	close(f);

	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), 0);
	assert_int_equal(judge_path(u, host, &allowed), SBX_UNIX_ALLOWED);
	assert_string_equal(allowed, host);
	assert_int_equal(judge_path(u, other, &allowed), SBX_UNIX_HOST);
	assert_int_equal(judge_path(u, file, &allowed), SBX_UNIX_NOT_SOCKET);

	/* Open posture: a socket the payload binds is remembered (the kernel confirms which file it was bound to)... */
	diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	assert_true(diag >= 0);
	sbx_unix_set_diag(u, diag);
	mfd = bound_socket(&s, "mine.sock", SOCK_DGRAM, mine, sizeof(mine));
	assert_int_equal(judge_path(u, mine, &allowed), SBX_UNIX_HOST);
	assert_int_equal(sbx_unix_note_bound(u, mfd, s.dir_fd, "mine.sock"), 0);
	assert_int_equal(judge_path(u, mine, &allowed), SBX_UNIX_MADE);
	/* ...but not a file renamed over its name: the kernel says the socket is bound elsewhere. */
	assert_int_equal(rename(other, mine), 0);
	assert_int_equal(sbx_unix_note_bound(u, mfd, s.dir_fd, "mine.sock"), -ESTALE);
	assert_int_equal(judge_path(u, mine, &allowed), SBX_UNIX_HOST);
	/* A file that is not a socket is never recorded. */
	assert_int_equal(sbx_unix_note_bound(u, mfd, s.dir_fd, "file"), -ESTALE);

	/* Everything on a filesystem sbx made counts as the sandbox's. */
	assert_int_equal(stat(s.dir, &st), 0);
	dev = st.st_dev;
	assert_int_equal(sbx_unix_add_tmpfs(u, &dev, 1), 0);
	assert_int_equal(judge_path(u, mine, &allowed), SBX_UNIX_SANDBOX_FS);
	assert_int_equal(judge_path(u, host, &allowed), SBX_UNIX_SANDBOX_FS);

	sbx_unix_free(u);
	close(hfd);
	close(ofd);
	close(mfd);
	scratch_free(&s);
}

/* --allow-unix names one socket that exists when sbx starts; one that is replaced later is a new socket. */
static void test_allow_unix(void **state)
{
	struct scratch s;
	char path[128], err[256] = "", file[128];
	const char *allow[1] = {path};
	struct sbx_config cfg = {.allow_unix = allow, .n_allow_unix = 1};
	struct sbx_unix *u = NULL;
	const char *allowed = NULL;
	int fd, f;

	scratch_new(&s);
	snprintf(path, sizeof(path), "%s/absent.sock", s.dir);
	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no such socket"));
	assert_null(u);

	snprintf(file, sizeof(file), "%s/file", s.dir);
	f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(f);
	allow[0] = file;
	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a unix socket"));

	allow[0] = path;
	fd = bound_socket(&s, "svc.sock", SOCK_STREAM, path, sizeof(path));
	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), 0);
	assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_ALLOWED);
	/* The service restarts: a new socket file at the same path. */
	close(fd);
	assert_int_equal(unlink(path), 0);
	fd = bound_socket(&s, "svc.sock", SOCK_STREAM, path, sizeof(path));
	assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_HOST);
	sbx_unix_free(u);
	close(fd);
	scratch_free(&s);
}

/* Many sockets of the payload's own: the set grows and keeps every one. */
static void test_many_made(void **state)
{
	struct scratch s;
	struct sbx_config cfg = {.posture = SBX_POSTURE_OPEN};
	struct sbx_unix *u = NULL;
	const char *allowed = NULL;
	char err[256], path[128], name[32];
	int diag;

	scratch_new(&s);
	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), 0);
	diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	assert_true(diag >= 0);
	sbx_unix_set_diag(u, diag);
	for (int i = 0; i < 300; i++) {
		int fd;

		snprintf(name, sizeof(name), "m%d.sock", i);
		fd = bound_socket(&s, name, SOCK_STREAM, path, sizeof(path));
		assert_int_equal(sbx_unix_note_bound(u, fd, s.dir_fd, name), 0);
		close(fd);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/m%d.sock", s.dir, i);
		assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_MADE);
	}
	sbx_unix_free(u);
	scratch_free(&s);
}

/*
 * Blocked and allowlist postures: the payload's own sockets are those bound
 * in its network namespace (here: this test's). A socket file no socket was
 * seen bound to is nobody's.
 */
static void test_own_netns(void **state)
{
	struct scratch s;
	struct sbx_config cfg = {.posture = SBX_POSTURE_BLOCKED};
	struct sbx_unix *u = NULL;
	const char *allowed = NULL;
	char err[256], path[128], stale[128];
	int diag, fd;

	scratch_new(&s);
	assert_int_equal(sbx_unix_new(&cfg, &u, err, sizeof(err)), 0);
	fd = bound_socket(&s, "stale.sock", SOCK_STREAM, stale, sizeof(stale));
	close(fd);
	fd = bound_socket(&s, "live.sock", SOCK_STREAM, path, sizeof(path));
	/* Without the diag socket nothing is the payload's. */
	assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_HOST);
	diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	assert_true(diag >= 0);
	sbx_unix_set_diag(u, diag);
	assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_MADE);
	assert_int_equal(judge_path(u, stale, &allowed), SBX_UNIX_HOST);
	/* Once seen bound, a file stays the payload's (the kernel answers ECONNREFUSED once it is dead). */
	close(fd);
	assert_int_equal(judge_path(u, path, &allowed), SBX_UNIX_MADE);
	sbx_unix_free(u);
	scratch_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_allow_unix),
		cmocka_unit_test(test_many_made),
		cmocka_unit_test(test_own_netns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
