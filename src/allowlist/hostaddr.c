// SPDX-License-Identifier: Apache-2.0
/* The host-address guard: the proxy dials from the host, so the host itself is never a destination. */

#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "allowlist/allowlist.h"
#include "gateway.h"
#include "lib/sockaddr.h"

/*
 * The proxy dials from the host, so the host itself is the confused deputy
 * to guard: its loopback, unspecified and own interface addresses are its
 * own services, reached only through a host-service rule (one address, one
 * port, named by address: sbx_policy_judge_host()). The policy engine knows
 * loopback and the unspecified address itself; this list adds the host's
 * interface addresses, which only the host can tell.
 *
 * Theory of operation: the host's addresses change while a sandbox runs
 * (a DHCP lease, an IPv6 temporary address, a VPN coming up), so a list
 * read once at start would let the proxy dial an address the host gained
 * later. The list is a snapshot kept fresh by the kernel's own change
 * notifications:
 *
 * 1. sbx_hostaddr_load() opens a NETLINK_ROUTE socket bound to
 *    RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, and only then reads the
 *    snapshot with getifaddrs(). An address added before the bind is in
 *    the snapshot; one added after it is announced on the socket (or
 *    both): no change can fall between the two.
 * 2. Every sbx_hostaddr_is_self() first drains that socket with
 *    recv(MSG_DONTWAIT), and re-reads the snapshot if anything arrived, if
 *    the socket overflowed (ENOBUFS: notifications were lost) or failed,
 *    or if there is no socket at all. Only "something changed" matters,
 *    so messages are not parsed (no libmnl here: nothing to build).
 *
 * Why this is race-free: the kernel queues the RTM_NEWADDR message on
 * every subscribed socket before it inserts the local route that makes
 * the new address reachable (IPv4: __inet_insert_ifa(), "Send message
 * first, then call notifier. Notifier will trigger FIB update";
 * IPv6: __ipv6_ifa_notify() calls inet6_ifa_notify() before ip6_ins_rt()),
 * and the address is on the device's list, which getifaddrs() dumps,
 * before either. So an address that routes to the host when a check
 * drains the socket is in the snapshot or is announced by a message that
 * check reads, and re-reads. What no check can close is the time between
 * a check and the connect() it guards: microseconds for the first address
 * of a request, longer for a later one (the proxy checks every address
 * before dialling the first, and dials the next only when one fails). One
 * kernel exception: IPv6 optimistic DAD (optimistic_dad=1, off by
 * default) inserts the route when DAD starts and, unless use_optimistic
 * is also set, announces the address when DAD ends, about a second later.
 *
 * Cost, measured on the development machine (a 2-CPU VM; 5 addresses, an
 * address that is not the host's, 2e6 checks in a loop): 14 ns per check
 * with the start-up snapshot alone, about 370 ns with the drain (one
 * recv() answering EAGAIN: the price of a system call there). A re-read
 * after a change costs one getifaddrs(), about 50 us with 5 addresses.
 * The proxy checks once per address it is about to dial and the DNS stub
 * once per record it hands out, next to a connect() or a resolver round
 * trip that costs far more.
 */

static void add_self(struct sbx_hostaddr *h, int family, const void *b)
{
	struct sbx_addr a = {.family = (sa_family_t)family};

	if (h->n >= SBX_HOSTADDR_MAX)
		return;
	memcpy(a.b, b, family == AF_INET ? 4 : 16);
	h->self[h->n++] = a;
}

/* Re-read the snapshot; on failure the old one stays and h->stale is set. */
static void snapshot(struct sbx_hostaddr *h)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0) {
		h->stale = true;
		h->stale_err = errno;
		return;
	}
	h->n = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			add_self(h, AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			add_self(h, AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	h->stale = false;
	h->stale_err = 0;
}

/*
 * Drain the notification socket: true if the snapshot may be out of date.
 * The bound keeps a flood of changes from holding the loop: what is left
 * makes the next check re-read again.
 */
static bool changed(struct sbx_hostaddr *h)
{
	/* Only the arrival counts: a datagram socket drops what does not fit. */
	char buf[64];
	bool any = false;

	if (h->nl_fd < 0)
		return true;
	for (int i = 0; i < 256; i++) {
		ssize_t r = recv(h->nl_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r >= 0) {
			any = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return any;
		} else if (errno == ENOBUFS) {
			any = true;
		} else if (errno != EINTR) {
			return true;
		}
	}
	return true;
}

/**
 * sbx_hostaddr_load() - snapshot the host's interface addresses and follow their changes.
 * @h: filled in (loopback and the unspecified addresses need no entry);
 *	release with sbx_hostaddr_free()
 *
 * Without a notification socket (descriptors exhausted) every check
 * re-reads the snapshot: slower, never stale.
 *
 * Context: the supervisor, in the host's network namespace (the socket
 * follows the namespace it is opened in).
 */
void sbx_hostaddr_load(struct sbx_hostaddr *h)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};

	h->n = 0;
	h->live = true;
	h->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (h->nl_fd >= 0 && bind(h->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(h->nl_fd);
		h->nl_fd = -1;
	}
	/* After the subscription, never before: see the theory of operation. */
	snapshot(h);
}

/**
 * sbx_hostaddr_is_self() - whether @a is the host itself (loopback, unspecified, or an interface address).
 * @h: from sbx_hostaddr_load() (re-read here when the host's addresses
 *	changed), or a list filled in by hand (used as is)
 * @a: an address about to be dialled; IPv4-mapped IPv6 is judged as its IPv4
 *
 * Context: the supervisor's event loop, just before the proxy dials @a or
 * the DNS stub hands it out.
 * Return: true if the proxy must not dial it, including when the host's
 * addresses changed and could not be re-read.
 */
bool sbx_hostaddr_is_self(struct sbx_hostaddr *h, const struct sbx_addr *a)
{
	struct sbx_addr v;

	if (h->live && (changed(h) || h->stale))
		snapshot(h);
	sbx_sockaddr_unmap(a, &v);
	if (v.family == AF_INET && (v.b[0] == 127 || v.b[0] == 0))
		return true;
	if (v.family == AF_INET6) {
		static const uint8_t zero[16];
		if (memcmp(v.b, zero, 15) == 0 && (v.b[15] == 0 || v.b[15] == 1))
			return true;
	}
	if (h->stale)
		return true;
	for (size_t i = 0; i < h->n; i++) {
		size_t len = v.family == AF_INET ? 4 : 16;
		if (h->self[i].family == v.family && memcmp(h->self[i].b, v.b, len) == 0)
			return true;
	}
	return false;
}

/**
 * sbx_hostaddr_free() - close the change notifications of a loaded list.
 * @h: from sbx_hostaddr_load(), or a list filled in by hand (nothing to do)
 */
void sbx_hostaddr_free(struct sbx_hostaddr *h)
{
	if (h->live && h->nl_fd >= 0)
		close(h->nl_fd);
	h->nl_fd = -1;
	h->live = false;
}

/**
 * sbx_allowlist_is_host_address() - whether an address is the host's own, as the proxy's guard sees it now.
 * @a: an address
 *
 * One snapshot of the host's addresses (no change notifications), for
 * `sbx check`, which judges a destination as the proxy would without
 * running one.
 *
 * Context: any process, in the host's network namespace.
 * Return: true for loopback, the unspecified address and the host's
 * interface addresses (and when they cannot be read: the proxy would then
 * refuse everything as the host's).
 */
bool sbx_allowlist_is_host_address(const struct sbx_addr *a)
{
	struct sbx_hostaddr h = {.nl_fd = -1};

	snapshot(&h);
	return sbx_hostaddr_is_self(&h, a);
}
