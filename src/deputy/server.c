// SPDX-License-Identifier: Apache-2.0
/* The user-notification server, every posture: receiver thread, worker pool, dispatch, and the public interface. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "lib/fds.h"
#include "lib/netlog.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * The payload runs under a second seccomp filter (seccomp/notify.def), in
 * every posture, whose listener only the supervisor holds. Every connect(),
 * sendto() with an address, sendmsg() and sendmmsg() (and in open posture
 * bind()) stops in the kernel until we answer. What is judged depends on
 * the posture: in open posture every destination (the deny-list below); in
 * every posture a unix socket path (unix.c: no host socket unless
 * --allow-unix names it). In blocked and allowlist postures an inet
 * destination is not judged here: the payload's socket lives in the
 * sandbox's network namespace, whose wall holds for the call sbx performs
 * on it as for the payload's own.
 *
 * 1. A receiver thread takes each notification (SECCOMP_IOCTL_NOTIF_RECV)
 *    and queues it. That ioctl blocks when there is nothing to take, and a
 *    notification can vanish between poll() and the ioctl (its thread was
 *    signalled or killed), so it cannot live on the event loop without
 *    risking a stalled loop.
 * 2. A worker thread takes it: reads the arguments it needs (destination,
 *    msghdr, data) from the payload's memory with process_vm_readv() into
 *    its own buffers, checks
 *    SECCOMP_IOCTL_NOTIF_ID_VALID (the thread id was not recycled while we
 *    read), judges *its copy* with the policy engine plus the addresses of
 *    exact-name deny rules, then takes a duplicate of the payload's socket
 *    with pidfd_getfd() (pidfd of the notifying thread, PIDFD_THREAD; ID_VALID
 *    again after pidfd_open) and performs the call itself with that copy.
 *    The answer is the call's own result (value or errno). No call that
 *    carries an address is ever let through with
 *    SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel would re-read memory and
 *    descriptors another payload thread may have changed since the check.
 * 3. The duplicate shares the payload's open file description, so blocking
 *    and non-blocking sockets behave as the payload set them (EINPROGRESS,
 *    SO_SNDTIMEO, ...), and a slow blocking call ties up one worker, never
 *    the event loop.
 * 4. Refusals of inet destinations (open posture): connect answers
 *    ECONNREFUSED, the sends EACCES; each decision goes to the decision log
 *    (proto connect/sendto/sendmsg/sendmmsg).
 * 5. Unix sockets: the call is performed by the supervisor, whose root and
 *    working directory are not the payload's. A path is therefore opened
 *    (O_PATH) inside the payload's root (/proc/TID/root, RESOLVE_IN_ROOT,
 *    relative paths from /proc/TID/cwd), judged by the file it found
 *    (unix.c; a refusal answers EACCES and is logged with proto
 *    unix-connect, unix-sendto, ...) and the call is made to
 *    /proc/thread-self/fd/N (thread-self: the worker's descriptor table is
 *    its own). Abstract addresses are refused in open posture (EPERM): they
 *    live in the host's network namespace, so they would be host sockets;
 *    in the others they are the sandbox's own.
 * 6. Open posture: exact-name deny rules are resolved at start and again
 *    every SBX_DEPUTY_REFRESH_SEC seconds on the event loop (the resolver pool);
 *    a failed refresh keeps the previous addresses.
 *
 * The pool. A blocking connect() to an address that never answers holds its
 * worker for the kernel's whole SYN timeout (about two minutes), so a slow
 * call must never make another one wait:
 *  - A notification gets a worker of its own at once: n_idle counts the
 *    workers not performing a call, and every queued notification is
 *    promised to one of them, so the receiver starts a worker whenever the
 *    queue outgrows n_idle (a worker just woken for a job, not yet off the
 *    queue, is never counted twice).
 *  - At most SBX_DEPUTY_MAX_WORKERS (128) calls run at once: twice what a
 *    thread-per-connection payload plausibly keeps blocked, while keeping
 *    what a payload can make sbx hold bounded (128 threads and at most
 *    128 send buffers of 4 MiB). Workers are started on demand and kept.
 *  - Past the bound a notification waits for the first worker to come free,
 *    at most SBX_DEPUTY_QUEUE_MS (500 ms: far longer than a burst of fast
 *    calls takes to drain, far shorter than a stuck one): then it is
 *    answered ENOBUFS ("no buffer space available"). That says the system
 *    ran short, not that the destination failed, and nothing was sent, so
 *    the payload may retry; EAGAIN would mean "no free local port" to
 *    connect(), ECONNREFUSED would blame the destination. The decision log
 *    says so ("error": "sbx is busy ..."). No notification ever waits
 *    longer than that behind slow calls, and the queue holds at most one
 *    notification per payload thread.
 *  - Each worker has a descriptor table of its own (unshare(CLONE_FILES)),
 *    with only the listener, the diag socket and the decision log in it. In
 *    allowlist posture the proxy may hold every descriptor RLIMIT_NOFILE
 *    allows (it then waits, see src/allowlist/), and the payload's connect()
 *    to the proxy must still be performed, to wait in the proxy's backlog as
 *    any client does: the limit counts per table, so the proxy's descriptors
 *    never starve the workers. It also keeps the proxy's sockets out of the
 *    threads that act for the payload.
 *  - A worker whose payload thread stopped waiting (killed, or interrupted
 *    by a signal: the kernel drops the notification) is interrupted with
 *    a signal within SBX_DEPUTY_SCAN_MS (1 s): the receiver checks
 *    NOTIF_ID_VALID for every call older than that. A connect() the payload
 *    gave up on then stops holding a worker; the kernel's own connection
 *    attempt continues on the socket, as it would for the payload.
 * The receiver sleeps in ppoll() on the listener, woken by the next
 * notification, the oldest queued one's deadline or the scan, and calls the
 * ioctl only when ppoll() saw a notification (this thread alone takes them;
 * one that vanished meanwhile makes the ioctl fail with ENOENT, as the
 * kernel does not take back its count). deputy_sig() is blocked except inside
 * ppoll() and the ioctl, so the signal sbx_deputy_free() sends is never lost
 * between the check of n->stopping and the wait.
 */

struct job {
	struct sbx_list link; /* in sbx_deputy.jobs */
	uint64_t queued_ms;
	struct seccomp_notif req;
};

static int deputy_sig(void)
{
	return SIGRTMIN + 4;
}

static void on_deputy_sig(int sig)
{
	(void)sig;
}

/* ---- one notification ------------------------------------------------------ */

static void handle(struct sbx_deputy *n, const struct seccomp_notif *req)
{
	struct call c = {.srv = n, .req = req, .pidfd = -1, .sock_fd = -1, .path_fd = -1};

	switch (req->data.nr) {
	case SYS_connect:
		sbx_perform_connect(&c);
		break;
	case SYS_sendto:
		sbx_perform_sendto(&c);
		break;
	case SYS_sendmsg:
		sbx_perform_sendmsg(&c);
		break;
	case SYS_sendmmsg:
		sbx_perform_sendmmsg(&c);
		break;
	case SYS_bind:
		sbx_perform_bind(&c);
		break;
	default:
		sbx_call_reply(&c, 0, ENOSYS);
		break;
	}
	if (c.sock_fd >= 0)
		close(c.sock_fd);
	if (c.path_fd >= 0)
		close(c.path_fd);
	if (c.pidfd >= 0)
		close(c.pidfd);
}

static void unblock_deputy_sig(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, deputy_sig());
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/*
 * A worker's descriptor table of its own, holding only what it uses: 0-2,
 * the listener, the diag socket and the decision log's descriptor. The
 * duplicates, pidfds and paths it opens then never compete with the proxy
 * for RLIMIT_NOFILE, which counts per table (see "The pool"). If unshare()
 * fails the worker keeps sharing: it works, and only competes. Its own
 * filesystem attributes too, so that it may take the payload's umask for a
 * bind() (bind.c) without changing the other threads'.
 */
__thread bool sbx_deputy_own_fs;

static void own_tables(const struct sbx_deputy *n)
{
	int keep[6] = {0, 1, 2, n->listener_fd, sbx_unix_diag_fd(n->doors), sbx_jsonl_fd(n->log)};

	if (unshare(CLONE_FILES) == 0)
		sbx_fds_close_except(keep, SBX_ARRAY_SIZE(keep));
	sbx_deputy_own_fs = unshare(CLONE_FS) == 0;
}

static void *worker_main(void *arg)
{
	struct sbx_deputy_worker *w = arg;
	struct sbx_deputy *n = w->srv;

	own_tables(n);
	unblock_deputy_sig();
	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct job *j;

		while (sbx_list_empty(&n->jobs) && !n->stopping)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->stopping)
			break;
		j = sbx_list_first(&n->jobs, struct job, link);
		sbx_list_del(&j->link);
		n->n_queued--;
		n->n_idle--;
		w->id = j->req.id;
		w->since_ms = sbx_loop_now_ms();
		pthread_mutex_unlock(&n->mu);
		handle(n, &j->req);
		free(j);
		pthread_mutex_lock(&n->mu);
		w->id = 0;
		n->n_idle++;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* Queue @j and make sure a worker will take it. Context: the receiver, n->mu held. */
static void dispatch(struct sbx_deputy *n, struct job *j)
{
	j->queued_ms = sbx_loop_now_ms();
	sbx_list_add_tail(&n->jobs, &j->link);
	n->n_queued++;
	if (n->n_queued > n->n_idle && n->n_workers < SBX_DEPUTY_MAX_WORKERS) {
		struct sbx_deputy_worker *w = &n->workers[n->n_workers];

		*w = (struct sbx_deputy_worker){.srv = n};
		/* On failure (RLIMIT_NPROC, memory) the job waits as past the bound. */
		if (pthread_create(&w->thread, NULL, worker_main, w) == 0) {
			n->n_workers++;
			n->n_idle++;
		}
	}
	pthread_cond_signal(&n->cv);
}

static const char *proto_of(const struct seccomp_notif *req)
{
	switch (req->data.nr) {
	case SYS_connect:
		return "connect";
	case SYS_sendto:
		return "sendto";
	case SYS_sendmsg:
		return "sendmsg";
	case SYS_sendmmsg:
		return "sendmmsg";
	case SYS_bind:
		return "bind";
	}
	return "unknown";
}

/* Answer ENOBUFS to a notification no worker could take in time. Context: the receiver, n->mu not held. */
static void refuse_busy(struct sbx_deputy *n, struct job *j)
{
	struct call c = {.srv = n, .req = &j->req, .pidfd = -1, .sock_fd = -1, .path_fd = -1};
	char why[160];
	struct sbx_netlog_entry e = {.posture = sbx_posture_name(n->posture), .proto = proto_of(&j->req), .error = why};

	/* n_workers changes only on this thread. */
	snprintf(why, sizeof(why), "sbx is busy: no worker of %u came free in %u ms (answered ENOBUFS)", n->n_workers,
		 SBX_DEPUTY_QUEUE_MS);
	sbx_call_reply(&c, 0, ENOBUFS);
	sbx_netlog_write(n->log, &e);
}

/*
 * The pool's clock: take the notifications past their wait out of the queue
 * (into @expired), interrupt workers whose notification is gone.
 * Context: the receiver, n->mu held.
 * Return: milliseconds until the next thing to do, or -1 for none.
 */
static int housekeep(struct sbx_deputy *n, struct sbx_list *expired)
{
	uint64_t now = sbx_loop_now_ms();
	int next = -1;

	while (n->n_queued > n->n_idle) {
		struct job *j = sbx_list_first(&n->jobs, struct job, link);

		if (now < j->queued_ms + SBX_DEPUTY_QUEUE_MS) {
			next = (int)(j->queued_ms + SBX_DEPUTY_QUEUE_MS - now);
			break;
		}
		sbx_list_del(&j->link);
		n->n_queued--;
		sbx_list_add_tail(expired, &j->link);
	}
	for (unsigned i = 0; i < n->n_workers; i++) {
		struct sbx_deputy_worker *w = &n->workers[i];
		uint64_t id = w->id;

		if (!id)
			continue;
		if (now >= w->since_ms + SBX_DEPUTY_SCAN_MS) {
			/* The worker cannot take another notification while we hold mu. */
			if (ioctl(n->listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT)
				pthread_kill(w->thread, deputy_sig());
			w->since_ms = now;
		}
		if (next < 0 || w->since_ms + SBX_DEPUTY_SCAN_MS - now < (uint64_t)next)
			next = (int)(w->since_ms + SBX_DEPUTY_SCAN_MS - now);
	}
	return next;
}

/* Take one notification off the listener. Return: 0, or -1 when the listener is dead. */
static int receive(struct sbx_deputy *n, const sigset_t *waiting, const sigset_t *blocked)
{
	struct job *j = calloc(1, sizeof(*j));
	int r, e;

	if (!j) {
		usleep(1000);
		return 0;
	}
	pthread_sigmask(SIG_SETMASK, waiting, NULL);
	r = ioctl(n->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &j->req);
	e = errno;
	pthread_sigmask(SIG_BLOCK, blocked, NULL);
	if (r < 0) {
		free(j);
		/* EINTR: sbx_deputy_free() or a stray signal; ENOENT: the notifying thread left first. */
		return e == EINTR || e == ENOENT ? 0 : -1;
	}
	pthread_mutex_lock(&n->mu);
	dispatch(n, j);
	pthread_mutex_unlock(&n->mu);
	return 0;
}

static void *receiver_main(void *arg)
{
	struct sbx_deputy *n = arg;
	struct pollfd pfd = {.fd = n->listener_fd, .events = POLLIN};
	sigset_t blocked, waiting;

	sigemptyset(&blocked);
	sigaddset(&blocked, deputy_sig());
	pthread_sigmask(SIG_BLOCK, &blocked, &waiting);
	sigdelset(&waiting, deputy_sig());
	for (;;) {
		struct sbx_list expired;
		struct timespec ts;
		int next;

		sbx_list_init(&expired);
		pthread_mutex_lock(&n->mu);
		if (__atomic_load_n(&n->stopping, __ATOMIC_ACQUIRE)) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		next = housekeep(n, &expired);
		pthread_mutex_unlock(&n->mu);
		for (struct job *j; (j = sbx_list_first(&expired, struct job, link));) {
			sbx_list_del(&j->link);
			refuse_busy(n, j);
			free(j);
		}
		ts = (struct timespec){.tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000L};
		pfd.revents = 0;
		if (ppoll(&pfd, 1, next < 0 ? NULL : &ts, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents & POLLIN) {
			if (receive(n, &waiting, &blocked) < 0)
				break;
		} else if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break; /* the listener is dead: no filter user is left */
		}
	}
	return NULL;
}

/* A new version open posture cannot enforce is refused, in the command line's words. */
static int policy_check(struct sbx_livepolicy_watcher *w, const struct sbx_policy *next, char *err, size_t errlen)
{
	return sbx_names_check(next, err, errlen);
}

#define SBX_SWEEP_RETRY_MS 200

/* Shut what the policy in force denies; if sbx was short of descriptors (to resolve a deny name, or to look), again in a moment. */
static void sweep(struct sbx_deputy *n)
{
	struct itimerspec its = {.it_value = {.tv_nsec = SBX_SWEEP_RETRY_MS * 1000000L}};

	bool names = sbx_names_retry(n->names); /* a deny name sbx could not resolve for want of descriptors */

	if ((!sbx_sweep_denied(n) || !names) && n->sweep_w.fd >= 0)
		timerfd_settime(n->sweep_w.fd, 0, &its, NULL);
}

static void on_sweep_timer(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	sweep(sbx_container_of(w, struct sbx_deputy, sweep_w));
}

static void names_learned(void *arg)
{
	sweep(arg);
}

/* A new version is in force: follow its deny names, and shut what it denies. */
static void policy_changed(struct sbx_livepolicy_watcher *w, const struct sbx_policy *now)
{
	struct sbx_deputy *n = sbx_container_of(w, struct sbx_deputy, watcher);

	sbx_names_update(n->names, now, names_learned, n);
	sweep(n);
}

/**
 * sbx_deputy_set_sandbox() - the sandbox's init, whose PID namespace holds the payload.
 * @n: from sbx_deputy_new()
 * @init_pid: sandbox init's pid in sbx's PID namespace
 *
 * Open posture: a policy change looks there for connections to shut.
 */
void sbx_deputy_set_sandbox(struct sbx_deputy *n, pid_t init_pid)
{
	n->sandbox_pid = init_pid;
}

/**
 * sbx_deputy_new() - prepare the supervisor's side of the payload's notification filter.
 * @loop: the supervisor's event loop (name refreshes run on it)
 * @cfg: the configuration (posture, --allow-unix); must outlive the result
 * @live: the policy in force (must outlive the result); used in open posture only
 * @log: the decision log, or NULL
 * @out: the new object
 * @err: one user-facing line on refusal
 * @errlen: size of @err
 *
 * Resolves every --allow-unix path to its socket. In open posture, refuses
 * wildcard deny rules (they cannot be enforced against a payload that
 * resolves names itself) and resolves every exact-name deny rule once,
 * before the payload starts.
 *
 * Context: the supervisor, before clone.
 * Return: 0, -EINVAL with @err set, or a negative errno.
 */
int sbx_deputy_new(struct sbx_loop *loop, const struct sbx_config *cfg, struct sbx_livepolicy *live,
		   struct sbx_jsonl *log, struct sbx_deputy **out, char *err, size_t errlen)
{
	struct sbx_deputy *n = calloc(1, sizeof(*n));
	struct sigaction sa = {.sa_handler = on_deputy_sig};
	int r;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->posture = cfg->posture;
	n->live = cfg->posture == SBX_POSTURE_OPEN ? live : NULL;
	sbx_list_init(&n->watcher.link);
	n->sweep_w = (struct sbx_watch){.cb = on_sweep_timer, .fd = -1};
	n->log = log;
	n->listener_fd = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	sbx_list_init(&n->jobs);
	/* No SA_RESTART: it interrupts the receiver's blocking ioctl at shutdown. */
	sigemptyset(&sa.sa_mask);
	sigaction(deputy_sig(), &sa, NULL);

	r = sbx_unix_new(cfg, &n->doors, err, errlen);
	if (r == 0 && n->live)
		r = sbx_names_new(loop, sbx_livepolicy_peek(live), &n->names, err, errlen);
	if (r < 0)
		goto fail;
	if (n->live && cfg->control_in_fd >= 0) {
		/* Only --control-fd changes an open run's policy. Made now: a retry must not need a
		 * descriptor when descriptors are short. */
		n->sweep_w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (n->sweep_w.fd < 0 || (r = sbx_loop_watch(loop, &n->sweep_w, EPOLLIN)) < 0) {
			r = r < 0 ? r : -errno;
			goto fail;
		}
		n->watcher.check = policy_check;
		n->watcher.changed = policy_changed;
		sbx_livepolicy_watch(live, &n->watcher);
	}
	*out = n;
	return 0;
fail:
	if (r != -EINVAL && errlen && !err[0])
		snprintf(err, errlen, "preparing the seccomp notification server: %s", strerror(-r));
	sbx_deputy_free(n);
	return r;
}

/**
 * sbx_deputy_add_tmpfs() - st_dev values of tmpfs mounts sandbox init made (SBX_REPORT_TMPFS).
 * @n: from sbx_deputy_new()
 * @devs: the values
 * @n_devs: how many
 *
 * A unix socket on one of them was made inside the sandbox.
 *
 * Context: the supervisor's event loop, before sbx_deputy_start().
 * Return: 0, -EBUSY once started, or -ENOMEM.
 */
int sbx_deputy_add_tmpfs(struct sbx_deputy *n, const uint64_t *devs, size_t n_devs)
{
	if (n->listener_fd >= 0)
		return -EBUSY;
	return sbx_unix_add_tmpfs(n->doors, devs, n_devs);
}

/**
 * sbx_deputy_start() - serve the payload's seccomp listener.
 * @n: from sbx_deputy_new()
 * @listener_fd: the listener (ownership taken)
 * @diag_fd: a NETLINK_SOCK_DIAG socket of the payload's network namespace
 *           (ownership taken), or -1
 *
 * Context: the supervisor's event loop, when sandbox init hands the listener over.
 * Return: 0, -EBUSY if already started, or a negative errno.
 */
int sbx_deputy_start(struct sbx_deputy *n, int listener_fd, int diag_fd)
{
	int r;

	if (n->listener_fd >= 0) {
		close(listener_fd);
		if (diag_fd >= 0)
			close(diag_fd);
		return -EBUSY;
	}
	sbx_unix_set_diag(n->doors, diag_fd);
	n->listener_fd = listener_fd;
	r = pthread_create(&n->receiver, NULL, receiver_main, n);
	if (r != 0)
		return -r;
	n->receiver_started = true;
	return 0;
}

static int join_within(pthread_t t, long ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += ms * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &deadline);
}

/**
 * sbx_deputy_free() - stop the threads and release everything.
 * @n: the object, or NULL
 *
 * Workers blocked in a call (a slow connect) are interrupted with a signal.
 */
void sbx_deputy_free(struct sbx_deputy *n)
{
	if (!n)
		return;
	sbx_livepolicy_unwatch(&n->watcher);
	if (n->sweep_w.fd >= 0) {
		sbx_loop_unwatch(n->loop, &n->sweep_w);
		close(n->sweep_w.fd);
	}
	pthread_mutex_lock(&n->mu);
	__atomic_store_n(&n->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->receiver_started) {
		pthread_kill(n->receiver, deputy_sig());
		pthread_join(n->receiver, NULL);
	}
	for (unsigned i = 0; i < n->n_workers; i++) {
		/* Again until it exits: a signal that lands just before a blocking call is lost. */
		do
			pthread_kill(n->workers[i].thread, deputy_sig());
		while (join_within(n->workers[i].thread, 50) == ETIMEDOUT);
	}
	for (struct job *j; (j = sbx_list_first(&n->jobs, struct job, link));) {
		sbx_list_del(&j->link);
		free(j);
	}
	sbx_names_free(n->names);
	sbx_unix_free(n->doors);
	if (n->listener_fd >= 0)
		close(n->listener_fd);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
