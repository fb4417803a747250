// SPDX-License-Identifier: Apache-2.0
/* sbx: parse the command line, check what needs the system, call into src/, choose the exit status (exit.c). */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/fds.h"
#include "sbx/cli.h"
#include "sbx/policy.h"
#include "sbx/util.h"

/*
 * The one line on stderr. Text from the user or the payload is quoted where
 * each message is written (sbx_quote()); this is the last guard that keeps
 * the line one line if a message ever misses that: a control byte left in
 * it is shown as '?'.
 */
__attribute__((format(printf, 1, 2))) static int report_failure(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (unsigned char *p = (unsigned char *)line; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			*p = '?';
	}
	fprintf(stderr, "sbx: %s\n", line);
	return SBX_EXIT_FAILURE;
}

static int show_help(const char *topic)
{
	const char *text = sbx_cli_usage_main;

	if (!topic) {
		/* `run` is the command people come for: show its options right away. */
		fputs(sbx_cli_usage_main, stdout);
		fputs("\n", stdout);
		text = sbx_cli_usage_run;
	} else if (strcmp(topic, "run") == 0) {
		text = sbx_cli_usage_run;
	} else if (strcmp(topic, "check") == 0) {
		text = sbx_cli_usage_check;
	} else if (strcmp(topic, "presets") == 0 || strcmp(topic, "profiles") == 0) {
		text = sbx_cli_usage_presets;
	}
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : SBX_EXIT_FAILURE;
}

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/*
 * --pids is RLIMIT_NPROC, which the kernel counts per user namespace only
 * since Linux 5.14 (ucounts); before, it counts every process of the user
 * on the host. The kernel never applies it to uid 0 (the root user_struct),
 * so sbx run by root could not keep the promise: refuse, never run unbounded.
 */
static int check_pids(const struct sbx_config *cfg)
{
	struct utsname u = {0};
	unsigned major = 0, minor = 0;

	if (!cfg->pids)
		return 0;
	if (getuid() == 0)
		return report_failure(
			"--pids: sbx runs as uid 0 on the host, and the kernel does not apply "
			"RLIMIT_NPROC to uid 0; run sbx as an unprivileged user");
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2 || major < 5 || (major == 5 && minor < 14))
		return report_failure(
			"--pids: needs Linux 5.14 or later, which counts RLIMIT_NPROC per user "
			"namespace (this kernel: %s)",
			u.release);
	return 0;
}

static int cmd_run(const struct sbx_config *cfg)
{
	struct sbx_outcome out;
	int r;

	if (cfg->explain) {
		char err[768];

		r = sbx_supervisor_explain(cfg, stdout, cfg->explain_json, err, sizeof(err));
		if (r < 0)
			return report_failure("%s", err);
		return fflush(stdout) == 0 ? 0 : SBX_EXIT_FAILURE;
	}

	if (cfg->json_status_fd >= 0 && !fd_is_open(cfg->json_status_fd))
		return report_failure("--json-status-fd %d: not an open descriptor", cfg->json_status_fd);
	if (cfg->log_fd >= 0 && !fd_is_open(cfg->log_fd))
		return report_failure("--log-fd %d: not an open descriptor", cfg->log_fd);
	{
		const struct {
			const char *name;
			int fd;
		} more[] = {{"--control-fd", cfg->control_in_fd},
			    {"--control-fd", cfg->control_out_fd},
			    {"--ask-fd", cfg->ask_in_fd},
			    {"--ask-fd", cfg->ask_out_fd}};

		for (size_t i = 0; i < SBX_ARRAY_SIZE(more); i++)
			if (more[i].fd >= 0 && !fd_is_open(more[i].fd))
				return report_failure("%s %d: not an open descriptor", more[i].name, more[i].fd);
	}
	for (size_t i = 0; i < cfg->n_pass_fds; i++) {
		if (!fd_is_open(cfg->pass_fds[i]))
			return report_failure("--pass-fd %d: not an open descriptor", cfg->pass_fds[i]);
	}
	if (check_pids(cfg))
		return SBX_EXIT_FAILURE;
	r = sbx_supervisor_run(cfg, &out);
	if (r < 0)
		return report_failure("%s", out.message);
	/* The payload's own end needs no word from sbx, unless sbx had to kill it. */
	if ((out.kind != SBX_OUTCOME_EXITED && out.kind != SBX_OUTCOME_SIGNALED) || out.killed)
		report_failure("%s", out.message);
	return sbx_exit_status(&out);
}

static int cmd_check(const struct sbx_config *cfg)
{
	int r = sbx_check_run(cfg, stdout, stderr);

	if (fflush(stdout) != 0)
		return SBX_EXIT_FAILURE;
	if (r < 0)
		return SBX_EXIT_FAILURE;
	return r > 0 ? 1 : 0;
}

/*
 * `sbx run --policy FILE` without --network: a "network" line of the file
 * is the posture (the last file that names one; man/sbx-policy.5), and the
 * checks that depend on it run once it is known. A missing file is named
 * as missing.
 */
static int posture_from_policy_files(struct sbx_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_rules; i++) {
		enum sbx_posture posture;
		bool found = false;
		int r;

		if (cfg->rules[i].kind != SBX_RULE_ARG_FILE)
			continue;
		r = sbx_policy_file_posture(cfg->rules[i].text, &posture, &found, err, errlen);
		if (r < 0)
			return r;
		if (found)
			cfg->posture = posture;
	}
	return sbx_cli_check_run(cfg, err, errlen);
}

/*
 * --profile FILE: read each named file that is not a built-in profile's
 * name, before the (pure) parser applies it. A profile is a small text
 * file: a FIFO or a device is refused, never waited on.
 */
static int read_profiles(int argc, char **argv, struct sbx_profile_text **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name = NULL;
		char buf[SBX_PROFILE_MAX + 1], q[SBX_QUOTE_LEN];
		struct sbx_profile_text *grown;
		struct stat st;
		ssize_t len;
		int fd;

		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strncmp(argv[i], "--profile=", 10) == 0)
			name = argv[i] + 10;
		if (!name || (sbx_profile_builtin(name) && !strchr(name, '/')))
			continue;
		fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 && errno == ENOENT && !strchr(name, '/'))
			continue; /* the parser says it is neither a built-in nor a file */
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SBX_PROFILE_MAX) {
			snprintf(err, errlen, "--profile %s: %s", sbx_quote(q, sizeof(q), name),
				 fd < 0 ? strerror(errno) : "not a regular file of at most 64 KiB");
			if (fd >= 0)
				close(fd);
			return -EINVAL;
		}
		len = read(fd, buf, SBX_PROFILE_MAX);
		close(fd);
		if (len < 0) {
			snprintf(err, errlen, "--profile %s: %s", sbx_quote(q, sizeof(q), name), strerror(errno));
			return -EINVAL;
		}
		buf[len] = '\0';
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			return -ENOMEM;
		*out = grown;
		grown[*n].name = name;
		grown[*n].text = strdup(buf);
		if (!grown[*n].text)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static void free_profiles(struct sbx_profile_text *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)p[i].text);
	free(p);
}

int main(int argc, char **argv)
{
	struct sbx_config cfg = {0};
	struct sbx_profile_text *profiles = NULL;
	size_t n_profiles = 0;
	char err[512];
	int r;

	/* Before any descriptor is opened: a closed 0/1/2 must not be taken by one of ours. */
	if (sbx_fds_sanitize_std() < 0)
		return SBX_EXIT_FAILURE;
	/* sbx needs no privilege and must never run with more than its caller has. */
	if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid()) {
		report_failure(
			"refusing to run setuid, setgid or with file capabilities: sbx needs no privilege; "
			"remove the bit (chmod u-s,g-s; setcap -r)");
		_exit(SBX_EXIT_FAILURE); /* no atexit work at all in a privileged process */
	}

	r = read_profiles(argc, argv, &profiles, &n_profiles, err, sizeof(err));
	if (r == 0)
		r = sbx_cli_parse_profiles(argc, argv, profiles, n_profiles, &cfg, err, sizeof(err));
	if (r == 0 && sbx_cli_needs_posture(&cfg))
		r = posture_from_policy_files(&cfg, err, sizeof(err));
	if (r < 0) {
		sbx_config_free(&cfg);
		free_profiles(profiles, n_profiles);
		return report_failure("%s", err);
	}
	switch (cfg.command) {
	case SBX_CMD_HELP:
		r = show_help(cfg.help_topic);
		break;
	case SBX_CMD_VERSION:
		r = printf("sbx %s\n", SBX_VERSION) < 0 || fflush(stdout) ? SBX_EXIT_FAILURE : 0;
		break;
	case SBX_CMD_RUN:
		r = cmd_run(&cfg);
		break;
	case SBX_CMD_CHECK:
		r = cmd_check(&cfg);
		break;
	case SBX_CMD_PRESETS:
		r = sbx_presets_print(cfg.preset_name, stdout, stderr) < 0 ? SBX_EXIT_FAILURE : 0;
		break;
	case SBX_CMD_PROFILES:
		r = sbx_profiles_print(cfg.preset_name, stdout, stderr) < 0 ? SBX_EXIT_FAILURE : 0;
		break;
	default:
		r = SBX_EXIT_FAILURE;
		break;
	}
	sbx_config_free(&cfg);
	free_profiles(profiles, n_profiles);
	return r;
}
