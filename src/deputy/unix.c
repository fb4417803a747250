// SPDX-License-Identifier: Apache-2.0
/* Pathname unix sockets, every posture: which ones the payload may reach (sbx's tmpfs, its own, --allow-unix). */

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * A network namespace does not cover pathname unix sockets and a read-only
 * mount does not stop connect(): the host's tree, which the sandbox sees
 * read-only, is full of doors to code running outside every namespace (the
 * session bus in $XDG_RUNTIME_DIR, through which `systemd-run --user` starts
 * anything; docker.sock, which is root; ssh and gpg agents in $HOME; any
 * socket in the working directory or a --bind source). So in every posture
 * the payload reaches a pathname socket only through the supervisor, which
 * opens the path inside the payload's root (call.c), looks at the file it
 * found, and performs the call on that very file (/proc/thread-self/fd/N:
 * no second lookup, so no rename after the check matters) when the socket is
 *
 *  a. on a tmpfs sandbox init mounted (/tmp, /dev/shm, each --tmpfs: their
 *     st_dev come from sandbox init, SBX_REPORT_TMPFS). Nothing outside the
 *     sandbox binds there (the mounts exist only in its mount namespace),
 *     and a host socket cannot be renamed or linked onto them (EXDEV).
 *     $HOME's overlay counts too: a file of its private layer shows that
 *     layer's own device (overlayfs gives each layer one; init learns it
 *     with a probe file), a file of the host's layer the host's inode under
 *     another device, so it is judged a host socket. (Where overlayfs shows
 *     one device for both layers, xino, a host socket there passes, and the
 *     kernel itself refuses it: a socket bound on a lower layer is not found
 *     through the overlay's inode, ECONNREFUSED.);
 *  b. one the payload bound itself elsewhere (its working directory, a
 *     --bind directory). Blocked and allowlist postures: the kernel says so.
 *     The payload's sockets live in the sandbox's own network namespace,
 *     which holds no other unix socket, so a NETLINK_SOCK_DIAG dump there
 *     (UNIX_DIAG_VFS: the file each socket is bound to) lists the file if
 *     and only if a socket of the payload is bound to it. No race: a bound
 *     file cannot be bound again, and the call is made on the file checked.
 *     The answer is kept (below), so the dump is paid once per file; a file
 *     whose socket is gone stays the payload's (the kernel then answers
 *     ECONNREFUSED). The payload binds for itself (bind() is not stopped),
 *     so getsockname() shows its own path, made with its umask.
 *     Open posture: its network namespace is the host's, so sbx performs
 *     every bind() (bind.c) and records the file here. Which file: the
 *     kernel's own answer (the same UNIX_DIAG_VFS, asked about the duplicate
 *     sbx bound) must match the file now at the path, else another thread
 *     renamed a file over the name between the bind and the look (a host
 *     socket of the same directory: t-unix-doors races this, and without
 *     the check wins thousands of times in 3 s) and nothing is recorded. A
 *     file is recorded by device, inode, birth time and file handle (struct
 *     unix_id), so a host socket made later at a reused inode number does
 *     not inherit the permission. At most SBX_UNIX_MAX_MADE are remembered;
 *     past that a socket is not, and connecting to it is refused like a
 *     host's. UNIX_DIAG_VFS gives 32 bits of the inode number: a host file
 *     that passes needs the device and those bits of a socket file of the
 *     payload (ext4 inode numbers have 32 bits; elsewhere, 2^32 files apart);
 *  c. named with --allow-unix PATH: resolved in the host's view when sbx
 *     starts, by the same identity (a service that restarts and makes a new
 *     socket file is a new socket: not allowed).
 *
 * Anything else is refused with EACCES, connect and sends alike: it is the
 * kernel's own answer for a socket one may not write to (and Landlock's,
 * where the kernel has ABI 9, src/init/landlock.c), so clients report
 * "permission denied" instead of taking the service for down and starting
 * their own (gpg does that on ECONNREFUSED). Each refusal, and each
 * connection --allow-unix opens, is a line of the decision log. A path that
 * is not there answers what the kernel answers (ENOENT), and a file that is
 * not a socket is passed on for the kernel to answer (ECONNREFUSED).
 *
 * Why this covers every way to reach a pathname socket (the payload holds no
 * host descriptor but 0-2 and --pass-fd ones):
 *  - connect(), sendto() with an address, sendmsg() and sendmmsg() (each
 *    msg_name) stop in seccomp/notify.def, in every posture, and are
 *    performed here, never let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE
 *    would let another thread swap the path or the descriptor after the
 *    check). sendto() without an address, send() and write() need a socket
 *    that is already connected. A tracer among the payload's processes
 *    (ptrace is allowed) changes arguments before seccomp sees them, never
 *    after: no call it makes skips the filter.
 *  - io_uring (IORING_OP_CONNECT, IORING_OP_SENDMSG) is refused by the base
 *    filter; i386 socketcall and every foreign ABI kill the process; a
 *    system call of a future kernel is ENOSYS until policy.def names it.
 *  - open() of a socket file fails with ENXIO. O_PATH gives a descriptor
 *    whose only use here is as a path ("/proc/self/fd/N" to connect()),
 *    which comes back here: call.c takes the payload's descriptor N itself
 *    and the judgement is its file's. A symbolic or hard link leads to the
 *    same file (and a hard link only within one mount).
 *  - A host descriptor arrives by SCM_RIGHTS only from a peer the payload
 *    is already connected to: its own sockets and socketpairs, an inherited
 *    descriptor (--pass-fd), an --allow-unix socket. pidfd_getfd(), ptrace
 *    and /proc/PID/fd reach only the sandbox's own processes (own PID
 *    namespace; the payload holds no capability).
 *  - Abstract addresses: in blocked and allowlist postures they belong to
 *    the sandbox's own network namespace (the socket's namespace decides, and
 *    sbx performs the call on the payload's socket), so they keep working; in
 *    open posture they are the host's and judge.c and bind.c refuse them.
 *  - Not covered, as no connection from the payload: the kernel's own
 *    connections (a core dump to the host's core_pattern socket), and the
 *    other way round, a host client that connects to a socket the payload
 *    bound in a --bind directory (the payload could pose as a host service
 *    there; --bind is the user's choice of what the payload may write).
 */

/* The payload's own sockets outside sbx's tmpfs mounts, remembered at most. */
#define SBX_UNIX_MAX_MADE 65536u

/*
 * A socket file: device, inode, birth time and file handle. An inode number
 * is reused as soon as it is free, and a birth time is as coarse as the
 * filesystem's clock (ext4: a jiffy): the handle (name_to_handle_at(), which
 * carries the inode's generation, random per allocation on ext4, xfs and
 * tmpfs) tells a new file from the one before it at the same number. Where
 * the filesystem keeps no birth time or has no handles, that part is
 * marked invalid and the rest decides.
 */
struct unix_id {
	uint64_t dev;
	uint64_t ino;
	int64_t born_sec;
	uint32_t born_nsec;
	bool born_valid;
	bool handle_valid;
	uint64_t handle; /* a hash of the handle's type and bytes */
};

struct allowed {
	const char *path; /* as given to --allow-unix */
	struct unix_id id;
};

struct sbx_unix {
	/* Set before the listener is served, read-only after. */
	bool own_netns; /* blocked, allowlist: the payload's sockets live in a network namespace of its own */
	uint64_t *tmpfs;
	size_t n_tmpfs;
	struct allowed *allowed;
	size_t n_allowed;

	pthread_rwlock_t lock; /* @made */
	struct unix_id *made;  /* open addressing, dev 0 and ino 0: empty */
	size_t made_cap, made_n;

	pthread_mutex_t diag_mu; /* one request at a time on @diag_fd */
	int diag_fd;
	uint32_t diag_seq;
};

/* The device, inode and birth of the file @fd (O_PATH) names. Return: 0, or a negative errno. */
static int identify_stat(int fd, struct unix_id *id, mode_t *mode)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_BTIME, &sx) < 0)
		return -errno;
	*id = (struct unix_id){.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor), .ino = sx.stx_ino};
	if (sx.stx_mask & STATX_BTIME) {
		id->born_sec = sx.stx_btime.tv_sec;
		id->born_nsec = sx.stx_btime.tv_nsec;
		id->born_valid = true;
	}
	*mode = sx.stx_mode;
	return 0;
}

/* The rest of @id: the file handle of @fd, where the filesystem has them. */
static void identify_handle(int fd, struct unix_id *id)
{
	union {
		struct file_handle fh;
		char room[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mnt_id;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH) == 0) {
		uint64_t x = 0xcbf29ce484222325ull ^ (uint32_t)h.fh.handle_type; /* FNV-1a */

		for (unsigned i = 0; i < h.fh.handle_bytes && i < MAX_HANDLE_SZ; i++)
			x = (x ^ h.fh.f_handle[i]) * 0x100000001b3ull;
		id->handle = x;
		id->handle_valid = true;
	}
}

static int identify(int fd, struct unix_id *id, mode_t *mode)
{
	int r = identify_stat(fd, id, mode);

	if (r == 0)
		identify_handle(fd, id);
	return r;
}

/* identify() of @name in @dir_fd, without following a final symbolic link when @nofollow. */
static int identify_at(int dir_fd, const char *name, bool nofollow, struct unix_id *id, mode_t *mode)
{
	int fd = openat(dir_fd, name, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0)), r;

	if (fd < 0)
		return -errno;
	r = identify(fd, id, mode);
	close(fd);
	return r;
}

static bool same_id(const struct unix_id *a, const struct unix_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->born_valid == b->born_valid &&
	       (!a->born_valid || (a->born_sec == b->born_sec && a->born_nsec == b->born_nsec)) &&
	       a->handle_valid == b->handle_valid && (!a->handle_valid || a->handle == b->handle);
}

static size_t slot_of(const struct unix_id *id, size_t cap)
{
	uint64_t h = id->ino * 0x9e3779b97f4a7c15ull ^ id->dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static bool on_tmpfs(const struct sbx_unix *u, uint64_t dev)
{
	for (size_t i = 0; i < u->n_tmpfs; i++)
		if (u->tmpfs[i] == dev)
			return true;
	return false;
}

/* Context: @u->lock held for reading or writing. */
static bool made_has(const struct sbx_unix *u, const struct unix_id *id)
{
	if (!u->made_cap)
		return false;
	for (size_t i = slot_of(id, u->made_cap);; i = (i + 1) & (u->made_cap - 1)) {
		const struct unix_id *e = &u->made[i];

		if (!e->dev && !e->ino)
			return false;
		if (same_id(e, id))
			return true;
	}
}

/* Context: @u->lock held for writing. Return: 0, or -ENOSPC past SBX_UNIX_MAX_MADE, -ENOMEM. */
static int made_add(struct sbx_unix *u, const struct unix_id *id)
{
	if (made_has(u, id))
		return 0;
	if (u->made_n >= SBX_UNIX_MAX_MADE)
		return -ENOSPC;
	if ((u->made_n + 1) * 2 > u->made_cap) {
		size_t cap = u->made_cap ? u->made_cap * 2 : 64;
		struct unix_id *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < u->made_cap; i++) {
			const struct unix_id *e = &u->made[i];
			size_t j;

			if (!e->dev && !e->ino)
				continue;
			for (j = slot_of(e, cap); t[j].dev || t[j].ino; j = (j + 1) & (cap - 1))
				;
			t[j] = *e;
		}
		free(u->made);
		u->made = t;
		u->made_cap = cap;
	}
	for (size_t i = slot_of(id, u->made_cap);; i = (i + 1) & (u->made_cap - 1)) {
		if (!u->made[i].dev && !u->made[i].ino) {
			u->made[i] = *id;
			u->made_n++;
			return 0;
		}
	}
}

/* The file a socket is bound to, as UNIX_DIAG_VFS says: its device (userspace encoding) and the low 32 bits of its inode. */
struct diag_vfs {
	uint64_t dev;
	uint32_t ino;
};

/* The UNIX_DIAG_VFS attribute of one answer, if it has one. */
static bool diag_vfs_of(const struct nlmsghdr *h, struct diag_vfs *out)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	size_t alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));

	for (const struct rtattr *a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	     RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		struct unix_diag_vfs v;

		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(v))
			continue;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		/* The kernel's dev_t: major in the top 12 bits, minor in the low 20. */
		out->dev = makedev(v.udiag_vfs_dev >> 20, v.udiag_vfs_dev & 0xfffffu);
		out->ino = v.udiag_vfs_ino;
		return true;
	}
	return false;
}

/*
 * Ask the kernel about the unix sockets of the payload's network namespace
 * (u->diag_fd's): the one with sockfs inode @sock_ino (exact request), or
 * every one (@sock_ino 0: a dump), with the file each is bound to. @match
 * sees each answer that has a file; it returns true to stop looking (the
 * rest of the answer is still read, so none is left for the next request).
 * Return: 1 when @match stopped, 0 when no answer did, or a negative errno.
 */
static int diag_query(struct sbx_unix *u, uint32_t sock_ino, bool (*match)(const struct diag_vfs *v, void *ctx),
		      void *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | (sock_ino ? 0 : NLM_F_DUMP)},
		.r = {.sdiag_family = AF_UNIX,
		      .udiag_states = ~0u,
		      .udiag_ino = sock_ino,
		      .udiag_show = UDIAG_SHOW_VFS,
		      .udiag_cookie = {~0u, ~0u}},
	};
	union {
		char buf[32768];
		struct nlmsghdr align;
	} reply;
	bool found = false, done = false;
	int r = 0;

	if (u->diag_fd < 0)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&u->diag_mu);
	req.nlh.nlmsg_seq = ++u->diag_seq;
	if (send(u->diag_fd, &req, sizeof(req), MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out;
	}
	/*
	 * An exact request is answered inside send(); a dump fills the buffer and
	 * goes on in each recv(), so recv() never waits long. Replies to an older
	 * request (one given up on) are skipped by their sequence number.
	 */
	while (!done) {
		ssize_t n = recv(u->diag_fd, reply.buf, sizeof(reply.buf), 0);
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		left = (size_t)n;
		for (struct nlmsghdr *h = &reply.align; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			struct diag_vfs v;

			if (h->nlmsg_seq != req.nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				r = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EIO;
				done = true;
			} else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
				   h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct unix_diag_msg))) {
				const struct unix_diag_msg *m = NLMSG_DATA(h);

				if (!found && (!sock_ino || m->udiag_ino == sock_ino) && diag_vfs_of(h, &v))
					found = match(&v, ctx);
				if (sock_ino)
					done = true; /* an exact request has one answer and no NLMSG_DONE */
			}
		}
	}
out:
	pthread_mutex_unlock(&u->diag_mu);
	return r < 0 ? r : found;
}

static bool take_first(const struct diag_vfs *v, void *ctx)
{
	*(struct diag_vfs *)ctx = *v;
	return true;
}

static bool same_file(const struct diag_vfs *v, void *ctx)
{
	const struct unix_id *id = ctx;

	return v->dev == id->dev && v->ino == (uint32_t)id->ino;
}

/**
 * sbx_unix_new() - resolve --allow-unix and prepare the judge.
 * @cfg: the configuration (its allow_unix paths must outlive the result)
 * @out: the new object
 * @err: one user-facing line when a path is refused
 * @errlen: size of @err
 *
 * Context: the supervisor, before clone, in the host's view of the filesystem.
 * Return: 0, -EINVAL with @err set (a path that is not there or not a
 * socket), or a negative errno.
 */
int sbx_unix_new(const struct sbx_config *cfg, struct sbx_unix **out, char *err, size_t errlen)
{
	struct sbx_unix *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->diag_fd = -1;
	u->own_netns = cfg->posture != SBX_POSTURE_OPEN;
	pthread_rwlock_init(&u->lock, NULL);
	pthread_mutex_init(&u->diag_mu, NULL);
	if (cfg->n_allow_unix) {
		u->allowed = calloc(cfg->n_allow_unix, sizeof(*u->allowed));
		if (!u->allowed) {
			sbx_unix_free(u);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < cfg->n_allow_unix; i++) {
		struct allowed *a = &u->allowed[u->n_allowed++];
		char q[SBX_QUOTE_LEN];
		mode_t mode = 0;
		int r;

		a->path = cfg->allow_unix[i];
		r = identify_at(AT_FDCWD, a->path, false, &a->id, &mode);
		if (r == 0 && S_ISSOCK(mode))
			continue;
		sbx_quote(q, sizeof(q), a->path);
		if (r == -ENOENT)
			snprintf(err, errlen, "--allow-unix %s: no such socket (it must exist when sbx starts)", q);
		else if (r < 0)
			snprintf(err, errlen, "--allow-unix %s: %s", q, strerror(-r));
		else
			snprintf(err, errlen, "--allow-unix %s: not a unix socket", q);
		sbx_unix_free(u);
		return -EINVAL;
	}
	*out = u;
	return 0;
}

/**
 * sbx_unix_add_tmpfs() - add st_dev values of tmpfs mounts sandbox init made.
 * @u: the judge
 * @devs: the values
 * @n: how many
 *
 * Context: the event loop, before sbx_unix_set_diag() (before the listener is served).
 * Return: 0, or -ENOMEM.
 */
int sbx_unix_add_tmpfs(struct sbx_unix *u, const uint64_t *devs, size_t n)
{
	uint64_t *t = realloc(u->tmpfs, (u->n_tmpfs + n + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memcpy(t + u->n_tmpfs, devs, n * sizeof(*t));
	u->tmpfs = t;
	u->n_tmpfs += n;
	return 0;
}

/**
 * sbx_unix_set_diag() - the NETLINK_SOCK_DIAG socket of the payload's network namespace.
 * @u: the judge
 * @fd: the socket (ownership taken), or -1 (then no socket the payload binds outside
 *      sbx's tmpfs mounts is ever recorded)
 *
 * Context: the event loop, before the listener is served.
 */
void sbx_unix_set_diag(struct sbx_unix *u, int fd)
{
	if (u->diag_fd >= 0)
		close(u->diag_fd);
	u->diag_fd = fd;
}

/**
 * sbx_unix_diag_fd() - the NETLINK_SOCK_DIAG socket, for a worker's own descriptor table.
 * @u: the judge
 *
 * Return: the descriptor, or -1.
 */
int sbx_unix_diag_fd(const struct sbx_unix *u)
{
	return u->diag_fd;
}

/**
 * sbx_unix_judge() - may the payload reach the socket file at @path_fd?
 * @u: the judge
 * @path_fd: the file, opened inside the payload's root (O_PATH)
 * @allowed: for SBX_UNIX_ALLOWED, the --allow-unix path that allows it
 *
 * Context: a worker thread.
 * Return: an enum sbx_unix_verdict, or a negative errno.
 */
int sbx_unix_judge(struct sbx_unix *u, int path_fd, const char **allowed)
{
	struct unix_id id;
	mode_t mode = 0;
	bool made;
	int r = identify_stat(path_fd, &id, &mode);

	if (r < 0)
		return r;
	if (!S_ISSOCK(mode))
		return SBX_UNIX_NOT_SOCKET;
	if (on_tmpfs(u, id.dev))
		return SBX_UNIX_SANDBOX_FS;
	identify_handle(path_fd, &id);
	for (size_t i = 0; i < u->n_allowed; i++) {
		if (same_id(&u->allowed[i].id, &id)) {
			*allowed = u->allowed[i].path;
			return SBX_UNIX_ALLOWED;
		}
	}
	pthread_rwlock_rdlock(&u->lock);
	made = made_has(u, &id);
	pthread_rwlock_unlock(&u->lock);
	if (!made && u->own_netns) {
		/*
		 * Bound by a socket of the sandbox's own network namespace: the payload's,
		 * and it stays so (no socket binds an existing file, a new file is a new
		 * identity), so the answer is kept and the dump is paid once per file.
		 */
		made = diag_query(u, 0, same_file, &id) > 0;
		if (made) {
			pthread_rwlock_wrlock(&u->lock);
			made_add(u, &id);
			pthread_rwlock_unlock(&u->lock);
		}
	}
	return made ? SBX_UNIX_MADE : SBX_UNIX_HOST;
}

/**
 * sbx_unix_note_bound() - remember the socket file the payload's socket was just bound to.
 * @u: the judge
 * @sock_fd: sbx's duplicate of the payload's socket, bound by sbx a moment ago
 * @dir_fd: the directory it was bound in
 * @name: the file's name there
 *
 * Nothing is recorded when the file at @name is not the one the kernel
 * bound the socket to (renamed over since), when it lies on sbx's tmpfs
 * (allowed anyway) or past SBX_UNIX_MAX_MADE.
 *
 * Context: a worker thread (bind.c).
 * Return: 0 when the socket is reachable, or a negative errno.
 */
int sbx_unix_note_bound(struct sbx_unix *u, int sock_fd, int dir_fd, const char *name)
{
	struct unix_id id;
	struct diag_vfs v = {0};
	struct stat sst;
	mode_t mode = 0;
	int r;

	if (fstat(sock_fd, &sst) < 0)
		return -errno;
	r = identify_at(dir_fd, name, true, &id, &mode);
	if (r < 0)
		return r;
	if (!S_ISSOCK(mode))
		return -ESTALE;
	if (on_tmpfs(u, id.dev))
		return 0;
	r = diag_query(u, (uint32_t)sst.st_ino, take_first, &v);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (v.dev != id.dev || v.ino != (uint32_t)id.ino)
		return -ESTALE; /* another file took the name between the bind and the look */
	pthread_rwlock_wrlock(&u->lock);
	r = made_add(u, &id);
	pthread_rwlock_unlock(&u->lock);
	return r;
}

/**
 * sbx_unix_free() - release the judge.
 * @u: the judge, or NULL
 */
void sbx_unix_free(struct sbx_unix *u)
{
	if (!u)
		return;
	if (u->diag_fd >= 0)
		close(u->diag_fd);
	pthread_rwlock_destroy(&u->lock);
	pthread_mutex_destroy(&u->diag_mu);
	free(u->made);
	free(u->allowed);
	free(u->tmpfs);
	free(u);
}
