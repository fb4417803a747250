// SPDX-License-Identifier: Apache-2.0
/* The supervisor: clone sandbox init, write its id maps, run the event loop until the payload exits. */

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allowlist/allowlist.h"
#include "env.h"
#include "plan.h"
#include "init/init.h"
#include "lib/fdpass.h"
#include "lib/jsonl.h"
#include "lib/loop.h"
#include "lib/topology.h"
#include "deputy/deputy.h"
#include "sbx/policy.h"
#include "sbx/util.h"
#include "control.h"
#include "status.h"
#include "supervisor/supervisor.h"

/*
 * Theory of operation
 *
 * 1. Before clone: compute the payload's environment and working directory,
 *    block the signals we forward (the child inherits the mask and turns it
 *    into sigwaitinfo() duties), create the report socket pair.
 * 2. clone3() with CLONE_NEWUSER|NEWPID|NEWNS|NEWUTS|NEWIPC|NEWCGROUP and
 *    CLONE_PIDFD (init adds the network namespace, see init.c). Init waits for one byte; the supervisor writes
 *    setgroups=deny, uid_map and gid_map (a single id each: all an
 *    unprivileged process may map), then sends it.
 * 3. Event loop (epoll): the report socket (errors, "started", the payload's
 *    wait status), the pidfd (init's death), a signalfd (signals to forward),
 *    a timerfd (--timeout) and a second one, the kill deadline. When
 *    --timeout expires the payload gets SIGTERM (through init, like a
 *    forwarded signal) and the kill deadline is armed --kill-after later
 *    (default 5 s; 0 kills at once). A SIGTERM, SIGINT or SIGHUP that sbx
 *    forwards arms it too, when --kill-after was given: without it the
 *    payload decides, and whoever sent the signal can still SIGKILL sbx.
 *    At the deadline init gets SIGKILL, which takes the whole PID namespace
 *    with it. If the supervisor itself dies, init's PDEATHSIG does the same.
 */

static const int sbx_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int read_sysctl_int(const char *path)
{
	char buf[32] = {0};
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	return atoi(buf);
}

/* What to do about a failure: the user-namespace hints are what users hit most. */
static const char *hint_for(enum sbx_stage stage, int err)
{
	if (stage == SBX_STAGE_CLONE) {
		if (read_sysctl_int("/proc/sys/kernel/unprivileged_userns_clone") == 0)
			return "unprivileged user namespaces are disabled: run 'sysctl -w kernel.unprivileged_userns_clone=1'";
		if (read_sysctl_int("/proc/sys/user/max_user_namespaces") == 0 || err == ENOSPC)
			return "user namespaces are limited: run 'sysctl -w user.max_user_namespaces=15000'";
		if (err == EPERM)
			return "unprivileged user namespaces are not allowed here (a container or security policy "
			       "forbids them; see 'Enabling user namespaces' in the README)";
		if (err == EINVAL)
			return "the kernel lacks a namespace type sbx needs (user, pid, mount, uts, ipc, cgroup, net)";
		return NULL;
	}
	if ((err == EPERM || err == EACCES) && stage != SBX_STAGE_EXEC && stage != SBX_STAGE_CHDIR &&
	    stage != SBX_STAGE_MOUNT_USER &&
	    read_sysctl_int("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		return "AppArmor restricts unprivileged user namespaces: run 'sysctl -w "
		       "kernel.apparmor_restrict_unprivileged_userns=0' or install an AppArmor profile for sbx "
		       "(see the README)";
	if (err == ENOSYS && stage >= SBX_STAGE_MOUNT_PRIVATE && stage <= SBX_STAGE_ENTER_ROOT)
		return "sbx needs Linux 5.12 or later (new mount API)";
	if (stage == SBX_STAGE_MOUNT_USER && err == ENOENT)
		return "a mount source or target does not exist; targets must exist in the host tree or lie under a --tmpfs";
	return NULL;
}

/*
 * @detail comes from sandbox init, which quoted every path in it
 * (sbx_quote()); the EXEC detail is the quoted command.
 */
static void set_failure(struct sbx_outcome *out, enum sbx_stage stage, int err, const char *detail)
{
	const char *hint = hint_for(stage, err);

	out->kind = SBX_OUTCOME_SETUP_FAILED;
	if (stage == SBX_STAGE_EXEC) {
		out->kind = err == ENOENT ? SBX_OUTCOME_NOT_FOUND : SBX_OUTCOME_NOT_EXECUTABLE;
		snprintf(out->message, sizeof(out->message), "%s: %s", detail && *detail ? detail : "command",
			 err == ENOENT ? "command not found" : strerror(err));
		return;
	}
	snprintf(out->message, sizeof(out->message), "%s%s%s: %s%s%s", sbx_stage_name(stage),
		 detail && *detail ? " " : "", detail ? detail : "", strerror(err), hint ? "; " : "", hint ? hint : "");
}

static int write_map(pid_t pid, const char *file, const char *content)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(content);

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len)
		return sbx_neg_errno();
	return 0;
}

static int write_id_maps(pid_t pid, uid_t in_uid, uid_t out_uid, gid_t in_gid, gid_t out_gid)
{
	char map[64];
	int r;

	snprintf(map, sizeof(map), "%u %u 1\n", in_uid, out_uid);
	r = write_map(pid, "uid_map", map);
	if (r < 0)
		return r;
	r = write_map(pid, "setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", in_gid, out_gid);
	return write_map(pid, "gid_map", map);
}

struct supervisor {
	const struct sbx_config *cfg;
	struct sbx_outcome *out;
	struct sbx_loop *loop;
	struct sbx_livepolicy *policy;	 /* allowlist and open, and any posture with --control-fd */
	struct sbx_control *control;	 /* --control-fd, or NULL */
	struct sbx_allowlist *allowlist; /* allowlist: proxy and DNS stub, once init sent the listeners */
	struct sbx_uplink *uplink;	 /* allowlist: --upstream-proxy, or NULL */
	struct sbx_deputy *deputy;	 /* serves the payload's seccomp listener, every posture */
	struct sbx_jsonl *status;	 /* --json-status-fd, or NULL */
	struct sbx_jsonl *log;		 /* the decision log, or NULL (may be @status) */
	char id[72];			 /* on every line of both streams */
	int pidfd;
	pid_t init_pid;
	int report_fd;
	struct sbx_watch report_w, pid_w, sig_w, timer_w, kill_w;
	uint64_t kill_deadline_ms; /* CLOCK_MONOTONIC, 0: not armed */
	int kill_cause;		   /* the forwarded signal that armed it, 0 for --timeout */
	bool have_result;	   /* out->kind decided by a report */
	bool timed_out;
	bool killed; /* sbx sent init SIGKILL at the deadline */
	int loop_err;
};

/* Whole milliseconds as seconds, the shortest exact decimal: "2", "1.5", "0.001". */
static const char *seconds_text(char *buf, size_t len, uint64_t ms)
{
	int n = snprintf(buf, len, "%llu.%03llu", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));

	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

/*
 * --log-file: the supervisor writes text the payload chose (a refused name)
 * into it, so it must be the file the user meant: never through a symlink
 * (another local user could plant one into a shell start-up file), never a
 * file someone else owns, never anything but a regular file (a FIFO would
 * block the open, or later every write). O_NONBLOCK keeps the open itself
 * from blocking on a FIFO; the checks run on the opened descriptor.
 */
static int open_log_file(const char *path, char *msg, size_t msglen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, 0600);
	struct stat st;

	char q[SBX_QUOTE_LEN];
	int e;

	sbx_quote(q, sizeof(q), path);
	if (fd < 0) {
		e = errno;
		snprintf(msg, msglen, "--log-file %s: %s", q,
			 e == ELOOP   ? "is a symbolic link (name the file itself)"
			 : e == ENXIO ? "not a regular file (a FIFO or a device)"
				      : strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(msg, msglen, "--log-file %s: %s", q, strerror(e));
	} else if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		snprintf(msg, msglen, "--log-file %s: not a regular file", q);
	} else if (st.st_uid != geteuid()) {
		e = EPERM;
		snprintf(msg, msglen, "--log-file %s: owned by uid %u, not by you (uid %u)", q, (unsigned)st.st_uid,
			 (unsigned)geteuid());
	} else {
		return fd;
	}
	close(fd);
	return -e;
}

/*
 * The status stream and the decision log, written without ever blocking
 * (lib/jsonl.c). One descriptor given for both gets one writer, so its
 * lines keep their order.
 */
static int open_streams(struct supervisor *s, int log_file_fd)
{
	const struct sbx_config *cfg = s->cfg;
	const char *posture = sbx_posture_name(cfg->posture);
	int log_fd = log_file_fd >= 0 ? log_file_fd : cfg->log_fd;
	int r;

	if (cfg->json_status_fd >= 0) {
		r = sbx_jsonl_new(s->loop, cfg->json_status_fd, s->id, &s->status);
		if (r < 0) {
			snprintf(s->out->message, sizeof(s->out->message), "--json-status-fd %d: %s",
				 cfg->json_status_fd, strerror(-r));
			return r;
		}
	}
	if (log_fd >= 0 && log_fd == cfg->json_status_fd) {
		s->log = s->status;
	} else if (log_fd >= 0) {
		r = sbx_jsonl_new(s->loop, log_fd, s->id, &s->log);
		if (r < 0) {
			snprintf(s->out->message, sizeof(s->out->message), "the decision log: %s", strerror(-r));
			return r;
		}
	}
	sbx_jsonl_hello(s->status, s->log == s->status ? "status+decisions" : "status", posture);
	if (s->log != s->status)
		sbx_jsonl_hello(s->log, "decisions", posture);
	return 0;
}

/*
 * --control-fd and --ask-fd read lines as they come: a pipe or a socket
 * (epoll cannot wait on a regular file, and a terminal is no orchestrator).
 */
static int check_channel(const char *opt, int in_fd, int out_fd, char *msg, size_t msglen)
{
	struct stat st;
	int fl;

	if (in_fd < 0)
		return 0;
	if (fstat(in_fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		snprintf(msg, msglen, "%s %d: must be a pipe or a socket (sbx reads lines from it as they come)", opt,
			 in_fd);
		return -EINVAL;
	}
	fl = fcntl(in_fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY) {
		snprintf(msg, msglen, "%s %d: not open for reading", opt, in_fd);
		return -EBADF;
	}
	fl = fcntl(out_fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		snprintf(msg, msglen, "%s %d: not open for writing", opt, out_fd);
		return -EBADF;
	}
	return 0;
}

/*
 * --control-fd. Replies given the status stream's or the log's descriptor
 * share that writer, so lines never interleave mid-line.
 */
static int start_control(struct supervisor *s, int log_file_fd)
{
	const struct sbx_config *cfg = s->cfg;
	struct sbx_jsonl *out = NULL;
	int r;

	if (cfg->control_in_fd < 0)
		return 0;
	if (s->status && cfg->control_out_fd == cfg->json_status_fd)
		out = s->status;
	else if (s->log && log_file_fd < 0 && cfg->control_out_fd == cfg->log_fd)
		out = s->log;
	r = sbx_control_new(s->loop, cfg->control_in_fd, out, cfg->control_out_fd, s->id, s->policy, &s->control);
	if (r < 0)
		snprintf(s->out->message, sizeof(s->out->message), "--control-fd %d,%d: %s", cfg->control_in_fd,
			 cfg->control_out_fd, r == -EBADF ? "not open for reading" : strerror(-r));
	return r;
}

/*
 * The sandbox's id on every line of both streams: --id NAME, or one made up
 * here ("sbx-" and 12 random hex digits) that is unique enough to tell the
 * sandboxes of one orchestrator apart.
 */
static void make_id(struct supervisor *s)
{
	uint8_t r[6] = {0};

	if (s->cfg->id) {
		snprintf(s->id, sizeof(s->id), "%s", s->cfg->id);
		return;
	}
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		uint64_t t = sbx_loop_now_ms() ^ ((uint64_t)getpid() << 20);

		memcpy(r, &t, sizeof(r));
	}
	snprintf(s->id, sizeof(s->id), "sbx-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* Last lines out; what a reader that never caught up lost is said once, on stderr. */
static void close_streams(struct supervisor *s)
{
	uint64_t lost_log = s->log != s->status ? sbx_jsonl_free(s->log, SBX_JSONL_DRAIN_MS) : 0;
	uint64_t lost_status = sbx_jsonl_free(s->status, SBX_JSONL_DRAIN_MS);

	if (lost_log)
		fprintf(stderr, "sbx: the decision log's reader did not keep up: %llu lines lost\n",
			(unsigned long long)lost_log);
	if (lost_status)
		fprintf(stderr, "sbx: the --json-status-fd reader did not keep up: %llu lines lost\n",
			(unsigned long long)lost_status);
	s->log = s->status = NULL;
}

static void handle_report(struct supervisor *s, const struct sbx_report *rep, pid_t host_pid, int *fds, size_t n_fds)
{
	switch (rep->type) {
	case SBX_REPORT_ERROR:
		set_failure(s->out, (enum sbx_stage)rep->stage, rep->err, rep->detail);
		sbx_status_error(s->status, sbx_stage_code((enum sbx_stage)rep->stage),
				 sbx_stage_name((enum sbx_stage)rep->stage), rep->err, s->out->message);
		s->have_result = true;
		break;
	case SBX_REPORT_STARTED:
		sbx_status_started(s->status, getpid(), s->init_pid, host_pid, rep->ns_pid);
		break;
	case SBX_REPORT_NETWORK:
		if (n_fds != SBX_GW_N_FDS || s->allowlist) {
			set_failure(s->out, SBX_STAGE_NETWORK, EPROTO, "listeners from sandbox init");
			s->have_result = true;
			break;
		}
		s->loop_err = sbx_allowlist_start(s->loop, s->cfg, s->policy, s->id, s->uplink, s->log, s->init_pid,
						  fds, &s->allowlist);
		if (s->loop_err < 0) {
			set_failure(s->out, SBX_STAGE_NETWORK, -s->loop_err, "starting the proxy");
			s->have_result = true;
			break;
		}
		for (size_t i = 0; i < n_fds; i++)
			fds[i] = -1; /* the gateway owns them now */
		break;
	case SBX_REPORT_TMPFS:
		if (rep->status < 0 || (size_t)rep->status > SBX_REPORT_TMPFS_MAX) {
			set_failure(s->out, SBX_STAGE_NOTIFY, EPROTO, "tmpfs mounts from sandbox init");
			s->have_result = true;
			break;
		}
		{
			uint64_t devs[SBX_REPORT_TMPFS_MAX];

			memcpy(devs, rep->detail, (size_t)rep->status * sizeof(uint64_t));
			s->loop_err = sbx_deputy_add_tmpfs(s->deputy, devs, (size_t)rep->status);
		}
		if (s->loop_err < 0) {
			set_failure(s->out, SBX_STAGE_NOTIFY, -s->loop_err, "tmpfs mounts from sandbox init");
			s->have_result = true;
		}
		break;
	case SBX_REPORT_NOTIFY:
		if (n_fds < 1 || n_fds > 2) {
			set_failure(s->out, SBX_STAGE_NOTIFY, EPROTO, "seccomp listener from sandbox init");
			s->have_result = true;
			break;
		}
		s->loop_err = sbx_deputy_start(s->deputy, fds[0], n_fds > 1 ? fds[1] : -1);
		fds[0] = fds[1] = -1; /* taken, even on failure */
		if (s->loop_err < 0) {
			set_failure(s->out, SBX_STAGE_NOTIFY, -s->loop_err, "serving the seccomp listener");
			s->have_result = true;
			break;
		}
		sbx_status_network(s->status, s->cfg->posture, rep->err, rep->landlock_unix, rep->status);
		break;
	case SBX_REPORT_EXITED:
		if (WIFSIGNALED(rep->status)) {
			s->out->kind = SBX_OUTCOME_SIGNALED;
			s->out->signal = WTERMSIG(rep->status);
		} else {
			s->out->kind = SBX_OUTCOME_EXITED;
			s->out->code = WEXITSTATUS(rep->status);
		}
		s->have_result = true;
		break;
	}
}

/* Read every queued report; the kernel keeps them after init exits. */
static void drain_reports(struct supervisor *s)
{
	for (;;) {
		struct sbx_report rep;
		int fds[SBX_FDPASS_MAX];
		size_t n_fds = 0;
		pid_t host_pid = 0;
		ssize_t n = sbx_fdpass_recv(s->report_fd, &rep, sizeof(rep), fds, &n_fds, &host_pid);

		if (n <= 0)
			return;
		if ((size_t)n == sizeof(rep)) {
			rep.detail[sizeof(rep.detail) - 1] = '\0';
			handle_report(s, &rep, host_pid, fds, n_fds);
		}
		for (size_t i = 0; i < n_fds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
}

static void on_report(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct supervisor *s = (struct supervisor *)((char *)w - offsetof(struct supervisor, report_w));

	drain_reports(s);
	/* An exit status or a setup error is final: by then sandbox init has emptied the
	 * sandbox and only _exit()s (see init.c). */
	if (s->have_result)
		sbx_loop_quit(loop);
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void kill_sandbox(struct supervisor *s)
{
	s->killed = true;
	pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
	if (s->kill_w.fd >= 0)
		sbx_loop_unwatch(s->loop, &s->kill_w);
}

/*
 * SIGKILL the sandbox @grace_ms from now unless it ends first. An earlier
 * deadline stands: a second signal never buys the payload more time.
 */
static void arm_kill(struct supervisor *s, uint64_t grace_ms, int cause)
{
	uint64_t deadline = monotonic_ms() + grace_ms;
	struct itimerspec its = {0};

	if (s->killed || (s->kill_deadline_ms && s->kill_deadline_ms <= deadline))
		return;
	if (grace_ms == 0 || s->kill_w.fd < 0) {
		kill_sandbox(s);
		return;
	}
	its.it_value.tv_sec = (time_t)(deadline / 1000);
	its.it_value.tv_nsec = (long)(deadline % 1000) * 1000000;
	if (timerfd_settime(s->kill_w.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		kill_sandbox(s); /* fail closed: no deadline means no grace */
		return;
	}
	s->kill_deadline_ms = deadline;
	s->kill_cause = cause;
}

static void on_signal(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct supervisor *s = (struct supervisor *)((char *)w - offsetof(struct supervisor, sig_w));
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		pidfd_send_signal(s->pidfd, sig, NULL, 0);
		if (s->cfg->kill_after_set && (sig == SIGTERM || sig == SIGINT || sig == SIGHUP))
			arm_kill(s, s->cfg->kill_after_ms, sig);
	}
}

static void on_timeout(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct supervisor *s = (struct supervisor *)((char *)w - offsetof(struct supervisor, timer_w));
	uint64_t grace = s->cfg->kill_after_set ? s->cfg->kill_after_ms : SBX_DEFAULT_KILL_AFTER_MS;

	s->timed_out = true;
	sbx_loop_unwatch(loop, w);
	/* Init passes SIGTERM on to the payload, as it does a forwarded one. */
	if (grace)
		pidfd_send_signal(s->pidfd, SIGTERM, NULL, 0);
	arm_kill(s, grace, 0);
}

static void on_kill_deadline(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	kill_sandbox(sbx_container_of(w, struct supervisor, kill_w));
}

static void on_init_exit(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct supervisor *s = (struct supervisor *)((char *)w - offsetof(struct supervisor, pid_w));
	siginfo_t si = {0};

	drain_reports(s);
	if (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED) < 0)
		s->loop_err = -errno;
	sbx_loop_quit(loop);
}

static int event_loop(struct supervisor *s, int sig_fd)
{
	_cleanup_close_ int timer_fd = -1, kill_fd = -1;
	int r;

	s->report_w = (struct sbx_watch){.cb = on_report, .fd = s->report_fd};
	s->pid_w = (struct sbx_watch){.cb = on_init_exit, .fd = s->pidfd};
	s->sig_w = (struct sbx_watch){.cb = on_signal, .fd = sig_fd};
	s->kill_w = (struct sbx_watch){.cb = on_kill_deadline, .fd = -1};
	if (s->cfg->timeout_ms || s->cfg->kill_after_set) {
		kill_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (kill_fd < 0)
			return -errno;
		s->kill_w.fd = kill_fd;
		if ((r = sbx_loop_watch(s->loop, &s->kill_w, EPOLLIN)) < 0)
			return r;
	}
	if (s->cfg->timeout_ms) {
		struct itimerspec its = {0};

		timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (timer_fd < 0)
			return -errno;
		its.it_value.tv_sec = (time_t)(s->cfg->timeout_ms / 1000);
		its.it_value.tv_nsec = (long)(s->cfg->timeout_ms % 1000) * 1000000;
		if (timerfd_settime(timer_fd, 0, &its, NULL) < 0)
			return -errno;
		s->timer_w = (struct sbx_watch){.cb = on_timeout, .fd = timer_fd};
		if ((r = sbx_loop_watch(s->loop, &s->timer_w, EPOLLIN)) < 0)
			return r;
	}
	if ((r = sbx_loop_watch(s->loop, &s->pid_w, EPOLLIN)) < 0 ||
	    (r = sbx_loop_watch(s->loop, &s->report_w, EPOLLIN)) < 0 ||
	    (r = sbx_loop_watch(s->loop, &s->sig_w, EPOLLIN)) < 0)
		return r;
	r = sbx_loop_run(s->loop);
	if (r < 0)
		return r;
	return s->loop_err;
}

/* How the run ended when sbx ended it: --timeout, or the grace after a forwarded signal ran out. */
static void ended_by_sbx(struct supervisor *s)
{
	const struct sbx_config *cfg = s->cfg;
	struct sbx_outcome *out = s->out;
	uint64_t grace = cfg->kill_after_set ? cfg->kill_after_ms : SBX_DEFAULT_KILL_AFTER_MS;
	char t[32], g[32];

	seconds_text(g, sizeof(g), grace);
	if (s->timed_out) {
		out->kind = SBX_OUTCOME_TIMEOUT;
		seconds_text(t, sizeof(t), cfg->timeout_ms);
		if (!grace)
			snprintf(out->message, sizeof(out->message), "timeout after %s s: sandbox killed", t);
		else if (s->killed)
			snprintf(out->message, sizeof(out->message),
				 "timeout after %s s: the payload got SIGTERM and the sandbox was still running %s s "
				 "later (--kill-after): sandbox killed",
				 t, g);
		else
			snprintf(out->message, sizeof(out->message),
				 "timeout after %s s: the payload got SIGTERM and the sandbox ended", t);
		sbx_status_timeout(s->status, t, s->killed);
		return;
	}
	out->kind = SBX_OUTCOME_SIGNALED;
	out->signal = SIGKILL;
	out->killed = true;
	snprintf(out->message, sizeof(out->message),
		 "the sandbox was still running %s s after sbx forwarded SIG%s (--kill-after): sandbox killed", g,
		 sigabbrev_np(s->kill_cause) ? sigabbrev_np(s->kill_cause) : "?");
	sbx_status_exited(s->status, SIGKILL, 128 + SIGKILL, true);
}

/**
 * sbx_supervisor_run() - run cfg->argv in a new sandbox and wait for it.
 * @cfg: validated configuration (posture blocked)
 * @out: how the run ended (exit code, signal, timeout or a setup failure with its message)
 *
 * Context: the supervisor, in the caller's namespaces, single-threaded.
 * Return: 0 when @out is filled in (including setup failures inside the
 * sandbox), or a negative errno for a failure of the supervisor itself,
 * with @out->message set.
 */
int sbx_supervisor_run(const struct sbx_config *cfg, struct sbx_outcome *out)
{
	struct sbx_init_args args = {.cfg = cfg, .supervisor_pidfd = -1};
	char **env_removed = NULL;
	struct sbx_plan plan = {0};
	struct supervisor s = {.cfg = cfg, .out = out, .pidfd = -1, .report_fd = -1};
	_cleanup_close_ int log_file_fd = -1;
	_cleanup_close_ int sig_fd = -1, child_end = -1, pidfd = -1, report_fd = -1, self_pidfd = -1;
	char cwd[4096];
	sigset_t fwd;
	struct sigaction old_pipe;
	struct clone_args ca = {0};
	int sv[2], one = 1;
	long pid;
	int r;

	memset(out, 0, sizeof(*out));
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(out->message, sizeof(out->message), "cannot determine the working directory: %s",
			 strerror(errno));
		return -errno;
	}
	args.cwd = cwd;
	r = sbx_plan_build(cfg, cwd, &plan);
	if (r < 0) {
		snprintf(out->message, sizeof(out->message), "planning the filesystem: %s", strerror(-r));
		goto out;
	}
	args.home = plan.home[0] ? plan.home : NULL;
	args.home_model = plan.home_model;
	args.mounts = plan.mounts;
	args.n_mounts = plan.n_mounts;
	if (cfg->posture == SBX_POSTURE_ALLOWLIST || cfg->posture == SBX_POSTURE_OPEN || cfg->control_in_fd >= 0) {
		struct sbx_policy *built;

		/* Every policy error is found here, before anything starts. */
		r = sbx_policy_build(cfg, &built, out->message, sizeof(out->message));
		if (r < 0)
			goto out;
		r = sbx_livepolicy_new(built, &s.policy);
		if (r < 0) {
			snprintf(out->message, sizeof(out->message), "out of memory");
			goto out;
		}
	}
	r = check_channel("--control-fd", cfg->control_in_fd, cfg->control_out_fd, out->message, sizeof(out->message));
	if (r == 0)
		r = check_channel("--ask-fd", cfg->ask_in_fd, cfg->ask_out_fd, out->message, sizeof(out->message));
	if (r < 0)
		goto out;
	if (cfg->log_file) {
		r = open_log_file(cfg->log_file, out->message, sizeof(out->message));
		if (r < 0)
			goto out;
		log_file_fd = r;
	}
	/* Issue 12: the upstream proxy; also erases SBX_UPSTREAM_PROXY_AUTH from sbx's environment, before
	 * the payload's is built from it. */
	r = sbx_uplink_load(cfg, &s.uplink, out->message, sizeof(out->message));
	if (r < 0)
		goto out;
	r = sbx_loop_new(&s.loop);
	if (r < 0) {
		snprintf(out->message, sizeof(out->message), "creating the event loop: %s", strerror(-r));
		goto out;
	}
	make_id(&s);
	r = open_streams(&s, log_file_fd);
	if (r < 0)
		goto out;
	if (s.policy)
		sbx_livepolicy_set_log(s.policy, s.log);
	r = start_control(&s, log_file_fd);
	if (r < 0)
		goto out;
	/* Every posture: resolves --allow-unix; open posture: refuses what it cannot enforce, resolves
	 * exact-name deny rules. */
	r = sbx_deputy_new(s.loop, cfg, s.policy, s.log, &s.deputy, out->message, sizeof(out->message));
	if (r < 0)
		goto out;
	r = sbx_env_build(cfg, environ, &args.envp, &env_removed);
	if (r < 0) {
		snprintf(out->message, sizeof(out->message), "building the environment: %s", strerror(-r));
		goto out;
	}
	sbx_status_environment(s.status, (const char *const *)env_removed);

	sigemptyset(&fwd);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(sbx_forwarded); i++)
		sigaddset(&fwd, sbx_forwarded[i]);
	sigprocmask(SIG_BLOCK, &fwd, &args.saved_mask);
	sig_fd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A closed --json-status-fd reader must not kill the supervisor. */
	sigaction(SIGPIPE, NULL, &old_pipe);
	args.sigpipe_ignored = old_pipe.sa_handler == SIG_IGN;
	signal(SIGPIPE, SIG_IGN);
	self_pidfd = pidfd_open(getpid(), 0);
	args.supervisor_pidfd = self_pidfd;
	if (sig_fd < 0 || self_pidfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		snprintf(out->message, sizeof(out->message), "creating supervisor descriptors: %s", strerror(errno));
		goto out;
	}
	report_fd = sv[0];
	child_end = sv[1];
	setsockopt(report_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	args.report_fd = child_end;

	/* No CLONE_NEWNET: init creates the network namespace itself, in parallel with its mounts. */
	ca.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
		   CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		r = -errno;
		set_failure(out, SBX_STAGE_CLONE, errno, NULL);
		sbx_status_error(s.status, sbx_stage_code(SBX_STAGE_CLONE), sbx_stage_name(SBX_STAGE_CLONE), -r,
				 out->message);
		r = 0;
		goto out;
	}
	if (pid == 0) {
		close(report_fd);
		sbx_init_main(&args);
	}
	SBX_TAKE_FD(child_end);
	close(sv[1]);
	s.pidfd = pidfd;
	s.init_pid = (pid_t)pid;
	sbx_deputy_set_sandbox(s.deputy, s.init_pid);
	s.report_fd = report_fd;

	r = write_id_maps(s.init_pid, cfg->uid_set ? cfg->uid : getuid(), getuid(), cfg->gid_set ? cfg->gid : getgid(),
			  getgid());
	if (r < 0) {
		pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)pidfd, &(siginfo_t){0}, WEXITED);
		set_failure(out, SBX_STAGE_IDMAP, -r, NULL);
		sbx_status_error(s.status, sbx_stage_code(SBX_STAGE_IDMAP), sbx_stage_name(SBX_STAGE_IDMAP), -r,
				 out->message);
		r = 0;
		goto out;
	}
	if (write(report_fd, "g", 1) != 1) {
		r = -errno;
		snprintf(out->message, sizeof(out->message), "starting sandbox init: %s", strerror(errno));
		goto out;
	}

	r = event_loop(&s, sig_fd);
	if (r < 0) {
		snprintf(out->message, sizeof(out->message), "supervisor event loop: %s", strerror(-r));
		pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		goto out;
	}
	if (s.timed_out || (s.killed && !s.have_result)) {
		ended_by_sbx(&s);
	} else if (!s.have_result) {
		out->kind = SBX_OUTCOME_SETUP_FAILED;
		snprintf(out->message, sizeof(out->message),
			 "sandbox init ended without reporting the payload's status");
	} else if (out->kind == SBX_OUTCOME_EXITED || out->kind == SBX_OUTCOME_SIGNALED) {
		/* The shell's convention for the payload's status: 128+N for signal N. */
		sbx_status_exited(s.status, out->kind == SBX_OUTCOME_SIGNALED ? out->signal : 0,
				  out->kind == SBX_OUTCOME_SIGNALED ? 128 + out->signal : out->code, false);
	}
	r = 0;
out:
	sbx_control_free(s.control);
	sbx_deputy_free(s.deputy);
	sbx_allowlist_free(s.allowlist);
	sbx_uplink_free(s.uplink);
	/* After the services: they log the connections they close. */
	close_streams(&s);
	sbx_loop_free(s.loop);
	sbx_livepolicy_free(s.policy);
	sbx_env_free(args.envp);
	sbx_env_free(env_removed);
	sbx_plan_free(&plan);
	return r;
}
