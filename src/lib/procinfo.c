// SPDX-License-Identifier: Apache-2.0
/* Which sandbox process asked: its pid inside the sandbox and its command name, read from /proc. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procinfo.h"

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
	char path[64], buf[2048];
	ssize_t n;
	int fd;

	info->ns_pid = 0;
	info->comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = '\0';
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
