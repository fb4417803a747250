// SPDX-License-Identifier: Apache-2.0
/* Open posture: the user-notification server: receiver thread, worker pool, dispatch, and the public interface. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/*
 * Theory of operation
 *
 * The payload runs under a second seccomp filter (seccomp/notify.def) whose
 * listener only the supervisor holds. Every connect(), sendto() with an
 * address, sendmsg() and sendmmsg() stops in the kernel until we answer.
 *
 * 1. A receiver thread sits in SECCOMP_IOCTL_NOTIF_RECV. That ioctl blocks
 *    and a notification can vanish between poll() and the ioctl (its
 *    thread was signalled or killed), so it cannot live on the event loop
 *    without risking a stalled loop. It queues each notification.
 * 2. A worker thread (a pool that grows up to SBX_OPEN_MAX_WORKERS) takes
 *    it: reads the arguments it needs (destination, msghdr, data) from the
 *    payload's memory with process_vm_readv() into its own buffers, checks
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
 * 4. Refusals: connect answers ECONNREFUSED, the sends EACCES; each
 *    decision goes to the decision log (proto connect/sendto/sendmsg/sendmmsg).
 * 5. Unix sockets: the call is performed by the supervisor, whose root and
 *    working directory are not the payload's. A path is therefore opened
 *    (O_PATH) inside the payload's root (/proc/TID/root, RESOLVE_IN_ROOT,
 *    relative paths from /proc/TID/cwd) and the call is made to
 *    /proc/self/fd/N. Abstract addresses are refused (EPERM): they live in
 *    the host's network namespace, so they would be host sockets.
 * 6. Exact-name deny rules are resolved at start and again every
 *    SBX_OPEN_REFRESH_SEC seconds on the event loop (the resolver pool);
 *    a failed refresh keeps the previous addresses.
 */

struct job {
	struct sbx_list link; /* in sbx_open.jobs */
	struct seccomp_notif req;
};

static int open_sig(void)
{
	return SIGRTMIN + 4;
}

static void on_open_sig(int sig)
{
	(void)sig;
}

/* ---- one notification ------------------------------------------------------ */

static void handle(struct sbx_open *n, const struct seccomp_notif *req)
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

static void unblock_open_sig(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, open_sig());
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void *worker_main(void *arg)
{
	struct sbx_open *n = arg;

	unblock_open_sig();
	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct job *j;

		while (sbx_list_empty(&n->jobs) && !n->stopping)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->stopping)
			break;
		j = sbx_list_first(&n->jobs, struct job, link);
		sbx_list_del(&j->link);
		n->n_idle--;
		pthread_mutex_unlock(&n->mu);
		handle(n, &j->req);
		free(j);
		pthread_mutex_lock(&n->mu);
		n->n_idle++;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

static void *receiver_main(void *arg)
{
	struct sbx_open *n = arg;

	unblock_open_sig();
	for (;;) {
		struct job *j = calloc(1, sizeof(*j));

		if (!j) {
			usleep(1000);
			continue;
		}
		if (ioctl(n->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &j->req) < 0) {
			int e = errno;

			free(j);
			if (__atomic_load_n(&n->stopping, __ATOMIC_ACQUIRE))
				break;
			if (e == EINTR || e == ENOENT)
				continue;
			break; /* the listener is dead: no filter user is left */
		}
		pthread_mutex_lock(&n->mu);
		sbx_list_add_tail(&n->jobs, &j->link);
		if (n->n_idle == 0 && n->n_workers < SBX_OPEN_MAX_WORKERS &&
		    pthread_create(&n->workers[n->n_workers], NULL, worker_main, n) == 0) {
			n->n_workers++;
			n->n_idle++;
		}
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
	}
	return NULL;
}

/**
 * sbx_open_new() - prepare the open posture's supervisor side.
 * @loop: the supervisor's event loop (name refreshes run on it)
 * @policy: the built policy (posture open); must outlive the result
 * @log: the decision log, or NULL
 * @out: the new object
 * @err: one user-facing line on refusal
 * @errlen: size of @err
 *
 * Refuses wildcard deny rules (they cannot be enforced against a payload
 * that resolves names itself) and resolves every exact-name deny rule once,
 * before the payload starts.
 *
 * Context: the supervisor, before clone.
 * Return: 0, -EINVAL with @err set, or a negative errno.
 */
int sbx_open_new(struct sbx_loop *loop, const struct sbx_policy *policy, struct sbx_jsonl *log, struct sbx_open **out,
		 char *err, size_t errlen)
{
	struct sbx_open *n = calloc(1, sizeof(*n));
	struct sigaction sa = {.sa_handler = on_open_sig};
	int r;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->policy = policy;
	n->log = log;
	n->listener_fd = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	sbx_list_init(&n->jobs);
	/* No SA_RESTART: it interrupts the receiver's blocking ioctl at shutdown. */
	sigemptyset(&sa.sa_mask);
	sigaction(open_sig(), &sa, NULL);

	r = sbx_names_new(loop, policy, &n->names, err, errlen);
	if (r < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	if (r != -EINVAL)
		snprintf(err, errlen, "preparing the open posture: %s", strerror(-r));
	sbx_open_free(n);
	return r;
}

/**
 * sbx_open_start() - serve the payload's seccomp listener.
 * @n: from sbx_open_new()
 * @listener_fd: the listener (ownership taken)
 *
 * Context: the supervisor's event loop, when sandbox init hands the listener over.
 * Return: 0, -EBUSY if already started, or a negative errno.
 */
int sbx_open_start(struct sbx_open *n, int listener_fd)
{
	int r;

	if (n->listener_fd >= 0) {
		close(listener_fd);
		return -EBUSY;
	}
	n->listener_fd = listener_fd;
	r = pthread_create(&n->receiver, NULL, receiver_main, n);
	if (r != 0)
		return -r;
	n->receiver_started = true;
	return 0;
}

/**
 * sbx_open_free() - stop the threads and release everything.
 * @n: the object, or NULL
 *
 * Workers blocked in a call (a slow connect) are interrupted with a signal.
 */
void sbx_open_free(struct sbx_open *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	__atomic_store_n(&n->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->receiver_started) {
		pthread_kill(n->receiver, open_sig());
		pthread_join(n->receiver, NULL);
	}
	for (unsigned i = 0; i < n->n_workers; i++) {
		pthread_kill(n->workers[i], open_sig());
		pthread_join(n->workers[i], NULL);
	}
	for (struct job *j; (j = sbx_list_first(&n->jobs, struct job, link));) {
		sbx_list_del(&j->link);
		free(j);
	}
	sbx_names_free(n->names);
	if (n->listener_fd >= 0)
		close(n->listener_fd);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
