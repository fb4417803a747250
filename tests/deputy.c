// SPDX-License-Identifier: Apache-2.0
/*
 * deputy: attacks on sbx's supervisor acting for the payload (issue 10, "the
 * supervisor is a deputy"). In open posture sbx performs connect/sendto/
 * sendmsg itself; whatever it copies, judges or applies with its own
 * privileges is attack surface. Used by tests/integration/t-deputy.sh, which
 * runs every mode inside sbx and, as the positive control, outside it.
 *
 * Output: one line per attempt, "LABEL = OK [detail]" or "LABEL = ENAME"
 * (the errno name), as tests/probe.c does. Exit status: 42 when the mode ran
 * to the end (whatever the calls answered), 2 on a usage error, anything
 * else means the mode itself broke. The fixed 42 lets the test tell "the
 * payload's own status came back" from sbx's 125 or a signal.
 *
 * Modes:
 *   cmsg-huge             sendmsg on a unix socketpair whose 24-byte control
 *                         buffer holds SCM_RIGHTS with cmsg_len 0x7ffffff0
 *   cmsg-many N           SCM_RIGHTS with N descriptors on a socketpair;
 *                         reports how many arrived
 *   connect ADDR PORT     TCP connect (ADDR numeric, v4 or v6)
 *   sendto ADDR PORT      UDP sendto
 *   cmsg KIND ADDR PORT   UDP sendmsg to ADDR:PORT with one control message:
 *                         somark (SOL_SOCKET SO_MARK 0x5b), retopts
 *                         (IPPROTO_IP IP_RETOPTS, LSRR via 127.0.0.2),
 *                         rthdr (IPPROTO_IPV6 IPV6_RTHDR, type 2 via ::1),
 *                         ttl (IPPROTO_IP IP_TTL 64, harmless)
 *   creds PATH UID        sendmsg on a unix datagram socket to PATH with
 *                         SCM_CREDENTIALS {own pid, UID, own gid}
 *   sockopt               setsockopt IPV6_RTHDR (type 0 and type 4 / SRH)
 *                         and IP_OPTIONS (LSRR, SSRR) on fresh sockets
 *   abstract-listen NAME SECS   bind+listen on abstract @NAME, report
 *                         whether anyone connected within SECS
 *   abstract-connect NAME SECS  keep trying to connect to @NAME for SECS
 *   personality           personality(ADDR_NO_RANDOMIZE),
 *                         personality(READ_IMPLIES_EXEC), the query
 *   nosys N...            syscall(N) with zero arguments
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif
#ifndef SO_MARK
#define SO_MARK 36
#endif

#define DONE 42

static void res(const char *label, long r, const char *detail)
{
	if (r < 0)
		printf("%s = %s\n", label, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	else
		printf("%s = OK%s%s\n", label, detail ? " " : "", detail ? detail : "");
	fflush(stdout);
}

/* Numeric v4 or v6 address + port. */
static socklen_t addr_of(const char *a, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "deputy: not a numeric address: %s\n", a);
	exit(2);
}

/* Issue 10 item 1: cmsg_len far beyond msg_controllen. */
static int cmsg_huge(void)
{
	int sv[2];
	union {
		char buf[24];
		struct cmsghdr align;
	} u;
	struct cmsghdr h = {.cmsg_len = 0x7ffffff0, .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
	struct rlimit rl;
	char x = 'x';
	struct iovec iov = {.iov_base = &x, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	int fds[2] = {0, 1};

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return res("socketpair", -1, NULL), 1;
	/* Make every small number a valid descriptor, so whatever the supervisor
	 * reads past the buffer (heap chunk sizes, zeros) is "passed" and written back. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		int top = rl.rlim_cur > 4096 ? 4096 : (int)rl.rlim_cur;

		for (int fd = 3; fd < top; fd++)
			if (fd != sv[0] && fd != sv[1] && fcntl(fd, F_GETFD) < 0)
				dup2(0, fd);
	}
	memcpy(u.buf, &h, sizeof(h));
	memcpy(u.buf + sizeof(h), fds, sizeof(fds));
	res("sendmsg", sendmsg(sv[0], &m, MSG_DONTWAIT), NULL);
	return DONE;
}

/* Issue 10 item 1, variant: many descriptors in one SCM_RIGHTS. */
static int cmsg_many(int n)
{
	int sv[2], *fds;
	size_t clen = CMSG_SPACE((size_t)n * sizeof(int));
	char *ctl = calloc(1, clen), *rctl = calloc(1, clen), x = 'x', detail[64];
	struct iovec iov = {.iov_base = &x, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = clen};
	struct cmsghdr *h;
	ssize_t r;
	int got = 0;

	if (!ctl || !rctl || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	fds = (int *)CMSG_DATA(h);
	for (int i = 0; i < n; i++)
		fds[i] = i % 3; /* 0, 1, 2: always open */
	r = sendmsg(sv[0], &m, MSG_DONTWAIT);
	if (r < 0) {
		res("sendmsg", -1, NULL);
		return DONE;
	}
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = clen};
	if (recvmsg(sv[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return res("recvmsg", -1, NULL), DONE;
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			got += (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	snprintf(detail, sizeof(detail), "received %d", got);
	res("sendmsg", 0, detail);
	return DONE;
}

/* Issue 10 item 2: connect/sendto to whatever address, report. */
static int dial(const char *mode, const char *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int tcp = strcmp(mode, "connect") == 0;
	int fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return res("socket", -1, NULL), 1;
	if (tcp) {
		long r = connect(fd, (struct sockaddr *)&ss, len);

		res(mode, r, NULL);
		if (r == 0)
			send(fd, "deputy", 6, MSG_NOSIGNAL);
	} else {
		res(mode, sendto(fd, "deputy", 6, 0, (struct sockaddr *)&ss, len), NULL);
	}
	usleep(50000); /* let the server log it */
	return DONE;
}

/* Issue 10 item 3: one control message on a UDP sendmsg to an allowed address. */
static int cmsg_kind(const char *kind, const char *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	union {
		char buf[256];
		struct cmsghdr align;
	} u;
	unsigned char data[64];
	size_t dlen;
	int level, type, fd;
	struct iovec iov = {.iov_base = "deputy", .iov_len = 6};
	struct msghdr m = {.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf};
	struct cmsghdr *h;

	memset(&u, 0, sizeof(u));
	memset(data, 0, sizeof(data));
	if (strcmp(kind, "somark") == 0) {
		int mark = 0x5b;

		level = SOL_SOCKET, type = SO_MARK, dlen = sizeof(mark);
		memcpy(data, &mark, sizeof(mark));
	} else if (strcmp(kind, "ttl") == 0) {
		int ttl = 64;

		level = IPPROTO_IP, type = IP_TTL, dlen = sizeof(ttl);
		memcpy(data, &ttl, sizeof(ttl));
	} else if (strcmp(kind, "retopts") == 0) {
		/* Loose source route: first hop 127.0.0.2, whatever msg_name says. */
		static const unsigned char lsrr[8] = {IPOPT_LSRR, 7, 4, 127, 0, 0, 2, IPOPT_END};

		level = IPPROTO_IP, type = IP_RETOPTS, dlen = sizeof(lsrr);
		memcpy(data, lsrr, sizeof(lsrr));
	} else if (strcmp(kind, "rthdr") == 0) {
		/* Type 2 routing header (the only type the kernel takes in a cmsg): via ::1. */
		unsigned char rt[24] = {0, 2, 2, 1};

		rt[23] = 1;
		level = IPPROTO_IPV6, type = IPV6_RTHDR, dlen = sizeof(rt);
		memcpy(data, rt, sizeof(rt));
	} else {
		return 2;
	}
	m.msg_controllen = CMSG_SPACE(dlen);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = level;
	h->cmsg_type = type;
	h->cmsg_len = CMSG_LEN(dlen);
	memcpy(CMSG_DATA(h), data, dlen);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return res("socket", -1, NULL), 1;
	res(kind, sendmsg(fd, &m, 0), NULL);
	usleep(50000);
	return DONE;
}

/* Issue 10 item 3: SCM_CREDENTIALS naming another uid, to a unix datagram socket at PATH. */
static int creds(const char *path, unsigned uid)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct ucred uc = {.pid = getpid(), .uid = uid, .gid = getgid()};
	struct iovec iov = {.iov_base = "deputy", .iov_len = 6};
	struct msghdr m = {.msg_name = &sun,
			   .msg_namelen = sizeof(sun),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	memset(&u, 0, sizeof(u));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_CREDENTIALS;
	h->cmsg_len = CMSG_LEN(sizeof(uc));
	memcpy(CMSG_DATA(h), &uc, sizeof(uc));
	res("creds", sendmsg(fd, &m, 0), NULL);
	return DONE;
}

/* Issue 10 item 4: source-routing socket options. */
static int sockopts(void)
{
	/* Type 0 (RFC 2460, deprecated by RFC 5095), one hop ::1. */
	unsigned char rt0[24] = {0, 2, 0, 1};
	/* Type 4, segment routing (RFC 8754): segments_left 1, first hop ::1. */
	unsigned char srh[40] = {0, 4, 4, 1, 1};
	static const unsigned char lsrr[8] = {IPOPT_LSRR, 7, 4, 127, 0, 0, 2, IPOPT_END};
	static const unsigned char ssrr[8] = {IPOPT_SSRR, 7, 4, 127, 0, 0, 2, IPOPT_END};
	int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int t6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int t4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	rt0[23] = 1;
	srh[39] = 1; /* segments[1] = ::1 (first hop), segments[0] = :: (final, rewritten by the kernel) */
	res("rthdr-type0", setsockopt(s6, IPPROTO_IPV6, IPV6_RTHDR, rt0, sizeof(rt0)), NULL);
	res("rthdr-srh-udp", setsockopt(s6, IPPROTO_IPV6, IPV6_RTHDR, srh, sizeof(srh)), NULL);
	res("rthdr-srh-tcp", setsockopt(t6, IPPROTO_IPV6, IPV6_RTHDR, srh, sizeof(srh)), NULL);
	{
		/* RFC 2292 sticky options: a control buffer whose IPV6_RTHDR sticks to the socket. */
		union {
			char buf[CMSG_SPACE(sizeof(srh))];
			struct cmsghdr align;
		} po;
		struct cmsghdr *h = (struct cmsghdr *)po.buf;

		memset(&po, 0, sizeof(po));
		h->cmsg_level = IPPROTO_IPV6;
		h->cmsg_type = IPV6_RTHDR;
		h->cmsg_len = CMSG_LEN(sizeof(srh));
		memcpy(CMSG_DATA(h), srh, sizeof(srh));
		res("pktopts-rthdr-udp",
		    setsockopt(s6, IPPROTO_IPV6, 6 /* IPV6_2292PKTOPTIONS */, po.buf, sizeof(po.buf)), NULL);
		res("pktopts-rthdr-tcp",
		    setsockopt(t6, IPPROTO_IPV6, 6 /* IPV6_2292PKTOPTIONS */, po.buf, sizeof(po.buf)), NULL);
	}
	res("ipopt-lsrr-udp", setsockopt(s4, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr)), NULL);
	res("ipopt-lsrr-tcp", setsockopt(t4, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr)), NULL);
	res("ipopt-ssrr-tcp", setsockopt(t4, IPPROTO_IP, IP_OPTIONS, ssrr, sizeof(ssrr)), NULL);
	return DONE;
}

static socklen_t abstract_of(const char *name, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "%s", name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* Issue 10 item 5: the payload listens on a host abstract name. */
static int abstract_listen(const char *name, int secs)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_of(name, &sun);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	long r;

	r = bind(fd, (struct sockaddr *)&sun, len);
	res("bind", r, NULL);
	if (r < 0)
		return DONE;
	res("listen", listen(fd, 8), NULL);
	if (poll(&p, 1, secs * 1000) == 1) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		res("accept", c, "a process outside connected");
		if (c >= 0)
			send(c, "pong", 4, MSG_NOSIGNAL);
	} else {
		printf("accept = none\n");
	}
	return DONE;
}

static int abstract_connect(const char *name, int secs)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_of(name, &sun);
	long r = -1;
	int err = 0;

	for (int i = 0; i < secs * 20; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		r = connect(fd, (struct sockaddr *)&sun, len);
		err = errno;
		close(fd);
		if (r == 0)
			break;
		usleep(50000);
	}
	errno = err;
	res("connect", r, NULL);
	return DONE;
}

/* Issue 10 item 8: personality flags that weaken the process. */
static int personalities(void)
{
	long q = syscall(SYS_personality, 0xffffffffUL);
	char d[32];

	snprintf(d, sizeof(d), "0x%lx", q);
	res("query", q, d);
	res("addr-no-randomize", syscall(SYS_personality, (unsigned long)(PER_LINUX | ADDR_NO_RANDOMIZE)), NULL);
	res("read-implies-exec", syscall(SYS_personality, (unsigned long)(PER_LINUX | READ_IMPLIES_EXEC)), NULL);
	syscall(SYS_personality, (unsigned long)PER_LINUX);
	return DONE;
}

/* Issue 10 item 8: syscall numbers the filter does not list. */
static int nosys(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char label[32];

		snprintf(label, sizeof(label), "nr-%s", argv[i]);
		res(label, syscall(atol(argv[i]), 0, 0, 0, 0, 0, 0), NULL);
	}
	return DONE;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (strcmp(m, "cmsg-huge") == 0)
		return cmsg_huge();
	if (strcmp(m, "cmsg-many") == 0 && argc == 3)
		return cmsg_many(atoi(argv[2]));
	if ((strcmp(m, "connect") == 0 || strcmp(m, "sendto") == 0) && argc == 4)
		return dial(m, argv[2], atoi(argv[3]));
	if (strcmp(m, "cmsg") == 0 && argc == 5)
		return cmsg_kind(argv[2], argv[3], atoi(argv[4]));
	if (strcmp(m, "creds") == 0 && argc == 4)
		return creds(argv[2], (unsigned)atoi(argv[3]));
	if (strcmp(m, "sockopt") == 0)
		return sockopts();
	if (strcmp(m, "abstract-listen") == 0 && argc == 4)
		return abstract_listen(argv[2], atoi(argv[3]));
	if (strcmp(m, "abstract-connect") == 0 && argc == 4)
		return abstract_connect(argv[2], atoi(argv[3]));
	if (strcmp(m, "personality") == 0)
		return personalities();
	if (strcmp(m, "nosys") == 0)
		return nosys(argc - 2, argv + 2);
	fprintf(stderr, "usage: deputy MODE ARGS (see tests/deputy.c)\n");
	return 2;
}
