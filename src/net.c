// SPDX-License-Identifier: Apache-2.0
/* Network namespace setup over netlink: the sandbox's loopback. */

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sbx/sandbox.h"
#include "sbx/util.h"

/*
 * A new network namespace has exactly one device, lo (ifindex 1), down.
 * Bringing it up makes the kernel add 127.0.0.1/8 and ::1 itself, so one
 * RTM_NEWLINK is all blocked posture needs. libmnl builds that single fixed
 * message with the least start-up cost; the allowlist gateway (veth, addresses,
 * routes) uses libnl-route's object model instead.
 */

/* Set lo up in the calling thread's network namespace; on success *ns_fd refers to that namespace. */
static int loopback_up(int *ns_fd)
{
	char buf[8192];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = (unsigned int)time(NULL);
	int r = 0;
	ssize_t n;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return sbx_neg_errno();
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = sbx_neg_errno();
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "lo");

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = sbx_neg_errno();
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		r = sbx_neg_errno();
		goto out;
	}
	if (mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0) {
		r = sbx_neg_errno();
		goto out;
	}
	/* A descriptor for the namespace this socket lives in, without /proc. */
	*ns_fd = ioctl(mnl_socket_get_fd(nl), SIOCGSKNS);
	if (*ns_fd < 0)
		r = sbx_neg_errno();
	else
		fcntl(*ns_fd, F_SETFD, FD_CLOEXEC);
out:
	mnl_socket_close(nl);
	return r;
}

/**
 * sbx_net_new_blocked() - create the blocked posture's network namespace.
 * @ns_fd: receives a close-on-exec descriptor of the new namespace
 *
 * Creates a network namespace for the calling thread only and brings its
 * loopback up. Sandbox init runs this on a helper thread while it builds the
 * mounts (the namespace costs about 1 ms of kernel work, as much as the
 * mounts), then joins the namespace with setns().
 *
 * Context: a thread of sandbox init, in the sandbox's user namespace, with
 * CAP_SYS_ADMIN and CAP_NET_ADMIN there.
 * Return: 0, or a negative errno.
 */
int sbx_net_new_blocked(int *ns_fd)
{
	*ns_fd = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	return loopback_up(ns_fd);
}
