// SPDX-License-Identifier: Apache-2.0
/* Network namespaces over netlink: the sandbox's loopback, and the allowlist gateway (veth, addresses, listeners). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * Runs on a helper thread of sandbox init, which has every capability in the
 * sandbox's user namespace. Namespaces are created with unshare(CLONE_NEWNET),
 * which moves only the calling thread; init's main thread joins the sandbox
 * namespace S with setns() afterwards. Every netlink message is a fixed,
 * small one, built with libmnl: linking libnl-route instead would add about
 * 0.35 ms to every sbx start-up (measured), for an object model we do not need.
 *
 * blocked: S gets lo up; the kernel adds 127.0.0.1/8 and ::1 itself.
 *
 * allowlist:
 * 1. Create the gateway namespace G, then S (this thread ends up in S).
 * 2. In S: lo up; a veth pair eth0 (S) <-> gw0 (G), created in one message
 *    with the peer placed in G; a large MTU, because small-segment proxies
 *    collapse through a veth of MTU 1500. eth0 gets the sandbox's end of a
 *    /31 and of an IPv6 ULA /127 (IFA_F_NODAD: a tentative address would
 *    refuse binds and drop the first packets) and no link-local address.
 *    S gets no route but the two point-to-point ones: any other
 *    destination fails at once with ENETUNREACH.
 * 3. In G: gw0 gets the gateway addresses. G has no other interface and
 *    forwarding is off in a new namespace, so nothing crosses it.
 * 4. The proxy and DNS listeners are created while the thread is in G (a
 *    socket belongs to the namespace it was created in), then the thread
 *    returns to S.
 * 5. Wait until both veth ends are operationally up: a SYN sent before that
 *    is dropped and only retried a second later.
 */

struct nl {
	struct mnl_socket *sock;
	unsigned int seq;
	unsigned int portid;
};

static int nl_open(struct nl *nl)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return sbx_neg_errno();
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = sbx_neg_errno();
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return r;
	}
	nl->seq = (unsigned int)time(NULL);
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Send one request and wait for its ack (or its reply, handed to @cb). */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[8192];
	ssize_t n;
	int r;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return sbx_neg_errno();
	/* Every request here is answered by exactly one message: an ack or one object. */
	n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
	if (n < 0)
		return sbx_neg_errno();
	r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
	return r < 0 ? sbx_neg_errno() : 0;
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, struct ifinfomsg **ifm)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	*ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifm));
	(*ifm)->ifi_family = AF_UNSPEC;
	return nlh;
}

static int link_up(struct nl *nl, const char *name)
{
	char buf[512];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_ACK, &ifm);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * No IPv6 link-local address (and so no fe80::/64 route) on the veth ends:
 * the /127 is the only IPv6 the sandbox needs, and an on-link prefix would
 * leave a connect() to a made-up fe80:: address waiting for neighbour
 * discovery instead of failing at once. Must precede bringing the link up.
 */
static int link_no_ipv6_ll(struct nl *nl, const char *name)
{
	char buf[512];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_ACK, &ifm);
	struct nlattr *spec, *inet6;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct link_info {
	int index;
	unsigned char operstate;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(attr) == IFLA_OPERSTATE && mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
		li->operstate = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	li->index = ifm->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, li);
	return MNL_CB_OK;
}

static int link_get(struct nl *nl, const char *name, struct link_info *li)
{
	char buf[512];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, &ifm);

	memset(li, 0, sizeof(*li));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, link_cb, li);
}

/* A veth pair: @name here, @peer in the namespace @peer_ns_fd. */
static int veth_create(struct nl *nl, const char *name, const char *peer, int peer_ns_fd, unsigned int mtu)
{
	char buf[1024];
	struct ifinfomsg *ifm, *peer_ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifm);
	struct nlattr *linkinfo, *data, *peer_attr;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	peer_ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifm));
	peer_ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns_fd);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nl, nlh, NULL, NULL);
}

static int addr_add(struct nl *nl, int ifindex, int family, const void *addr, unsigned char prefix)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return nl_talk(nl, nlh, NULL, NULL);
}

/* A descriptor for the namespace a socket lives in, without /proc. */
static int ns_fd_of(struct nl *nl)
{
	int fd = ioctl(mnl_socket_get_fd(nl->sock), SIOCGSKNS);

	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/**
 * sbx_net_new_blocked() - create the blocked posture's network namespace.
 * @ns_fd: receives a close-on-exec descriptor of the new namespace
 *
 * Creates a network namespace for the calling thread only and brings its
 * loopback up.
 *
 * Context: a thread of sandbox init, in the sandbox's user namespace, with
 * CAP_SYS_ADMIN and CAP_NET_ADMIN there.
 * Return: 0, or a negative errno.
 */
int sbx_net_new_blocked(int *ns_fd)
{
	struct nl nl = {0};
	int r;

	*ns_fd = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	r = nl_open(&nl);
	if (r < 0)
		return r;
	r = link_up(&nl, "lo");
	if (r >= 0) {
		r = ns_fd_of(&nl);
		if (r >= 0)
			*ns_fd = r;
	}
	nl_close(&nl);
	return r < 0 ? r : 0;
}

static int listener(int family, int type, const char *addr, uint16_t port)
{
	union sbx_sockaddr u;
	unsigned char bytes[16];
	socklen_t len;
	int one = 1;
	_cleanup_close_ int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	inet_pton(family, addr, bytes);
	len = sbx_sockaddr_make(&u, family, bytes, port);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &u.sa, len) < 0)
		return -errno;
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		return -errno;
	return SBX_TAKE_FD(fd);
}

static int wait_oper_up(struct nl *a, const char *a_name, struct nl *b, const char *b_name)
{
	for (int i = 0; i < 2000; i++) {
		struct link_info la, lb;
		int r = link_get(a, a_name, &la);

		if (r < 0)
			return r;
		r = link_get(b, b_name, &lb);
		if (r < 0)
			return r;
		if (la.operstate == IF_OPER_UP && lb.operstate == IF_OPER_UP)
			return 0;
		/* Carrier comes up within microseconds of the second end; poll briefly. */
		poll(NULL, 0, i < 20 ? 0 : 1);
	}
	return -ETIMEDOUT;
}

/**
 * sbx_net_new_allowlist() - create the allowlist posture's namespaces and listeners.
 * @gw: receives the sandbox namespace and the listening sockets (all close-on-exec)
 * @detail: receives a static description of the step that failed
 *
 * See the theory of operation above.
 *
 * Context: a thread of sandbox init, in the sandbox's user namespace, with
 * CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_NET_BIND_SERVICE there. On success the
 * thread is in the sandbox namespace S.
 * Return: 0, or a negative errno.
 */
int sbx_net_new_allowlist(struct sbx_gateway_fds *gw, const char **detail)
{
	static const struct {
		int family, type;
		const char *addr;
		uint16_t port;
	} specs[SBX_GW_N_LISTENERS] = {
		[SBX_GW_PROXY4] = {AF_INET, SOCK_STREAM, SBX_GW_ADDR4, SBX_PROXY_PORT},
		[SBX_GW_PROXY6] = {AF_INET6, SOCK_STREAM, SBX_GW_ADDR6, SBX_PROXY_PORT},
		[SBX_GW_DNS_UDP4] = {AF_INET, SOCK_DGRAM, SBX_GW_ADDR4, SBX_DNS_PORT},
		[SBX_GW_DNS_UDP6] = {AF_INET6, SOCK_DGRAM, SBX_GW_ADDR6, SBX_DNS_PORT},
		[SBX_GW_DNS_TCP4] = {AF_INET, SOCK_STREAM, SBX_GW_ADDR4, SBX_DNS_PORT},
		[SBX_GW_DNS_TCP6] = {AF_INET6, SOCK_STREAM, SBX_GW_ADDR6, SBX_DNS_PORT},
	};
	struct nl g = {0}, s = {0};
	_cleanup_close_ int g_fd = -1;
	struct link_info gw0;
	struct in_addr a4;
	struct in6_addr a6;
	int r;

	gw->sandbox_ns_fd = -1;
	for (size_t i = 0; i < SBX_GW_N_FDS; i++)
		gw->listen_fds[i] = -1;

	/* 1 */
	*detail = "creating the gateway namespace";
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	if ((r = nl_open(&g)) < 0)
		goto out;
	if ((r = ns_fd_of(&g)) < 0)
		goto out;
	g_fd = r;
	*detail = "creating the sandbox namespace";
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	if ((r = nl_open(&s)) < 0 || (r = ns_fd_of(&s)) < 0)
		goto out;
	gw->sandbox_ns_fd = r;

	/* 2 */
	*detail = "bringing lo up";
	if ((r = link_up(&s, "lo")) < 0)
		goto out;
	*detail = "creating the veth pair";
	if ((r = veth_create(&s, SBX_SANDBOX_IF, SBX_GW_IF, g_fd, SBX_VETH_MTU)) < 0)
		goto out;
	*detail = "configuring " SBX_SANDBOX_IF;
	{
		struct link_info eth0;
		if ((r = link_get(&s, SBX_SANDBOX_IF, &eth0)) < 0)
			goto out;
		inet_pton(AF_INET, SBX_SANDBOX_ADDR4, &a4);
		inet_pton(AF_INET6, SBX_SANDBOX_ADDR6, &a6);
		if ((r = link_no_ipv6_ll(&s, SBX_SANDBOX_IF)) < 0 ||
		    (r = addr_add(&s, eth0.index, AF_INET, &a4, SBX_PREFIX4)) < 0 ||
		    (r = addr_add(&s, eth0.index, AF_INET6, &a6, SBX_PREFIX6)) < 0 ||
		    (r = link_up(&s, SBX_SANDBOX_IF)) < 0)
			goto out;
	}

	/* 3 */
	*detail = "configuring " SBX_GW_IF;
	if ((r = link_get(&g, SBX_GW_IF, &gw0)) < 0)
		goto out;
	inet_pton(AF_INET, SBX_GW_ADDR4, &a4);
	inet_pton(AF_INET6, SBX_GW_ADDR6, &a6);
	if ((r = link_no_ipv6_ll(&g, SBX_GW_IF)) < 0 || (r = addr_add(&g, gw0.index, AF_INET, &a4, SBX_PREFIX4)) < 0 ||
	    (r = addr_add(&g, gw0.index, AF_INET6, &a6, SBX_PREFIX6)) < 0 || (r = link_up(&g, SBX_GW_IF)) < 0)
		goto out;

	/* 4 */
	*detail = "creating the proxy and DNS listeners";
	if (setns(g_fd, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++) {
		r = listener(specs[i].family, specs[i].type, specs[i].addr, specs[i].port);
		if (r < 0)
			break;
		gw->listen_fds[i] = r;
	}
	if (setns(gw->sandbox_ns_fd, CLONE_NEWNET) < 0 && r >= 0)
		r = -errno;
	if (r < 0)
		goto out;
	/* Back in the sandbox's namespace: the socket the gateway looks clients up with. */
	gw->listen_fds[SBX_GW_DIAG] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (gw->listen_fds[SBX_GW_DIAG] < 0) {
		r = -errno;
		goto out;
	}

	/* 5 */
	*detail = "waiting for the veth pair to come up";
	r = wait_oper_up(&s, SBX_SANDBOX_IF, &g, SBX_GW_IF);
out:
	nl_close(&g);
	nl_close(&s);
	if (r < 0) {
		sbx_net_gateway_fds_close(gw);
		return r;
	}
	return 0;
}

/**
 * sbx_net_gateway_fds_close() - close whatever @gw holds.
 * @gw: descriptors; left at -1
 */
void sbx_net_gateway_fds_close(struct sbx_gateway_fds *gw)
{
	if (gw->sandbox_ns_fd >= 0)
		close(gw->sandbox_ns_fd);
	gw->sandbox_ns_fd = -1;
	for (size_t i = 0; i < SBX_GW_N_FDS; i++) {
		if (gw->listen_fds[i] >= 0)
			close(gw->listen_fds[i]);
		gw->listen_fds[i] = -1;
	}
}
