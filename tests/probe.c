// SPDX-License-Identifier: Apache-2.0
/*
 * probe: issue the raw syscalls the integration tests need and report what
 * the kernel (or the seccomp filter in front of it) answered.
 *
 * Output: one line per attempt, "LABEL = OK [detail]" or "LABEL = ENAME"
 * (the errno name), so tests can grep a label and compare a run inside sbx
 * with the same run outside (the positive control).
 *
 * Exit status:
 *   0  the operation succeeded (or, for calls that cannot succeed without
 *      privilege, reached the kernel subsystem: see "reached" below)
 *   1  refused or failed (errno printed)
 *   2  usage error
 *   death by SIGSYS (31) when a seccomp filter kills the process.
 *
 * Some calls cannot succeed for an unprivileged user even without a filter
 * (bpf with unprivileged_bpf_disabled, ...). For those the probe issues a
 * variant whose kernel answer is a subsystem-specific error (EBADF from a
 * bad descriptor) and counts that as "reached": a seccomp filter answers
 * EPERM/ENOSYS (or kills) before the subsystem ever sees the call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <netinet/in.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSPICK_CLOEXEC
#define FSPICK_CLOEXEC 0x00000001
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#ifndef SOCK_PACKET
#define SOCK_PACKET 10
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

/* Garbage for the upper half of 64-bit registers: the kernel truncates int
 * arguments, a filter comparing all 64 bits would not. */
#define HI_GARBAGE 0xdeadbeef00000000UL

static const char *ename(int e)
{
	static char buf[32];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* report - print "LABEL = OK detail" or "LABEL = ENAME"; returns ok. */
__attribute__((format(printf, 4, 5))) static bool report(bool ok, int err, const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (ok)
		printf(" = OK%s%s\n", detail && *detail ? " " : "", detail ? detail : "");
	else
		printf(" = %s\n", ename(err));
	fflush(stdout);
	return ok;
}

/* report_ret - report a raw syscall return value (fd or 0) and close fds. */
__attribute__((format(printf, 3, 4))) static bool report_ret(long r, bool is_fd, const char *fmt, ...)
{
	char label[256];
	char detail[64] = "";
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	if (r >= 0) {
		snprintf(detail, sizeof(detail), "%ld", r);
		if (is_fd)
			close((int)r);
	}
	return report(r >= 0, err, detail, "%s", label);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: probe SUBCOMMAND [ARGS]\n"
		"  tcp-connect ADDR PORT [TOKEN]   udp-send ADDR PORT [TOKEN]\n"
		"  tcp-selftest ADDR               socket|socket-hi FAMILY TYPE PROTO\n"
		"  raw-variants  families  io-uring  tiocsti [hi] [TEXT]  tiocsti-ownpty\n"
		"  tioclinux  caps  userns  fds [OUTFILE]  x32-getpid  int80-getpid\n"
		"  int80-socketcall  keyctl  bpf  perf  userfaultfd  fsopen  open_tree\n"
		"  kexec  init-module  sleep-orphan SECONDS  sleep SECONDS  zombies  pids\n"
		"  signal-wait  exit N  kill-self SIG  getpid  ids  write PATH [TEXT]\n"
		"  read PATH  forks N [HOLD]  threads N [HOLD]\n");
	return 2;
}

static bool parse_long(const char *s, long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtol(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

static bool parse_ulong(const char *s, unsigned long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* parse_addr - fill a sockaddr from an IPv4 or IPv6 literal and a port. */
static int parse_addr(const char *addr, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	long p;

	if (!parse_long(port, &p) || p < 0 || p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* connect_timeout - non-blocking connect bounded by @ms; 0 or -errno. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, sa, len) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return -errno;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r = poll(&p, 1, ms);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr)
		return -soerr;
done:
	fcntl(fd, F_SETFL, fl);
	return 0;
}

static int cmd_tcp_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *token = argc > 3 ? argv[3] : "probe-tcp";

	if (argc < 3 || parse_addr(argv[1], argv[2], &ss, &len) < 0)
		return usage();
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return report(false, errno, NULL, "tcp-connect %s %s socket", argv[1], argv[2]) ? 0 : 1;
	int r = connect_timeout(fd, (struct sockaddr *)&ss, len, 3000);
	if (r < 0) {
		report(false, -r, NULL, "tcp-connect %s %s", argv[1], argv[2]);
		close(fd);
		return 1;
	}
	char line[256];
	int n = snprintf(line, sizeof(line), "%s\n", token);
	if (write(fd, line, (size_t)n) < 0) {
		report(false, errno, NULL, "tcp-connect %s %s write", argv[1], argv[2]);
		close(fd);
		return 1;
	}
	char buf[256] = "";
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 2000) > 0) {
		ssize_t m = read(fd, buf, sizeof(buf) - 1);
		buf[m > 0 ? m : 0] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
	}
	report(true, 0, buf, "tcp-connect %s %s", argv[1], argv[2]);
	close(fd);
	return 0;
}

static int cmd_udp_send(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *token = argc > 3 ? argv[3] : "probe-udp";

	if (argc < 3 || parse_addr(argv[1], argv[2], &ss, &len) < 0)
		return usage();
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return report(false, errno, NULL, "udp-send %s %s socket", argv[1], argv[2]) ? 0 : 1;
	/* Unconnected sendto, then wait for the echo: an ICMP port unreachable
	 * is only reported on connected sockets, so a silent drop and a refusal
	 * both end as a timeout here. */
	for (int i = 0; i < 3; i++) {
		if (sendto(fd, token, strlen(token), 0, (struct sockaddr *)&ss, len) < 0) {
			report(false, errno, NULL, "udp-send %s %s sendto", argv[1], argv[2]);
			close(fd);
			return 1;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 500) > 0) {
			char buf[256];
			ssize_t m = recv(fd, buf, sizeof(buf) - 1, 0);
			if (m >= 0) {
				buf[m] = '\0';
				report(true, 0, buf, "udp-send %s %s", argv[1], argv[2]);
				close(fd);
				return 0;
			}
			report(false, errno, NULL, "udp-send %s %s recv", argv[1], argv[2]);
			close(fd);
			return 1;
		}
	}
	report(false, ETIMEDOUT, NULL, "udp-send %s %s", argv[1], argv[2]);
	close(fd);
	return 1;
}

/* tcp-selftest ADDR: listen on ADDR:0, connect to it, exchange one byte. */
static int cmd_tcp_selftest(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc < 2 || parse_addr(argv[1], "0", &ss, &len) < 0)
		return usage();
	int l = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &len) < 0)
		return report(false, errno, NULL, "tcp-selftest %s listen", argv[1]) ? 0 : 1;
	int c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = c < 0 ? -errno : connect_timeout(c, (struct sockaddr *)&ss, len, 2000);
	if (r < 0)
		return report(false, -r, NULL, "tcp-selftest %s connect", argv[1]) ? 0 : 1;
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	char b = 'x';
	if (a < 0 || write(c, &b, 1) != 1 || read(a, &b, 1) != 1)
		return report(false, errno, NULL, "tcp-selftest %s accept", argv[1]) ? 0 : 1;
	report(true, 0, NULL, "tcp-selftest %s", argv[1]);
	return 0;
}

static bool try_socket(bool hi, long fam, long type, long proto, const char *name)
{
	unsigned long f = (unsigned long)fam, t = (unsigned long)type, p = (unsigned long)proto;

	if (hi) {
		f |= HI_GARBAGE;
		t |= HI_GARBAGE;
		p |= HI_GARBAGE;
	}
	errno = 0;
	long r = syscall(SYS_socket, f, t, p);
	return report_ret(r, true, "socket%s %s(%#lx,%#lx,%#lx)", hi ? "-hi" : "", name ? name : "", fam, type, proto);
}

static int cmd_socket(int argc, char **argv, bool hi)
{
	long f, t, p;

	if (argc < 4 || !parse_long(argv[1], &f) || !parse_long(argv[2], &t) || !parse_long(argv[3], &p))
		return usage();
	return try_socket(hi, f, t, p, NULL) ? 0 : 1;
}

static int cmd_raw_variants(void)
{
	static const struct {
		const char *name;
		long fam, type, proto;
	} v[] = {
		{"inet-raw-icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP},
		{"inet-raw-tcp", AF_INET, SOCK_RAW, IPPROTO_TCP},
		{"inet-raw-raw", AF_INET, SOCK_RAW, IPPROTO_RAW},
		{"inet6-raw-icmpv6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6},
		{"inet6-raw-raw", AF_INET6, SOCK_RAW, IPPROTO_RAW},
		{"packet-raw", AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */},
		{"packet-dgram", AF_PACKET, SOCK_DGRAM, 0x0300},
		{"packet-raw-0", AF_PACKET, SOCK_RAW, 0},
		{"packet-packet", AF_PACKET, SOCK_PACKET, 0x0300},
		{"inet-packet", AF_INET, SOCK_PACKET, 0x0300},
	};
	static const struct {
		const char *name;
		long bits;
	} flags[] = {
		{"", 0},
		{"|cloexec", SOCK_CLOEXEC},
		{"|nonblock", SOCK_NONBLOCK},
		{"|cloexec|nonblock", SOCK_CLOEXEC | SOCK_NONBLOCK},
	};
	int any = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (size_t j = 0; j < sizeof(flags) / sizeof(flags[0]); j++) {
			char name[64];
			snprintf(name, sizeof(name), "%s%s", v[i].name, flags[j].name);
			for (int hi = 0; hi <= 1; hi++)
				any |= try_socket(hi, v[i].fam, v[i].type | flags[j].bits, v[i].proto, name);
		}
	}
	return any ? 0 : 1;
}

/* families: every socket family/protocol outside unix, inet, inet6 and
 * netlink route that an unprivileged process might open. */
static int cmd_families(void)
{
	static const struct {
		const char *name;
		long fam, type, proto;
	} v[] = {
		{"netlink-route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE},
		{"netlink-sock-diag", AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG},
		{"netlink-audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT},
		{"netlink-netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER},
		{"netlink-uevent", AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT},
		{"netlink-generic", AF_NETLINK, SOCK_RAW, NETLINK_GENERIC},
		{"netlink-xfrm", AF_NETLINK, SOCK_RAW, NETLINK_XFRM},
		{"alg", 38, SOCK_SEQPACKET, 0},
		{"vsock-stream", 40, SOCK_STREAM, 0},
		{"vsock-dgram", 40, SOCK_DGRAM, 0},
		{"key", 15, SOCK_RAW, 2},
		{"tipc", 30, SOCK_RDM, 0},
		{"can-raw", 29, SOCK_RAW, 1},
		{"bluetooth", 31, SOCK_RAW, 0},
		{"rds", 21, SOCK_SEQPACKET, 0},
		{"llc", 26, SOCK_DGRAM, 0},
		{"appletalk", 5, SOCK_DGRAM, 0},
		{"x25", 9, SOCK_SEQPACKET, 0},
		{"ax25", 3, SOCK_SEQPACKET, 0},
		{"pppox", 24, SOCK_STREAM, 0},
		{"xdp", 44, SOCK_RAW, 0},
		{"qipcrtr", 42, SOCK_DGRAM, 0},
		{"smc", 43, SOCK_STREAM, 0},
		{"mctp", 45, SOCK_DGRAM, 0},
	};
	int any = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int hi = 0; hi <= 1; hi++)
			any |= try_socket(hi, v[i].fam, v[i].type | SOCK_CLOEXEC, v[i].proto, v[i].name);
	return any ? 0 : 1;
}

static int cmd_io_uring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	long r = syscall(__NR_io_uring_setup, 4, &p);
	bool ok = report_ret(r, true, "io_uring_setup");
	/* enter/register with a bad fd: EBADF from io_uring itself means the
	 * call reached the subsystem. */
	errno = 0;
	r = syscall(__NR_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	report(false, errno, NULL, "io_uring_enter(-1)");
	errno = 0;
	r = syscall(__NR_io_uring_register, -1, 0, NULL, 0);
	report(false, errno, NULL, "io_uring_register(-1)");
	return ok ? 0 : 1;
}

/* tiocsti_on - push @text into @fd's input queue, one byte per call. */
static bool tiocsti_on(int fd, bool hi, const char *text, const char *label)
{
	unsigned long req = TIOCSTI | (hi ? HI_GARBAGE : 0);

	for (const char *c = text; *c; c++) {
		if (syscall(SYS_ioctl, (long)fd, req, c) < 0)
			return report(false, errno, NULL, "%s", label);
	}
	return report(true, 0, NULL, "%s", label);
}

static int cmd_tiocsti(int argc, char **argv)
{
	bool hi = argc > 1 && strcmp(argv[1], "hi") == 0;
	const char *text = argc > (hi ? 2 : 1) ? argv[hi ? 2 : 1] : "echo INJECTED\n";
	char *t = strdup(text);

	/* Let "\n" on the command line mean a newline. */
	for (char *s = t, *d = t;; s++, d++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*d = '\n';
			s++;
		} else {
			*d = *s;
		}
		if (!*s)
			break;
	}
	bool ok = tiocsti_on(0, hi, t, hi ? "tiocsti-hi fd0" : "tiocsti fd0");
	free(t);
	return ok ? 0 : 1;
}

/* open_own_pty - become a session leader and take a fresh pty as the
 * controlling terminal, so TIOCSTI needs no privilege: only a filter
 * refuses it. Runs in a forked child. */
static int open_own_pty(void)
{
	if (getsid(0) != getpid() && setsid() < 0)
		return -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	const char *name = ptsname(m);
	if (!name)
		return -1;
	int s = open(name, O_RDWR | O_CLOEXEC);
	if (s < 0)
		return -1;
	ioctl(s, TIOCSCTTY, 0);
	return s;
}

static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(fn());
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		printf("child killed by signal %d\n", WTERMSIG(st));
		fflush(stdout);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

static int tiocsti_ownpty_child(void)
{
	int s = open_own_pty();
	if (s < 0)
		return report(false, errno, NULL, "tiocsti-ownpty open") ? 0 : 1;
	bool a = tiocsti_on(s, false, "x", "tiocsti ownpty");
	bool b = tiocsti_on(s, true, "y", "tiocsti-hi ownpty");
	return a || b ? 0 : 1;
}

static int tioclinux_child(void)
{
	int fd = isatty(0) ? 0 : open_own_pty();
	if (fd < 0)
		return report(false, errno, NULL, "tioclinux open") ? 0 : 1;
	/* Subcode 11 (TIOCL_GETSHIFTSTATE) is harmless. On a pty the tty layer
	 * answers ENOTTY/EINVAL: that means the call reached it; a filter
	 * answers EPERM before. */
	char arg[2] = {11, 0};
	int rc = 1;
	for (int hi = 0; hi <= 1; hi++) {
		unsigned long req = TIOCLINUX | (hi ? HI_GARBAGE : 0);
		errno = 0;
		long r = syscall(SYS_ioctl, (long)fd, req, arg);
		int e = errno;
		bool reached = r >= 0 || e == ENOTTY || e == EINVAL;
		if (r >= 0)
			report(true, 0, "reached", "tioclinux%s", hi ? "-hi" : "");
		else
			printf("tioclinux%s = %s%s\n", hi ? "-hi" : "", ename(e), reached ? " reached" : "");
		fflush(stdout);
		if (reached)
			rc = 0;
	}
	return rc;
}

static int cmd_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[512];

	if (!f)
		return report(false, errno, NULL, "open /proc/self/status") ? 0 : 1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
		    strncmp(line, "Seccomp", 7) == 0)
			fputs(line, stdout);
	}
	fclose(f);
	printf("prctl_no_new_privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	return 0;
}

static int userns_clone_child(void *arg)
{
	(void)arg;
	_exit(0);
}

static int cmd_userns(void)
{
	bool any = false;

	int st;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	}
	waitpid(pid, &st, 0);
	any |= report(WIFEXITED(st) && WEXITSTATUS(st) == 0, WIFEXITED(st) ? WEXITSTATUS(st) : EINTR, NULL,
		      "unshare(CLONE_NEWUSER)");

	/* clone() with its own stack, so the child never shares ours. */
	size_t sz = 64 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack != MAP_FAILED) {
		pid = clone(userns_clone_child, stack + sz, CLONE_NEWUSER | SIGCHLD, NULL);
		int e = errno;
		if (pid > 0)
			waitpid(pid, &st, 0);
		any |= report(pid > 0, e, NULL, "clone(CLONE_NEWUSER)");
	}

	/* clone3: a filter that only knows clone() may miss it. */
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	fflush(stdout);
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	int e = errno;
	if (r > 0)
		waitpid((pid_t)r, &st, 0);
	any |= report(r > 0, e, NULL, "clone3(CLONE_NEWUSER)");
	return any ? 0 : 1;
}

static int cmd_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	char out[8192];
	size_t len = 0;

	if (!d)
		return report(false, errno, NULL, "opendir /proc/self/fd") ? 0 : 1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char path[300], target[512];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		int fl = fcntl(atoi(e->d_name), F_GETFD);
		int r = snprintf(out + len, sizeof(out) - len, "fd %s -> %s%s\n", e->d_name, target,
				 fl >= 0 && (fl & FD_CLOEXEC) ? " (cloexec)" : "");
		if (r > 0 && (size_t)r < sizeof(out) - len)
			len += (size_t)r;
	}
	closedir(d);
	if (argc > 1) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, out, len) != (ssize_t)len)
			return 1;
		close(fd);
	} else {
		fwrite(out, 1, len, stdout);
	}
	return 0;
}

static int cmd_x32_getpid(void)
{
	errno = 0;
	long r = syscall(__X32_SYSCALL_BIT | 39 /* x32 getpid */);
	int e = errno;
	char d[64];

	snprintf(d, sizeof(d), "%ld native %d", r, getpid());
	return report(r == getpid(), e ? e : EINVAL, d, "x32 getpid") ? 0 : 1;
}

#if defined(__x86_64__)
static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static int cmd_int80_getpid(void)
{
	printf("int80 getpid: trying\n");
	fflush(stdout);
	long r = int80(20 /* i386 getpid */, 0, 0, 0);
	char d[64];
	snprintf(d, sizeof(d), "%ld native %d", r, getpid());
	return report(r == getpid(), r < 0 ? (int)-r : EINVAL, d, "int80 getpid") ? 0 : 1;
}

static int cmd_int80_socketcall(void)
{
	/* socketcall's argument block must be addressable by a 32-bit pointer. */
	uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	int any = 0;

	if (args == MAP_FAILED)
		return report(false, errno, NULL, "mmap MAP_32BIT") ? 0 : 1;
	static const struct {
		const char *name;
		uint32_t fam, type, proto;
	} v[] = {
		{"inet-stream", AF_INET, SOCK_STREAM, 0},
		{"packet-raw", AF_PACKET, SOCK_RAW, 0x0300},
		{"inet-raw", AF_INET, SOCK_RAW, IPPROTO_ICMP},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		args[0] = v[i].fam;
		args[1] = v[i].type;
		args[2] = v[i].proto;
		printf("int80 socketcall %s: trying\n", v[i].name);
		fflush(stdout);
		long r = int80(102 /* socketcall */, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0);
		if (r >= 0)
			close((int)r);
		any |= report(r >= 0, (int)-r, NULL, "int80 socketcall %s", v[i].name);
		printf("int80 socket %s: trying\n", v[i].name);
		fflush(stdout);
		r = int80(359 /* i386 socket */, v[i].fam, v[i].type, v[i].proto);
		if (r >= 0)
			close((int)r);
		any |= report(r >= 0, (int)-r, NULL, "int80 socket %s", v[i].name);
	}
	return any ? 0 : 1;
}
#else
static int cmd_int80_getpid(void)
{
	return report(false, ENOSYS, NULL, "int80 getpid (not x86_64)") ? 0 : 1;
}

static int cmd_int80_socketcall(void)
{
	return report(false, ENOSYS, NULL, "int80 socketcall (not x86_64)") ? 0 : 1;
}
#endif

static int cmd_keyctl(void)
{
	bool any = false;

	errno = 0;
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
	any |= report_ret(r, false, "keyctl(GET_KEYRING_ID)");
	errno = 0;
	r = syscall(SYS_add_key, "user", "sbx-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	any |= report_ret(r, false, "add_key");
	errno = 0;
	r = syscall(SYS_request_key, "user", "sbx-probe-absent", NULL, 0);
	/* ENOKEY is the keyring answering. */
	if (r < 0 && errno == ENOKEY) {
		report(true, 0, "ENOKEY reached", "request_key");
		any = true;
	} else {
		any |= report_ret(r, false, "request_key");
	}
	return any ? 0 : 1;
}

static int cmd_bpf(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)-1;
	errno = 0;
	long r = syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr));
	int e = errno;
	bool reached = r >= 0 || e == EBADF;
	printf("bpf(MAP_LOOKUP_ELEM,fd=-1) = %s%s\n", r >= 0 ? "OK" : ename(e), reached ? " reached" : "");

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	errno = 0;
	r = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	report_ret(r, true, "bpf(MAP_CREATE)");
	return reached ? 0 : 1;
}

static int cmd_perf(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	errno = 0;
	long r = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return report_ret(r, true, "perf_event_open(sw task-clock, self)") ? 0 : 1;
}

static int cmd_userfaultfd(void)
{
	errno = 0;
	long r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	bool ok = report_ret(r, true, "userfaultfd(USER_MODE_ONLY)");
	errno = 0;
	r = syscall(SYS_userfaultfd, O_CLOEXEC);
	ok |= report_ret(r, true, "userfaultfd");
	return ok ? 0 : 1;
}

static int cmd_fsopen(void)
{
	errno = 0;
	long r = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	bool ok = report_ret(r, true, "fsopen(tmpfs)");
	errno = 0;
	r = syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC);
	report_ret(r, true, "fspick(/)");
	errno = 0;
	r = syscall(SYS_fsmount, -1, 0, 0);
	report_ret(r, true, "fsmount(-1)");
	errno = 0;
	r = syscall(SYS_move_mount, -1, "", AT_FDCWD, "/nonexistent-sbx-probe", MOVE_MOUNT_F_EMPTY_PATH);
	report_ret(r, false, "move_mount(-1)");
	errno = 0;
	r = syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, NULL, 0);
	report_ret(r, false, "mount_setattr(-1)");
	return ok ? 0 : 1;
}

static int cmd_open_tree(void)
{
	/* Without OPEN_TREE_CLONE this needs no privilege (an O_PATH-like fd). */
	errno = 0;
	long r = syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	bool ok = report_ret(r, true, "open_tree(/)");
	errno = 0;
	r = syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC | 1 /* OPEN_TREE_CLONE */);
	report_ret(r, true, "open_tree(/, CLONE)");
	return ok ? 0 : 1;
}

static int cmd_kexec(void)
{
	errno = 0;
	long r = syscall(SYS_kexec_load, 0, 0, NULL, 0);
	bool ok = report_ret(r, false, "kexec_load");
#ifdef SYS_kexec_file_load
	errno = 0;
	r = syscall(SYS_kexec_file_load, -1, -1, 0, "", 0);
	ok |= report_ret(r, false, "kexec_file_load");
#endif
	return ok ? 0 : 1;
}

static int cmd_init_module(void)
{
	errno = 0;
	long r = syscall(SYS_init_module, NULL, 0, "");
	bool ok = report_ret(r, false, "init_module");
	errno = 0;
	r = syscall(SYS_finit_module, -1, "", 0);
	ok |= report_ret(r, false, "finit_module");
	errno = 0;
	r = syscall(SYS_delete_module, "sbx_probe_absent", 0);
	report_ret(r, false, "delete_module");
	return ok ? 0 : 1;
}

static int wait_forever(void *arg)
{
	for (;;)
		pause();
	return 0;
}

/*
 * forks|threads N [HOLD]: start up to N child processes (or threads) that
 * wait; print how many started and the errno that stopped the next one
 * ("forks = 4 EAGAIN", "forks = 20 OK"); keep them HOLD seconds, then end.
 * Threads are raw clone(CLONE_THREAD): no libpthread in the probe.
 */
static int cmd_tasks(int argc, char **argv, bool threads)
{
	static pid_t pids[4096];
	long n, started = 0;
	double hold = argc > 2 ? atof(argv[2]) : 0;
	int err = 0;

	if (argc < 2 || !parse_long(argv[1], &n) || n < 0 || n > 4096)
		return usage();
	fflush(stdout);
	for (; started < n; started++) {
		pid_t p;

		if (threads) {
			char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
					   -1, 0);
			if (stack == MAP_FAILED) {
				err = errno;
				break;
			}
			p = clone(wait_forever, stack + 65536,
				  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
				  NULL);
		} else {
			p = fork();
			if (p == 0)
				wait_forever(NULL);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		pids[started] = p;
	}
	printf("%s = %ld %s\n", threads ? "threads" : "forks", started, started == n ? "OK" : ename(err));
	fflush(stdout);
	if (hold > 0)
		sleep_seconds(hold);
	for (long i = 0; !threads && i < started; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; !threads && i < started; i++)
		waitpid(pids[i], NULL, 0);
	return started == n ? 0 : 1;
}

static int cmd_sleep_orphan(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		setsid();
		pid_t gc = fork();
		if (gc == 0) {
			close(p[0]);
			close(p[1]);
			sleep_seconds(secs);
			_exit(0);
		}
		if (write(p[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pid_t gc = -1;
	if (read(p[0], &gc, sizeof(gc)) != sizeof(gc))
		gc = -1;
	waitpid(child, NULL, 0);
	printf("orphan = %d\n", (int)gc);
	return gc > 0 ? 0 : 1;
}

/* proc_stat - read state and ppid of @pid; 0 or -1. */
static int proc_stat(const char *pid, char *state, int *ppid, char *comm, size_t commlen)
{
	char path[300], buf[1024];

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r || r[1] == '\0')
		return -1;
	size_t cl = (size_t)(r - l - 1) < commlen - 1 ? (size_t)(r - l - 1) : commlen - 1;
	memcpy(comm, l + 1, cl);
	comm[cl] = '\0';
	if (sscanf(r + 2, "%c %d", state, ppid) != 2)
		return -1;
	return 0;
}

static int cmd_pids(bool zombies_only)
{
	DIR *d = opendir("/proc");
	int count = 0;

	if (!d)
		return report(false, errno, NULL, "opendir /proc") ? 0 : 1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char state, comm[64];
		int ppid;
		if (proc_stat(e->d_name, &state, &ppid, comm, sizeof(comm)) < 0)
			continue;
		if (zombies_only && state != 'Z')
			continue;
		printf("%s %s state=%c ppid=%d comm=%s\n", zombies_only ? "ZOMBIE" : "PID", e->d_name, state, ppid,
		       comm);
		count++;
	}
	closedir(d);
	printf("%s = %d\n", zombies_only ? "zombies" : "pids", count);
	return zombies_only && count ? 1 : 0;
}

static int cmd_signal_wait(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A default disposition (not an inherited SIG_IGN), then block and
		 * take them synchronously. */
		signal(sigs[i], SIG_DFL);
		sigaddset(&set, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	for (;;) {
		siginfo_t si;
		int s = sigwaitinfo(&set, &si);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		printf("GOT %s from pid %d\n", sigabbrev_np(s), (int)si.si_pid);
		fflush(stdout);
		if (s == SIGTERM)
			return 0;
	}
}

static int cmd_getpid(void)
{
	printf("pid = %d ppid = %d sid = %d pgid = %d\n", getpid(), getppid(), getsid(0), getpgid(0));
	return 0;
}

static int cmd_ids(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups);

	printf("uid = %d gid = %d euid = %d egid = %d groups =", getuid(), getgid(), geteuid(), getegid());
	for (int i = 0; i < n; i++)
		printf(" %d", groups[i]);
	printf("\n");
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *text = argc > 2 ? argv[2] : "probe\n";
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return report(false, errno, NULL, "write %s", argv[1]) ? 0 : 1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	return report(n == (ssize_t)strlen(text), e, NULL, "write %s", argv[1]) ? 0 : 1;
}

static int cmd_read(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return report(false, errno, NULL, "read %s", argv[1]) ? 0 : 1;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	int e = errno;
	close(fd);
	if (n < 0)
		return report(false, e, NULL, "read %s", argv[1]) ? 0 : 1;
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	const char *c = argv[1];
	argc--;
	argv++;
	long n;
	unsigned long u;

	if (!strcmp(c, "tcp-connect"))
		return cmd_tcp_connect(argc, argv);
	if (!strcmp(c, "udp-send"))
		return cmd_udp_send(argc, argv);
	if (!strcmp(c, "tcp-selftest"))
		return cmd_tcp_selftest(argc, argv);
	if (!strcmp(c, "socket"))
		return cmd_socket(argc, argv, false);
	if (!strcmp(c, "socket-hi"))
		return cmd_socket(argc, argv, true);
	if (!strcmp(c, "raw-variants"))
		return cmd_raw_variants();
	if (!strcmp(c, "families"))
		return cmd_families();
	if (!strcmp(c, "io-uring"))
		return cmd_io_uring();
	if (!strcmp(c, "tiocsti"))
		return cmd_tiocsti(argc, argv);
	if (!strcmp(c, "tiocsti-ownpty"))
		return in_child(tiocsti_ownpty_child);
	if (!strcmp(c, "tioclinux"))
		return in_child(tioclinux_child);
	if (!strcmp(c, "caps"))
		return cmd_caps();
	if (!strcmp(c, "userns"))
		return cmd_userns();
	if (!strcmp(c, "fds"))
		return cmd_fds(argc, argv);
	if (!strcmp(c, "x32-getpid"))
		return cmd_x32_getpid();
	if (!strcmp(c, "int80-getpid"))
		return cmd_int80_getpid();
	if (!strcmp(c, "int80-socketcall"))
		return cmd_int80_socketcall();
	if (!strcmp(c, "keyctl"))
		return cmd_keyctl();
	if (!strcmp(c, "bpf"))
		return cmd_bpf();
	if (!strcmp(c, "perf"))
		return cmd_perf();
	if (!strcmp(c, "userfaultfd"))
		return cmd_userfaultfd();
	if (!strcmp(c, "fsopen"))
		return cmd_fsopen();
	if (!strcmp(c, "open_tree") || !strcmp(c, "open-tree"))
		return cmd_open_tree();
	if (!strcmp(c, "kexec"))
		return cmd_kexec();
	if (!strcmp(c, "init-module"))
		return cmd_init_module();
	if (!strcmp(c, "sleep-orphan"))
		return cmd_sleep_orphan(argc, argv);
	if (!strcmp(c, "forks"))
		return cmd_tasks(argc, argv, false);
	if (!strcmp(c, "threads"))
		return cmd_tasks(argc, argv, true);
	if (!strcmp(c, "sleep")) {
		if (argc < 2)
			return usage();
		double t0 = now();
		sleep_seconds(atof(argv[1]));
		printf("slept %.3f\n", now() - t0);
		return 0;
	}
	if (!strcmp(c, "zombies"))
		return cmd_pids(true);
	if (!strcmp(c, "pids"))
		return cmd_pids(false);
	if (!strcmp(c, "signal-wait"))
		return cmd_signal_wait();
	if (!strcmp(c, "exit")) {
		if (argc < 2 || !parse_long(argv[1], &n))
			return usage();
		return (int)n;
	}
	if (!strcmp(c, "kill-self")) {
		if (argc < 2 || !parse_ulong(argv[1], &u))
			return usage();
		signal((int)u, SIG_DFL);
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		kill(getpid(), (int)u);
		sleep_seconds(5);
		return 1;
	}
	if (!strcmp(c, "getpid"))
		return cmd_getpid();
	if (!strcmp(c, "ids"))
		return cmd_ids();
	if (!strcmp(c, "write"))
		return cmd_write(argc, argv);
	if (!strcmp(c, "read"))
		return cmd_read(argc, argv);
	return usage();
}
