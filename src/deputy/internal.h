/* SPDX-License-Identifier: Apache-2.0 */
/* The user-notification server, private to src/deputy: one header for its files. */
#ifndef SBX_DEPUTY_INTERNAL_H
#define SBX_DEPUTY_INTERNAL_H

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/list.h"
#include "lib/jsonl.h"
#include "lib/loop.h"
#include "lib/resolver.h"
#include "msghdr.h"
#include "deputy/deputy.h"
#include "sbx/config.h"
#include "lib/livepolicy.h"
#include "sbx/policy.h"

/*
 * server.c   the receiver thread and the worker pool; dispatch by syscall
 * call.c     one notification: the payload's memory, descriptors and the answer
 * judge.c    the destination: copied, judged (inet: open posture only), logged; unix paths resolved in
 *            the payload's root
 * unix.c     which unix socket files the payload may reach: sbx's tmpfs, its own, --allow-unix
 * perform.c  connect, sendto, sendmsg, sendmmsg performed by sbx on a duplicate of the socket
 * msghdr.c   the payload's msghdr, iovecs and data copied into the one sbx sends (behind a reader: fuzzed)
 * cmsg.c     the payload's control messages, validated and rebuilt (pure: fuzzed)
 * bind.c     open posture's bind(): abstract names refused, the rest performed by sbx, unix sockets remembered
 * names.c    open posture: exact-name deny rules, resolved at start and every SBX_DEPUTY_REFRESH_SEC
 */

/*
 * The worker pool (server.c's theory of operation says why these numbers):
 * at most SBX_DEPUTY_MAX_WORKERS calls are performed at once; a notification
 * that finds every one of them busy waits at most SBX_DEPUTY_QUEUE_MS for one
 * and is then answered ENOBUFS; a worker whose payload thread stopped
 * waiting is interrupted after at most SBX_DEPUTY_SCAN_MS.
 */
#define SBX_DEPUTY_MAX_WORKERS 128
#define SBX_DEPUTY_QUEUE_MS 500
#define SBX_DEPUTY_SCAN_MS 1000

struct sbx_names;
struct sbx_unix;

/* One worker thread; @id and @since_ms change under sbx_deputy.mu. */
struct sbx_deputy_worker {
	struct sbx_deputy *srv;
	pthread_t thread;
	uint64_t id;	   /* the notification it performs, 0 when idle */
	uint64_t since_ms; /* when it took that notification */
};

/* The server's state shared by the workers (read-only after sbx_deputy_start(), but for the queue). */
struct sbx_deputy {
	struct sbx_loop *loop;
	enum sbx_posture posture;
	struct sbx_livepolicy *live; /* open posture only, else NULL */
	struct sbx_livepolicy_watcher watcher;
	struct sbx_watch sweep_w; /* open posture: one-shot timerfd, a sweep that could not finish runs again */
	pid_t sandbox_pid;	  /* sandbox init (its PID namespace is the sandbox's), 0 until known */
	struct sbx_jsonl *log;	  /* the decision log, or NULL */
	int listener_fd;
	struct sbx_names *names; /* open posture only */
	struct sbx_unix *doors;	 /* unix socket paths */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sbx_list jobs; /* notifications waiting for a worker, oldest first */
	pthread_t receiver;
	bool receiver_started;
	struct sbx_deputy_worker workers[SBX_DEPUTY_MAX_WORKERS];
	unsigned n_workers; /* started (they never exit before sbx_deputy_free()) */
	unsigned n_idle;    /* not performing a call; each queued job is promised to one */
	unsigned n_queued;  /* length of @jobs */
	bool stopping;
};

/* server.c: the worker has filesystem attributes (umask) of its own. */
extern __thread bool sbx_deputy_own_fs;

/* One notification being handled by a worker. */
struct call {
	struct sbx_deputy *srv;
	const struct seccomp_notif *req;
	int pidfd;	   /* of the notifying thread, -1 until needed */
	int sock_fd;	   /* the duplicate, -1 until needed */
	int path_fd;	   /* unix path opened in the payload's root, or -1 */
	const char *proto; /* for the decision log */
};

/* call.c */
bool sbx_call_valid(const struct call *c);
int sbx_call_peek(const struct call *c, uint64_t addr, void *buf, size_t len);
int sbx_call_poke(const struct call *c, uint64_t addr, const void *buf, size_t len);
int sbx_call_take_fd(struct call *c, int remote_fd, int *out);
void sbx_call_reply(const struct call *c, int64_t val, int err);
int sbx_call_open_path(struct call *c, const char *path, int o_flags, int *out);

/* judge.c */
int sbx_judge_read_addr(struct call *c, uint64_t ptr, uint64_t ulen, struct sockaddr_storage *ss, socklen_t *len);
void sbx_judge_log(struct sbx_deputy *srv, pid_t pid, const char *proto, const struct sbx_addr *a, uint16_t port,
		   const struct sbx_decision *d, const char *error);
int sbx_judge_dest(struct call *c, struct sockaddr_storage *ss, socklen_t *len, bool is_send, int deny_err);

/* perform.c */
void sbx_perform_connect(struct call *c);
void sbx_perform_sendto(struct call *c);
void sbx_perform_sendmsg(struct call *c);
void sbx_perform_sendmmsg(struct call *c);

/* bind.c */
void sbx_perform_bind(struct call *c);

/* unix.c: what sbx_unix_judge() answers */
enum sbx_unix_verdict {
	SBX_UNIX_NOT_SOCKET, /* not a socket file: the kernel answers (ECONNREFUSED) */
	SBX_UNIX_SANDBOX_FS, /* on a tmpfs sandbox init mounted */
	SBX_UNIX_MADE,	     /* bound by the payload: in its own network namespace, or (open) through bind.c */
	SBX_UNIX_ALLOWED,    /* named by --allow-unix */
	SBX_UNIX_HOST,	     /* none of these: refused */
};

int sbx_unix_new(const struct sbx_config *cfg, struct sbx_unix **out, char *err, size_t errlen);
int sbx_unix_add_tmpfs(struct sbx_unix *u, const uint64_t *devs, size_t n);
void sbx_unix_set_diag(struct sbx_unix *u, int fd);
int sbx_unix_diag_fd(const struct sbx_unix *u);
int sbx_unix_judge(struct sbx_unix *u, int path_fd, const char **allowed);
int sbx_unix_note_bound(struct sbx_unix *u, int sock_fd, int dir_fd, const char *name);
void sbx_unix_free(struct sbx_unix *u);

/* names.c */
int sbx_names_new(struct sbx_loop *loop, const struct sbx_policy *policy, struct sbx_names **out, char *err,
		  size_t errlen);
int sbx_names_check(const struct sbx_policy *policy, char *err, size_t errlen);
bool sbx_names_retry(struct sbx_names *nm);
int sbx_names_update(struct sbx_names *nm, const struct sbx_policy *policy, void (*learned)(void *arg), void *arg);
bool sbx_names_deny(struct sbx_names *names, const struct sbx_policy *policy, const struct sbx_addr *a, uint16_t port,
		    struct sbx_decision *d);

/* sweep.c: open posture, after a policy change */
bool sbx_sweep_denied(struct sbx_deputy *srv);
void sbx_names_free(struct sbx_names *names);

#endif
