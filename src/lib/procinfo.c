// SPDX-License-Identifier: Apache-2.0
/* Which sandbox process asked: its pid inside the sandbox and its command name, read from /proc. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procinfo.h"

/* /proc/PID/status into @buf (NUL-terminated, the fields sbx reads are near its start). */
static int read_status(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = '\0';
	return 0;
}

/**
 * sbx_procinfo_status_field() - one field of /proc/PID/status as text ("Umask", "Tgid").
 * @pid: a pid or thread id in the supervisor's PID namespace
 * @key: the field's name, without the colon
 * @out: its value, blanks trimmed
 * @len: size of @out
 *
 * Return: 0, -ENOENT when the field is absent, or the error of reading the file.
 */
int sbx_procinfo_status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char buf[2048], *line;
	size_t k = strlen(key);
	int r = read_status(pid, buf, sizeof(buf));

	if (r < 0)
		return r;
	for (line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, key, k) == 0 && line[k] == ':') {
			char *v = line + k + 1;

			v += strspn(v, " \t");
			snprintf(out, len, "%.*s", (int)strcspn(v, "\n"), v);
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * sbx_procinfo_read() - the sandbox's view of a process the supervisor sees.
 * @pid: a pid or thread id in the supervisor's PID namespace
 * @info: filled in: the thread group's pid in the innermost PID namespace
 *	(the last field of NStgid) and the command name
 *
 * One read of /proc/PID/status. The answer is for logging: a process that
 * exited, or a pid reused since, gives an unknown or a wrong name, never a
 * decision.
 *
 * Return: 0, or a negative errno (@info then says unknown).
 */
int sbx_procinfo_read(pid_t pid, struct sbx_procinfo *info)
{
	char buf[2048];
	int r;

	info->ns_pid = 0;
	info->comm[0] = '\0';
	r = read_status(pid, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "Name:\t", 6) == 0) {
			snprintf(info->comm, sizeof(info->comm), "%s", line + 6);
		} else if (strncmp(line, "NStgid:", 7) == 0) {
			char *last = strrchr(line, '\t');

			info->ns_pid = last ? (pid_t)atoi(last + 1) : 0;
		}
	}
	return info->ns_pid > 0 ? 0 : -ESRCH;
}

/* The inode of the socket bound to @port in the network namespace of @netns_pid, from /proc/PID/net/FILE. */
static unsigned long socket_inode(pid_t netns_pid, const char *file, uint16_t port)
{
	char path[64], line[512];
	unsigned long inode = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)netns_pid, file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) /* the header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		/* "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode" */
		char local[64];
		unsigned long ino;
		unsigned lport;
		char *colon;

		if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &ino) != 2)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &lport) != 1 || lport != port)
			continue;
		inode = ino;
		break;
	}
out:
	fclose(f);
	return inode;
}

/* Whether process @pid holds a descriptor for socket @inode. */
static bool holds_socket(pid_t pid, unsigned long inode)
{
	char path[64], want[48], link[64];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(dir);
	return found;
}

struct walk {
	int budget;
	bool starved; /* a directory or file could not be opened for want of descriptors or memory */
	bool (*fn)(pid_t pid, void *arg);
	void *arg;
};

static void note_errno(struct walk *w)
{
	if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
		w->starved = true;
}

/* Depth-first over @pid and its descendants (every thread's children); stops when the callback returns true. */
static bool walk(pid_t pid, struct walk *wk)
{
	char path[64], buf[4096];
	struct dirent *d;
	DIR *tasks;

	if (--wk->budget < 0)
		return false;
	if (wk->fn(pid, wk->arg))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks) {
		note_errno(wk);
		return false;
	}
	while ((d = readdir(tasks))) {
		char cpath[320];
		ssize_t n;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, d->d_name);
		fd = open(cpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			note_errno(wk);
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *save = NULL, *tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			if (walk((pid_t)atoi(tok), wk)) {
				closedir(tasks);
				return true;
			}
		}
	}
	closedir(tasks);
	return false;
}

/**
 * sbx_procinfo_walk() - visit sandbox init and its descendants, depth-first.
 * @init_pid: sandbox init's pid (the supervisor's view)
 * @budget: at most this many processes
 * @fn: called for each; returning true stops the walk
 * @arg: for @fn
 *
 * Every process of the sandbox descends from its init (the PID namespace's
 * reaper adopts orphans). Children are read from /proc/PID/task/TID/children,
 * which needs no ptrace access to init (it is not dumpable).
 *
 * Return: 1 if @fn stopped the walk, 0 when it visited every process it
 * could see, -EMFILE when sbx was short of descriptors or memory and may
 * have missed some.
 */
int sbx_procinfo_walk(pid_t init_pid, int budget, bool (*fn)(pid_t pid, void *arg), void *arg)
{
	struct walk wk = {.budget = budget, .fn = fn, .arg = arg};

	if (walk(init_pid, &wk))
		return 1;
	return wk.starved ? -EMFILE : 0;
}

struct holder {
	unsigned long inode;
	pid_t found;
};

static bool is_holder(pid_t pid, void *arg)
{
	struct holder *h = arg;

	if (!holds_socket(pid, h->inode))
		return false;
	h->found = pid;
	return true;
}

/* The first process of the sandbox found holding socket @inode, or 0. */
static pid_t find_holder(pid_t init_pid, unsigned long inode, int budget)
{
	struct holder h = {.inode = inode};

	sbx_procinfo_walk(init_pid, budget, is_holder, &h);
	return h.found;
}

/**
 * sbx_procinfo_socket_owner() - the sandbox process that holds a socket, found by its local port.
 * @init_pid: sandbox init's pid (the supervisor's view): its network namespace
 *	holds the socket, its descendants hold the descriptors
 * @proto: "tcp" or "udp"
 * @v6: the socket is IPv6
 * @port: the socket's local port (the peer port the gateway saw)
 * @info: filled in, as sbx_procinfo_read() does
 *
 * Looks the port up in the sandbox's own /proc/net table, then walks the
 * sandbox's process tree (at most 256 processes) for the descriptor. For
 * the decision log only: a socket passed to another process, or closed
 * already, gives the first holder found or unknown.
 *
 * Context: the supervisor's event loop; costs a /proc/net read and one
 * readlink per descriptor of the processes walked.
 * Return: 0, or -ESRCH when no holder was found.
 */
int sbx_procinfo_socket_owner(pid_t init_pid, const char *proto, bool v6, uint16_t port, struct sbx_procinfo *info)
{
	char file[8];
	unsigned long inode;
	pid_t holder;

	info->ns_pid = 0;
	info->comm[0] = '\0';
	snprintf(file, sizeof(file), "%s%s", proto, v6 ? "6" : "");
	inode = socket_inode(init_pid, file, port);
	if (!inode)
		return -ESRCH;
	holder = find_holder(init_pid, inode, 256);
	return holder ? sbx_procinfo_read(holder, info) : -ESRCH;
}

/**
 * sbx_procinfo_inode_owner() - the sandbox process that holds socket @inode.
 * @init_pid: sandbox init's pid (the supervisor's view); its descendants are walked
 * @inode: the socket's inode (from sock_diag)
 * @info: filled in, as sbx_procinfo_read() does
 *
 * Return: 0, or -ESRCH when no holder was found among 256 processes.
 */
int sbx_procinfo_inode_owner(pid_t init_pid, unsigned long inode, struct sbx_procinfo *info)
{
	pid_t holder = find_holder(init_pid, inode, 256);

	info->ns_pid = 0;
	info->comm[0] = '\0';
	return holder ? sbx_procinfo_read(holder, info) : -ESRCH;
}
