// SPDX-License-Identifier: Apache-2.0
/* Sandbox init: PID 1 of the sandbox. Sets it up, starts the payload, reaps, forwards signals. */

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "lib/fdpass.h"
#include "lib/fds.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * Sandbox init is cloned by the supervisor into new user, PID, mount, UTS,
 * IPC, cgroup and network namespaces. Every failure below is sent to the
 * supervisor as {stage, errno, detail} and init exits: the payload never runs
 * unless every stage succeeded.
 *
 * 1. Tie our life to the supervisor: PR_SET_PDEATHSIG(SIGKILL) first, then
 *    a look at the supervisor's pidfd: if it already died before the
 *    prctl() (we were reparented, and the death signal would never come),
 *    exit. With both there is no window in which init outlives it. (The
 *    "maps written" byte cannot serve: a supervisor that wrote it and then
 *    died leaves it readable.) Close inherited descriptors, start the
 *    network thread (step 3), wait for the "id maps written" byte. Init's
 *    own death kills every process of the PID namespace.
 * 2. Cap nested user namespaces at 0 for this user namespace while /proc/sys
 *    is still writable (the payload will have no CAP_SYS_RESOURCE to raise it).
 * 3. Filesystem (mounts.c) on this thread while a second thread creates
 *    the network namespace and brings its loopback up (net.c); init joins
 *    it with setns() once both are done, then sets the hostname. The two
 *    are independent and each costs about a millisecond of kernel work.
 * 4. Spawn the payload with clone(CLONE_VM|CLONE_VFORK|CLONE_FILES): the
 *    child borrows init's memory and descriptor table until execve, so
 *    nothing is copied. In the child, in this order: the caller's signal
 *    mask, new session (no controlling terminal: TIOCSTI has nothing to push
 *    into), close every descriptor but 0-2, --pass-fd ones and init's own
 *    (close-on-exec, they go at execve), chdir, drop all capabilities,
 *    no_new_privs, Landlock (pathname unix sockets where the kernel has ABI 9;
 *    open posture: scopes), the base seccomp filter, then the
 *    user-notification filter (every posture: the supervisor performs the
 *    payload's connect/send/bind, src/deputy/), execvp. A failure is written
 *    to a close-on-exec pipe; EOF on it means exec succeeded. The
 *    notification filter's listener lands in the table the child shares with
 *    init, and the child leaves its number in init's memory: execve gives the
 *    payload a private copy of the table without it (close-on-exec), init
 *    keeps it and hands it to the supervisor (SBX_REPORT_NOTIFY, after the
 *    st_dev values of its tmpfs mounts, SBX_REPORT_TMPFS). The payload never
 *    holds the listener; a call it makes before the supervisor serves the
 *    listener simply waits.
 * 5. Serve as PID 1: forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
 *    SIGUSR2, SIGWINCH to the payload; reap every child. When the payload
 *    is reaped, SIGKILL and reap everything left, then report the payload's
 *    wait status: from that moment only init remains, doing nothing but
 *    _exit(), so the supervisor can return without waiting for the
 *    kernel's namespace teardown (mount namespace release costs an RCU
 *    grace period, several milliseconds).
 */

static const int sbx_forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* Stack of the vfork-style payload child (execvp may use a few KiB for PATH search). */
static char sbx_payload_stack[256 * 1024] __attribute__((aligned(64)));

_Static_assert(SBX_GW_N_FDS <= SBX_FDPASS_MAX, "one report carries every gateway descriptor");

/* The kernel translates @cred_pid into the supervisor's PID namespace. */
static void send_report(int fd, const struct sbx_report *rep, pid_t cred_pid)
{
	sbx_fdpass_send(fd, rep, sizeof(*rep), NULL, 0, cred_pid);
}

static _Noreturn void init_fail(int report_fd, enum sbx_stage stage, int err, const char *detail)
{
	struct sbx_report rep = {.type = SBX_REPORT_ERROR, .stage = stage, .err = err < 0 ? -err : err};

	if (detail)
		snprintf(rep.detail, sizeof(rep.detail), "%s", detail);
	send_report(report_fd, &rep, 0);
	_exit(SBX_EXIT_FAILURE);
}

static int write_proc_file(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		return sbx_neg_errno();
	return 0;
}

/* A failing step in the payload child: tell init through the pipe and die. */
struct exec_failure {
	int32_t stage;
	int32_t err;
};

/* The payload child runs on sbx_payload_stack: keep ASan's stack tracking out of it. */
#define SBX_CHILD_CODE __attribute__((no_sanitize_address))

SBX_CHILD_CODE static _Noreturn void child_fail(int pipe_fd, enum sbx_stage stage, int err)
{
	struct exec_failure f = {.stage = stage, .err = err < 0 ? -err : err};

	if (write(pipe_fd, &f, sizeof(f)) < 0) {
		/* nothing more can be reported */
	}
	_exit(SBX_EXIT_FAILURE);
}

/*
 * execvp() with the payload's PATH and the shell's verdicts: 127 (ENOENT)
 * unless a matching file exists somewhere on PATH, 126 (its errno) if one
 * exists but cannot be executed. glibc's execvp() reports EACCES when any
 * PATH directory is unreadable, which would turn "not found" into "not
 * executable". No allocation: this runs in the vfork-style child.
 */
SBX_CHILD_CODE static int exec_search(char *const argv[], char *const envp[])
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int found_err = 0;
	char buf[4096];

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return -errno;
	}
	for (char *const *e = envp; *e; e++) {
		if (strncmp(*e, "PATH=", 5) == 0) {
			path = *e + 5;
			break;
		}
	}
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		size_t flen = strlen(argv[0]);
		struct stat st;

		if (dlen + 1 + flen < sizeof(buf)) {
			/* An empty PATH entry means the current directory. */
			memcpy(buf, dlen ? p : ".", dlen ? dlen : 1);
			dlen = dlen ? dlen : 1;
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, argv[0], flen + 1);
			execve(buf, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR && stat(buf, &st) == 0 && !found_err)
				found_err = errno;
		}
		if (!*end)
			break;
		p = end;
	}
	return found_err ? -found_err : -ENOENT;
}

/*
 * Close every descriptor but 0, 1, 2, the --pass-fd ones (at most
 * SBX_MAX_PASS_FDS, the parser's limit) and the @n_own (at most 4) of @own.
 * No allocation.
 */
SBX_CHILD_CODE static int close_all_but(const struct sbx_config *cfg, const int *own, size_t n_own)
{
	int keep[SBX_MAX_PASS_FDS + 7] = {0, 1, 2};
	size_t n_keep = 3;

	if (cfg->n_pass_fds > SBX_MAX_PASS_FDS || n_own > 4)
		return -E2BIG;
	for (size_t i = 0; i < n_own; i++)
		keep[n_keep++] = own[i];
	for (size_t i = 0; i < cfg->n_pass_fds; i++)
		keep[n_keep++] = cfg->pass_fds[i];
	return sbx_fds_close_except(keep, n_keep);
}

/*
 * --pids N: RLIMIT_NPROC, which the kernel (5.14+, ucounts) checks at every
 * fork and thread creation against the tasks of this uid in this user
 * namespace: the sandbox's, not the user's others on the host (those stay
 * under the host's own limit, one level up). Sandbox init is such a task
 * too, hence N + 1; its short-lived network thread is gone by now. Soft and
 * hard alike: raising the hard limit needs CAP_SYS_RESOURCE on the host. A
 * hard limit sbx already runs under that is lower stays (it is stricter).
 * The kernel exempts uid 0 on the host, which cmd/ refuses beforehand.
 */
SBX_CHILD_CODE static int set_pids_limit(unsigned long pids)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NPROC, &rl) < 0)
		return -errno;
	rl.rlim_cur = (rlim_t)pids + 1;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
		rl.rlim_cur = rl.rlim_max;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NPROC, &rl) < 0)
		return -errno;
	return 0;
}

struct payload_args {
	const struct sbx_init_args *a;
	int pipe_fd;	 /* the write end */
	int init_fds[4]; /* init's own descriptors in the table the child shares: kept, close-on-exec */
	/* Written by the child, read by init once the child has exec'd (CLONE_VM|CLONE_VFORK). */
	int listener;	   /* the notification filter's listener, in the shared table */
	int landlock;	   /* open posture: sbx_landlock_scope()'s result */
	int landlock_unix; /* sbx_landlock_unix()'s result */
};

/*
 * In the payload child after no_new_privs: Landlock, the base filter, then
 * the notification filter, whose listener is left to init (see step 4).
 */
SBX_CHILD_CODE static void payload_filters(struct payload_args *p)
{
	bool open = p->a->cfg->posture == SBX_POSTURE_OPEN;
	int r;

	p->landlock_unix = sbx_landlock_unix();
	if (p->landlock_unix < 0 && p->landlock_unix != -EOPNOTSUPP)
		child_fail(p->pipe_fd, SBX_STAGE_SECCOMP_LOAD, p->landlock_unix);
	p->landlock = open ? sbx_landlock_scope() : -EOPNOTSUPP;
	if (p->landlock < 0 && p->landlock != -EOPNOTSUPP)
		child_fail(p->pipe_fd, SBX_STAGE_SECCOMP_LOAD, p->landlock);
	r = sbx_seccomp_load();
	if (r < 0)
		child_fail(p->pipe_fd, SBX_STAGE_SECCOMP_LOAD, r);
	p->listener = sbx_seccomp_load_notify(open);
	if (p->listener < 0)
		child_fail(p->pipe_fd, SBX_STAGE_SECCOMP_LOAD, p->listener);
}

/*
 * The payload child. It runs on its own stack but in init's memory
 * (CLONE_VM|CLONE_VFORK: no page tables to copy, init resumes once exec
 * succeeded or the child died), so it allocates nothing and only changes
 * per-process state: signal mask, session, descriptor table, cwd, creds.
 */
SBX_CHILD_CODE static int payload_exec(void *arg)
{
	struct payload_args *p = arg;
	const struct sbx_init_args *a = p->a;
	const struct sbx_config *cfg = a->cfg;
	int r;

	if (sigprocmask(SIG_SETMASK, &a->saved_mask, NULL) < 0)
		child_fail(p->pipe_fd, SBX_STAGE_FORK, -errno);
	signal(SIGPIPE, a->sigpipe_ignored ? SIG_IGN : SIG_DFL);
	if (setsid() < 0)
		child_fail(p->pipe_fd, SBX_STAGE_SESSION, -errno);
	if (cfg->pids) {
		r = set_pids_limit(cfg->pids);
		if (r < 0)
			child_fail(p->pipe_fd, SBX_STAGE_RLIMITS, r);
	}
	r = close_all_but(cfg, p->init_fds, SBX_ARRAY_SIZE(p->init_fds));
	if (r < 0)
		child_fail(p->pipe_fd, SBX_STAGE_FDS, r);

	if (chdir(cfg->chdir ? cfg->chdir : a->cwd) < 0)
		child_fail(p->pipe_fd, SBX_STAGE_CHDIR, -errno);
	r = sbx_caps_drop_all();
	if (r < 0)
		child_fail(p->pipe_fd, SBX_STAGE_CAPS, r);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(p->pipe_fd, SBX_STAGE_NO_NEW_PRIVS, -errno);
	payload_filters(p);

	child_fail(p->pipe_fd, SBX_STAGE_EXEC, exec_search(cfg->argv, a->envp));
}

static _Noreturn void serve_as_pid1(int report_fd, pid_t payload)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(sbx_forwarded_signals); i++)
		sigaddset(&set, sbx_forwarded_signals[i]);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(payload, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			if (pid == payload) {
				struct sbx_report rep = {.type = SBX_REPORT_EXITED,
							 .status = status,
							 .ns_pid = payload};

				/* Empty the sandbox before reporting: once the supervisor has the
				 * status it may exit at once, so nothing may still be running. */
				kill(-1, SIGKILL);
				while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
					;
				send_report(report_fd, &rep, 0);
				_exit(0);
			}
		}
	}
}

struct net_job {
	enum sbx_posture posture;
	int err;
	const char *detail;
	struct sbx_gateway_fds gw;
};

static void *net_main(void *arg)
{
	struct net_job *job = arg;

	if (job->posture == SBX_POSTURE_ALLOWLIST) {
		job->err = sbx_net_new_allowlist(&job->gw, &job->detail);
	} else {
		job->detail = "lo";
		job->err = sbx_net_new_blocked(&job->gw.sandbox_ns_fd);
	}
	return NULL;
}

/*
 * The payload was executed: hand the supervisor the st_dev of every tmpfs
 * init mounted (a unix socket on one was made in the sandbox), then the
 * notification filter's listener the child left in init's table, a
 * NETLINK_SOCK_DIAG socket of the payload's network namespace (@diag_fd, or
 * -1: the supervisor learns which inode a socket the payload binds was bound
 * to) and the Landlock outcomes for --json-status-fd.
 */
static void send_notify_listener(int report_fd, const struct payload_args *p, const dev_t *devs, size_t n_devs,
				 int diag_fd)
{
	struct sbx_report rep = {.type = SBX_REPORT_NOTIFY,
				 .err = p->landlock < 0 ? -p->landlock : 0,
				 .landlock_unix = p->landlock_unix < 0 ? -p->landlock_unix : 0,
				 .status = sbx_landlock_abi()};
	int fds[2] = {p->listener, diag_fd};
	int r;

	for (size_t i = 0; i < n_devs; i += SBX_REPORT_TMPFS_MAX) {
		struct sbx_report t = {.type = SBX_REPORT_TMPFS};
		uint64_t chunk[SBX_REPORT_TMPFS_MAX];

		t.status = (int32_t)(n_devs - i < SBX_REPORT_TMPFS_MAX ? n_devs - i : SBX_REPORT_TMPFS_MAX);
		for (int32_t k = 0; k < t.status; k++)
			chunk[k] = (uint64_t)devs[i + (size_t)k];
		memcpy(t.detail, chunk, (size_t)t.status * sizeof(uint64_t));
		r = sbx_fdpass_send(report_fd, &t, sizeof(t), NULL, 0, 0);
		if (r < 0)
			init_fail(report_fd, SBX_STAGE_NOTIFY, r,
				  "handing the sandbox's tmpfs mounts to the supervisor");
	}
	r = sbx_fdpass_send(report_fd, &rep, sizeof(rep), fds, diag_fd >= 0 ? 2 : 1, 0);
	if (r < 0)
		init_fail(report_fd, SBX_STAGE_NOTIFY, r, "handing the seccomp listener to the supervisor");
	close(p->listener);
}

/* Hand the gateway's listening sockets to the supervisor, which serves them. */
static void send_listeners(int report_fd, struct sbx_gateway_fds *gw)
{
	struct sbx_report rep = {.type = SBX_REPORT_NETWORK, .ns_pid = SBX_GW_N_FDS};
	int r = sbx_fdpass_send(report_fd, &rep, sizeof(rep), gw->listen_fds, SBX_GW_N_FDS, 0);

	if (r < 0)
		init_fail(report_fd, SBX_STAGE_NETWORK, r, "handing the proxy listeners to the supervisor");
}

/**
 * sbx_init_main() - sandbox init, from clone to the payload's exit.
 * @a: everything prepared by the supervisor before clone
 *
 * Context: PID 1 of the new PID namespace, all capabilities in the new user
 * namespace (not yet usable until the supervisor has written the id maps).
 * Return: never; exits after reporting to the supervisor.
 */
_Noreturn void sbx_init_main(const struct sbx_init_args *a)
{
	const struct sbx_config *cfg = a->cfg;
	struct sbx_report rep = {0};
	dev_t *tmpfs_devs = NULL;
	size_t n_tmpfs = 0;
	int diag_fd = -1;
	int pipe_fds[2];
	struct net_job net = {.posture = cfg->posture,
			      .gw = {.sandbox_ns_fd = -1, .listen_fds = {-1, -1, -1, -1, -1, -1, -1}}};
	pthread_t net_thread;
	struct payload_args pa = {.a = a, .listener = -1};
	char go;
	pid_t child;
	int r;

	/* 1 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(SBX_EXIT_FAILURE);
	/* The death signal is tied to whoever is our parent *now*: if the supervisor
	 * died before the prctl(), we were already reparented and it will never fire. */
	{
		struct pollfd pfd = {.fd = a->supervisor_pidfd, .events = POLLIN};
		if (poll(&pfd, 1, 0) != 0)
			_exit(SBX_EXIT_FAILURE);
		close(a->supervisor_pidfd);
	}
	{
		/* SIGCHLD joins the forwarded signals (blocked by the supervisor before clone) for sigwaitinfo(). */
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, NULL);
	}
	/* Nothing of the caller's leaks further than init; --pass-fd ones are kept for the payload.
	 * Before any thread exists: the descriptor table is shared with it. */
	r = close_all_but(cfg, &a->report_fd, 1);
	if (r < 0)
		init_fail(a->report_fd, SBX_STAGE_FDS, r, NULL);

	/* 3 (started early): the network namespace needs only the capabilities init got at
	 * clone, not the id maps, so a second thread builds it while the supervisor writes
	 * the maps and this thread mounts. */
	if (cfg->posture != SBX_POSTURE_OPEN) {
		r = pthread_create(&net_thread, NULL, net_main, &net);
		if (r != 0)
			init_fail(a->report_fd, SBX_STAGE_NETWORK, -r, NULL);
	}

	if (read(a->report_fd, &go, 1) != 1)
		_exit(SBX_EXIT_FAILURE); /* supervisor gone, or id maps failed */
	/* Keep the payload (same uid, no capabilities) from ptracing or reading our fds.
	 * Only now: the supervisor needed our /proc files to write the id maps. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	/* 2 */
	r = write_proc_file("/proc/sys/user/max_user_namespaces", "0");
	if (r < 0)
		init_fail(a->report_fd, SBX_STAGE_USERNS_LIMIT, r, "/proc/sys/user/max_user_namespaces");

	/* 3 */
	r = sbx_mounts_setup(a, &rep, &tmpfs_devs, &n_tmpfs);
	if (cfg->posture != SBX_POSTURE_OPEN)
		pthread_join(net_thread, NULL);
	if (r < 0)
		init_fail(a->report_fd, rep.stage, rep.err, rep.detail);
	/* Open posture keeps the host's network namespace, whose sysfs this user namespace may not mount. */
	if (cfg->posture != SBX_POSTURE_OPEN) {
		if (net.err < 0)
			init_fail(a->report_fd, SBX_STAGE_NETWORK, net.err, net.detail);
		if (setns(net.gw.sandbox_ns_fd, CLONE_NEWNET) < 0)
			init_fail(a->report_fd, SBX_STAGE_NETWORK, -errno, "joining the sandbox network namespace");
		if (cfg->posture == SBX_POSTURE_ALLOWLIST)
			send_listeners(a->report_fd, &net.gw);
		sbx_net_gateway_fds_close(&net.gw);
		r = sbx_mounts_sysfs(&rep);
		if (r < 0)
			init_fail(a->report_fd, rep.stage, rep.err, rep.detail);
	}
	/* In the payload's network namespace (the host's in open posture). Without it the supervisor only
	 * lets the payload reach the unix sockets on its tmpfs mounts, never one it bound elsewhere. */
	diag_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
		char q[SBX_QUOTE_LEN];

		r = -errno;
		init_fail(a->report_fd, SBX_STAGE_HOSTNAME, r, sbx_quote(q, sizeof(q), cfg->hostname));
	}
	r = sbx_caps_prepare();
	if (r < 0)
		init_fail(a->report_fd, SBX_STAGE_CAPS, r, NULL);

	/* 4 */
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		init_fail(a->report_fd, SBX_STAGE_FORK, -errno, NULL);
	pa.pipe_fd = pipe_fds[1];
	pa.init_fds[0] = a->report_fd;
	pa.init_fds[1] = pipe_fds[0];
	pa.init_fds[2] = pipe_fds[1];
	pa.init_fds[3] = diag_fd;
	child = clone(payload_exec, sbx_payload_stack + sizeof(sbx_payload_stack),
		      CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &pa);
	if (child < 0)
		init_fail(a->report_fd, SBX_STAGE_FORK, -errno, NULL);
	close(pipe_fds[1]);
	{
		struct exec_failure f;
		ssize_t n;

		do
			n = read(pipe_fds[0], &f, sizeof(f));
		while (n < 0 && errno == EINTR);
		close(pipe_fds[0]);
		if (n == (ssize_t)sizeof(f)) {
			char q[sizeof(rep.detail)];

			waitpid(child, NULL, 0);
			init_fail(a->report_fd, (enum sbx_stage)f.stage, f.err,
				  f.stage == SBX_STAGE_EXEC ? sbx_quote(q, sizeof(q), cfg->argv[0])
				  : f.stage == SBX_STAGE_CHDIR
					  ? sbx_quote(q, sizeof(q), cfg->chdir ? cfg->chdir : a->cwd)
					  : NULL);
		}
	}
	send_notify_listener(a->report_fd, &pa, tmpfs_devs, n_tmpfs, diag_fd);
	free(tmpfs_devs);
	if (diag_fd >= 0)
		close(diag_fd);
	rep = (struct sbx_report){.type = SBX_REPORT_STARTED, .ns_pid = child};
	send_report(a->report_fd, &rep, child);

	/* 5 */
	serve_as_pid1(a->report_fd, child);
}
