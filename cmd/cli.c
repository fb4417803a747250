// SPDX-License-Identifier: Apache-2.0
/* Command-line parsing: argv -> struct sbx_config. Pure: no syscalls, no output. */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sbx/cli.h"
#include "sbx/util.h"

/* --pids: the kernel's own ceiling on process ids (PID_MAX_LIMIT). */
#define SBX_MAX_PIDS 4194304ul
/* --tmp-size bounds: one page; far beyond any machine's memory, far below overflow. */
#define SBX_MIN_TMP_SIZE 4096ull
#define SBX_MAX_TMP_SIZE (1ull << 50)

const char sbx_cli_usage_main[] =
	"Usage: sbx COMMAND [OPTIONS]\n"
	"\n"
	"Run a command in a sandbox with exactly one network posture.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] [--] COMMAND [ARGS...]   run COMMAND in a new sandbox\n"
	"  check [POLICY OPTIONS] DEST...         judge destinations against a policy, no sandbox\n"
	"  presets [NAME]                         list the named rule presets, or show one\n"
	"  profiles [NAME]                        list the built-in profiles, or show one\n"
	"  help [COMMAND]                         show help for a command\n"
	"\n"
	"Options:\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"\n"
	"See sbx(1), sbx-check(1) and sbx-policy(5).\n";

const char sbx_cli_usage_run[] =
	"Usage: sbx run [OPTIONS] [--] COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND in new user, PID, mount, UTS, IPC, cgroup and network namespaces\n"
	"(open posture: the host's network namespace), with no capabilities,\n"
	"no_new_privs and a seccomp filter.\n"
	"\n"
	"Network:\n"
	"  --network=POSTURE       blocked (default): own loopback only;\n"
	"                          allowlist: only what --allow permits, through sbx's\n"
	"                          proxy and DNS stub; open: the host's network minus\n"
	"                          --deny (and @cloud-metadata), enforced on connect/send\n"
	"  --allow RULE            allow a destination (allowlist posture)\n"
	"  --deny RULE             deny a destination (open posture: no *.wildcard rules)\n"
	"  --policy FILE           read rules from FILE (see sbx-policy(5))\n"
	"  --no-default-deny       do not deny @cloud-metadata by default\n"
	"  --log-fd FD             write one JSON line per network decision to FD\n"
	"                          (every posture; see sbx-json(7))\n"
	"  --log-file PATH         append the same lines to PATH\n"
	"  --proxy-max-conns N     most proxy connections at once (default 1024)\n"
	"  --proxy-max-header BYTES  largest request head (default 16384)\n"
	"  --proxy-header-timeout SECONDS  time to send a request head (default 10, at least 1)\n"
	"  --proxy-idle-timeout SECONDS    close idle tunnels (default 300, at least 1)\n"
	"  --upstream-proxy URL    dial allowed destinations through this proxy:\n"
	"                          http://HOST:PORT (CONNECT), socks5://HOST:PORT or\n"
	"                          socks5h://HOST:PORT; no credentials in the URL\n"
	"  --upstream-proxy-auth-file FILE  user:password for --upstream-proxy (else\n"
	"                          from sbx's environment: SBX_UPSTREAM_PROXY_AUTH)\n"
	"  --allow-unix PATH       let COMMAND connect to the host's unix socket at PATH\n"
	"                          (default: no host unix socket, in every posture)\n"
	"  --ask-fd FD|IN,OUT      allowlist: ask on FD (or write questions to OUT, read\n"
	"                          answers from IN) about destinations no rule decides\n"
	"  --ask-timeout SECONDS   deny a question not answered in time (default 5)\n"
	"  --control-fd FD|IN,OUT  read policy commands (list, allow, deny, remove,\n"
	"                          posture) and write replies; see sbx-json(7)\n"
	"\n"
	"Identity:\n"
	"  --uid N                 user id inside the sandbox (default: yours)\n"
	"  --gid N                 group id inside the sandbox (default: yours)\n"
	"  --hostname NAME         host name inside the sandbox (default: sbx)\n"
	"\n"
	"Filesystem (host tree read-only, working directory read-write, private /tmp):\n"
	"  --bind SRC[:DST]        bind SRC read-write at DST (default: same path)\n"
	"  --ro-bind SRC[:DST]     bind SRC read-only at DST\n"
	"  --tmpfs DST             mount an empty tmpfs at DST\n"
	"  --tmp-size SIZE         size of /tmp and of each --tmpfs (default 1G; suffixes\n"
	"                          K, M, G, T); /dev/shm is 64M\n"
	"  --hide PATH             hide PATH behind an empty read-only file or directory\n"
	"  --home=MODEL            $HOME inside: overlay (default: writable, writes\n"
	"                          discarded at exit), tmpfs (empty), ro, rw (writes reach\n"
	"                          the host)\n"
	"  --persist PATH          keep one directory's writes on the host (a read-write\n"
	"                          bind of PATH, e.g. a package cache)\n"
	"  --show PATH             expose one default-hidden credential path (~/.ssh, ...)\n"
	"  --no-default-hide       hide no credential path by default\n"
	"  --allow-write PATH      leave one persistence path writable (.git/hooks, ...)\n"
	"  --chdir DIR             start COMMAND in DIR (default: the working directory)\n"
	"\n"
	"Environment:\n"
	"  --clearenv              start from an empty environment\n"
	"  --setenv NAME=VALUE     set a variable\n"
	"  --unsetenv NAME         remove a variable\n"
	"  --keep-env GLOB         pass a credential variable (left out by default) on\n"
	"                          purpose; GLOB may use * and ?\n"
	"\n"
	"Descriptors, reporting and limits:\n"
	"  --pass-fd FD            keep FD open in COMMAND (otherwise only 0, 1, 2; at most 64)\n"
	"  --json-status-fd FD     write JSON lines (started, exited, timeout, error) to FD\n"
	"  --id NAME               the sandbox's id on every JSON line (default: made up)\n"
	"  --profile NAME|FILE     a whole sandbox from a profile (built-in: ci, npm, pip;\n"
	"                          see sbx profiles); options after it apply after it\n"
	"  --explain               print the effective sandbox and run nothing\n"
	"  --json                  with --explain: one JSON document\n"
	"  --timeout SECONDS       after SECONDS send COMMAND SIGTERM, SIGKILL the sandbox\n"
	"                          --kill-after later, and exit 124\n"
	"  --kill-after SECONDS    grace from SIGTERM to SIGKILL (default 5 for --timeout;\n"
	"                          0: SIGKILL at once); also arms after a SIGTERM, SIGINT\n"
	"                          or SIGHUP sent to sbx, which it forwards\n"
	"  --pids N                at most N processes and threads of COMMAND and its\n"
	"                          descendants (RLIMIT_NPROC per user namespace; no cgroup)\n"
	"  -h, --help              show this help\n"
	"\n"
	"Exit status: COMMAND's; 128+N if killed by signal N; 124 timeout; 125 sbx\n"
	"failed (COMMAND did not run); 126 COMMAND not executable; 127 not found.\n";

const char sbx_cli_usage_check[] =
	"Usage: sbx check [OPTIONS] DEST...\n"
	"\n"
	"Judge each DEST (host, host:port, IPv4, [IPv6]:port) against a policy without\n"
	"creating a sandbox, and say why. Exit 0 if all are allowed, 1 if any is denied,\n"
	"125 on bad input.\n"
	"\n"
	"  --network=POSTURE       allowlist (default), open or blocked\n"
	"  --allow RULE            allow a destination\n"
	"  --deny RULE             deny a destination\n"
	"  --policy FILE           read rules from FILE (see sbx-policy(5))\n"
	"  --no-default-deny       do not deny @cloud-metadata by default (open posture)\n"
	"  --resolve               resolve names and judge every address\n"
	"  -h, --help              show this help\n";

const char sbx_cli_usage_presets[] =
	"Usage: sbx presets [NAME]\n"
	"\n"
	"List the rule presets (@NAME in --allow/--deny), or print the rules of one.\n"
	"\n"
	"  -h, --help              show this help\n";

enum opt_id {
	OPT_HELP,
	OPT_NETWORK,
	OPT_ALLOW,
	OPT_DENY,
	OPT_POLICY,
	OPT_NO_DEFAULT_DENY,
	OPT_RESOLVE,
	OPT_UID,
	OPT_GID,
	OPT_HOSTNAME,
	OPT_BIND,
	OPT_RO_BIND,
	OPT_TMPFS,
	OPT_HIDE,
	OPT_CHDIR,
	OPT_CLEARENV,
	OPT_SETENV,
	OPT_UNSETENV,
	OPT_PASS_FD,
	OPT_JSON_STATUS_FD,
	OPT_TIMEOUT,
	OPT_LOG_FD,
	OPT_LOG_FILE,
	OPT_PROXY_MAX_CONNS,
	OPT_PROXY_MAX_HEADER,
	OPT_PROXY_HEADER_TIMEOUT,
	OPT_PROXY_IDLE_TIMEOUT,
	OPT_KILL_AFTER,
	OPT_TMP_SIZE,
	OPT_PIDS,
	OPT_HOME,
	OPT_PERSIST,
	OPT_SHOW,
	OPT_NO_DEFAULT_HIDE,
	OPT_ALLOW_WRITE,
	OPT_KEEP_ENV,
	OPT_ID,
	OPT_EXPLAIN,
	OPT_JSON,
	OPT_PROFILE,
	OPT_UPSTREAM_PROXY,
	OPT_UPSTREAM_PROXY_AUTH_FILE,
	OPT_ALLOW_UNIX,
	OPT_CONTROL_FD,
	OPT_ASK_FD,
	OPT_ASK_TIMEOUT,
};

/* Which commands accept an option. */
enum { FOR_RUN = 1, FOR_CHECK = 2, FOR_PRESETS = 4 };

struct opt {
	const char *name;
	enum opt_id id;
	bool has_arg;
	unsigned commands;
};

static const struct opt sbx_opts[] = {
	{"--help", OPT_HELP, false, FOR_RUN | FOR_CHECK | FOR_PRESETS},
	{"-h", OPT_HELP, false, FOR_RUN | FOR_CHECK | FOR_PRESETS},
	{"--network", OPT_NETWORK, true, FOR_RUN | FOR_CHECK},
	{"--allow", OPT_ALLOW, true, FOR_RUN | FOR_CHECK},
	{"--deny", OPT_DENY, true, FOR_RUN | FOR_CHECK},
	{"--policy", OPT_POLICY, true, FOR_RUN | FOR_CHECK},
	{"--no-default-deny", OPT_NO_DEFAULT_DENY, false, FOR_RUN | FOR_CHECK},
	{"--resolve", OPT_RESOLVE, false, FOR_CHECK},
	{"--uid", OPT_UID, true, FOR_RUN},
	{"--gid", OPT_GID, true, FOR_RUN},
	{"--hostname", OPT_HOSTNAME, true, FOR_RUN},
	{"--bind", OPT_BIND, true, FOR_RUN},
	{"--ro-bind", OPT_RO_BIND, true, FOR_RUN},
	{"--tmpfs", OPT_TMPFS, true, FOR_RUN},
	{"--hide", OPT_HIDE, true, FOR_RUN},
	{"--chdir", OPT_CHDIR, true, FOR_RUN},
	{"--clearenv", OPT_CLEARENV, false, FOR_RUN},
	{"--setenv", OPT_SETENV, true, FOR_RUN},
	{"--unsetenv", OPT_UNSETENV, true, FOR_RUN},
	{"--pass-fd", OPT_PASS_FD, true, FOR_RUN},
	{"--json-status-fd", OPT_JSON_STATUS_FD, true, FOR_RUN},
	{"--timeout", OPT_TIMEOUT, true, FOR_RUN},
	{"--log-fd", OPT_LOG_FD, true, FOR_RUN},
	{"--log-file", OPT_LOG_FILE, true, FOR_RUN},
	{"--proxy-max-conns", OPT_PROXY_MAX_CONNS, true, FOR_RUN},
	{"--proxy-max-header", OPT_PROXY_MAX_HEADER, true, FOR_RUN},
	{"--proxy-header-timeout", OPT_PROXY_HEADER_TIMEOUT, true, FOR_RUN},
	{"--proxy-idle-timeout", OPT_PROXY_IDLE_TIMEOUT, true, FOR_RUN},
	{"--kill-after", OPT_KILL_AFTER, true, FOR_RUN},
	{"--tmp-size", OPT_TMP_SIZE, true, FOR_RUN},
	{"--pids", OPT_PIDS, true, FOR_RUN},
	{"--home", OPT_HOME, true, FOR_RUN},
	{"--persist", OPT_PERSIST, true, FOR_RUN},
	{"--show", OPT_SHOW, true, FOR_RUN},
	{"--no-default-hide", OPT_NO_DEFAULT_HIDE, false, FOR_RUN},
	{"--allow-write", OPT_ALLOW_WRITE, true, FOR_RUN},
	{"--keep-env", OPT_KEEP_ENV, true, FOR_RUN},
	{"--id", OPT_ID, true, FOR_RUN},
	{"--explain", OPT_EXPLAIN, false, FOR_RUN},
	{"--json", OPT_JSON, false, FOR_RUN},
	{"--profile", OPT_PROFILE, true, FOR_RUN},
	{"--upstream-proxy", OPT_UPSTREAM_PROXY, true, FOR_RUN},
	{"--upstream-proxy-auth-file", OPT_UPSTREAM_PROXY_AUTH_FILE, true, FOR_RUN},
	{"--allow-unix", OPT_ALLOW_UNIX, true, FOR_RUN},
	{"--control-fd", OPT_CONTROL_FD, true, FOR_RUN},
	{"--ask-fd", OPT_ASK_FD, true, FOR_RUN},
	{"--ask-timeout", OPT_ASK_TIMEOUT, true, FOR_RUN},
};

__attribute__((format(printf, 3, 4))) static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *command_name(enum sbx_command c)
{
	return c == SBX_CMD_CHECK      ? "check"
	       : c == SBX_CMD_PRESETS  ? "presets"
	       : c == SBX_CMD_PROFILES ? "profiles"
				       : "run";
}

/*
 * Append one element to a heap array. Repeatable options have no count
 * limit of their own (argv is bounded by the kernel's ARG_MAX): the array
 * doubles whenever @n reaches a power of two.
 */
static int push(void **arr, size_t *n, size_t elem_size, const void *elem)
{
	void *grown = *arr;

	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;

		if (cap > SIZE_MAX / elem_size)
			return -ENOMEM;
		grown = realloc(*arr, cap * elem_size);
		if (!grown)
			return -ENOMEM;
		*arr = grown;
	}
	memcpy((char *)grown + *n * elem_size, elem, elem_size);
	(*n)++;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * SECONDS in plain decimal ("30", "1.5", ".25"), read exactly: @ms gets the
 * whole milliseconds, @finer says whether a non-zero digit follows them.
 * No sign, exponent, hex, nan or inf.
 * Return: 0, -EINVAL (not such a number), -ERANGE (above SBX_MAX_SECONDS).
 */
static int parse_ms(const char *s, uint64_t *ms, bool *finer)
{
	uint64_t whole = 0, frac = 0;
	bool digits = false;
	const char *p = s;

	*finer = false;
	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > SBX_MAX_SECONDS)
			return -ERANGE;
	}
	if (*p == '.') {
		int place = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits = true, place++) {
			if (place < 3)
				frac = frac * 10 + (uint64_t)(*p - '0');
			else if (*p != '0')
				*finer = true;
		}
		for (; place < 3; place++)
			frac *= 10;
	}
	if (!digits || *p)
		return -EINVAL;
	if (whole == SBX_MAX_SECONDS && (frac || *finer))
		return -ERANGE;
	*ms = whole * 1000 + frac;
	return 0;
}

/*
 * A duration option in whole milliseconds. A non-zero value below @min_ms
 * (the option's resolution) is refused, never rounded to 0 ("no limit");
 * above it, a fraction of a millisecond rounds up. @zero_ok lets an exact
 * 0 through (--kill-after: no grace).
 */
static int parse_duration(const char *opt, const char *value, uint64_t min_ms, bool zero_ok, const char *why_min,
			  uint64_t *out, char *err, size_t errlen)
{
	char q[SBX_QUOTE_LEN];
	uint64_t ms = 0;
	bool finer = false;
	int r = parse_ms(value, &ms, &finer);

	sbx_quote(q, sizeof(q), value);
	if (r == -ERANGE)
		return usage_error(err, errlen, "%s: %s is more than %llu seconds", opt, q, SBX_MAX_SECONDS);
	if (r < 0 || (ms == 0 && !finer && !zero_ok))
		return usage_error(err, errlen, "%s: %s is not a %s number of seconds (such as 30 or 1.5)", opt, q,
				   zero_ok ? "non-negative" : "positive");
	if ((ms || finer) && ms < min_ms)
		return usage_error(err, errlen, "%s: %s is below %s", opt, q, why_min);
	*out = ms + (finer ? 1 : 0);
	return 0;
}

/* FD (read and written), or IN,OUT: sbx reads IN and writes OUT. */
static int parse_fd_pair(const char *opt, const char *value, int *in, int *out, char *err, size_t errlen)
{
	const char *comma = strchr(value, ',');
	char q[SBX_QUOTE_LEN], first[24];
	unsigned long a, b;

	sbx_quote(q, sizeof(q), value);
	if (!comma) {
		if (parse_uint(value, INT_MAX, &a) < 0)
			return usage_error(err, errlen, "%s: %s is not a descriptor number (FD or IN,OUT)", opt, q);
		*in = *out = (int)a;
		return 0;
	}
	if ((size_t)(comma - value) >= sizeof(first))
		return usage_error(err, errlen, "%s: %s is not FD or IN,OUT", opt, q);
	snprintf(first, sizeof(first), "%.*s", (int)(comma - value), value);
	if (parse_uint(first, INT_MAX, &a) < 0 || parse_uint(comma + 1, INT_MAX, &b) < 0)
		return usage_error(err, errlen, "%s: %s is not FD or IN,OUT (two descriptor numbers)", opt, q);
	*in = (int)a;
	*out = (int)b;
	return 0;
}

/* SIZE: bytes, or a number with K, M, G or T (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		break;
	case 't':
	case 'T':
		mult = 1ull << 40;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1])
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

static bool valid_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 64 || s[0] == '-' || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  *p == '-' || *p == '.';
		if (!ok)
			return false;
	}
	return true;
}

static bool valid_env_name(const char *s)
{
	return s[0] && !strchr(s, '=');
}

/* SRC[:DST] for --bind and --ro-bind. The value is split in place. */
static int parse_bind(char *value, const char *opt, struct sbx_mount_op *m, char *err, size_t errlen)
{
	char *colon = strchr(value, ':');
	char q[SBX_QUOTE_LEN];

	if (colon) {
		*colon = '\0';
		m->dst = colon + 1;
	} else {
		m->dst = value;
	}
	m->src = value;
	if (!m->src[0])
		return usage_error(err, errlen, "%s: empty source path", opt);
	if (m->dst[0] != '/')
		return usage_error(err, errlen, "%s: %s must be an absolute path%s", opt,
				   sbx_quote(q, sizeof(q), m->dst),
				   colon ? "" : " (or give SRC:DST with an absolute DST)");
	return 0;
}

static int set_option(struct sbx_config *cfg, const struct opt *o, char *value, char *err, size_t errlen);
static const struct opt *find_opt(const char *arg, size_t name_len);

/* Options a profile may not hold: the caller's descriptors, and what sbx does rather than what it builds. */
static bool profile_forbids(enum opt_id id)
{
	return id == OPT_PASS_FD || id == OPT_JSON_STATUS_FD || id == OPT_LOG_FD || id == OPT_CONTROL_FD ||
	       id == OPT_ASK_FD || id == OPT_PROFILE || id == OPT_EXPLAIN || id == OPT_JSON || id == OPT_HELP;
}

/*
 * --profile NAME|FILE: each line "OPTION [VALUE]" is the run option --OPTION,
 * applied here, in order, with the line's place for its messages and its
 * rules' source. The text is a file cmd/main.c read, or a built-in profile.
 */
static int apply_profile(struct sbx_config *cfg, const char *name, char *err, size_t errlen)
{
	const struct sbx_profile *builtin = NULL;
	const char *text = NULL;
	char *copy, q[SBX_QUOTE_LEN];
	unsigned line = 0;
	int r = 0;

	if (cfg->cur_file)
		return usage_error(err, errlen, "--profile: a profile cannot name another profile");
	for (size_t i = 0; i < cfg->n_profile_texts && !text; i++)
		if (strcmp(cfg->profile_texts[i].name, name) == 0)
			text = cfg->profile_texts[i].text;
	if (!text && (builtin = sbx_profile_builtin(name)))
		text = builtin->text;
	if (!text)
		return usage_error(err, errlen,
				   "--profile: %s is neither a built-in profile (see 'sbx profiles') nor a file",
				   sbx_quote(q, sizeof(q), name));
	copy = strdup(text);
	if (!copy || push((void **)&cfg->owned, &cfg->n_owned, sizeof(copy), &copy) < 0) {
		free(copy);
		return -ENOMEM;
	}
	cfg->cur_file = name;
	for (char *l = copy, *next; l && r == 0; l = next) {
		char opt[64], *value, *end;
		const struct opt *o;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		cfg->cur_line = ++line;
		l += strspn(l, " \t");
		if (*l == '#' || *l == '\0')
			continue;
		end = l + strcspn(l, " \t");
		value = end + strspn(end, " \t");
		*end = '\0';
		for (char *e = value + strlen(value); e > value && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');)
			*--e = '\0';
		snprintf(opt, sizeof(opt), "--%s", l);
		o = find_opt(opt, strlen(opt));
		if (!o || !(o->commands & FOR_RUN) || profile_forbids(o->id)) {
			r = usage_error(err, errlen, "%s:%u: %s is not an option a profile can set", name, line,
					sbx_quote(q, sizeof(q), l));
			break;
		}
		if (o->has_arg != (*value != '\0')) {
			r = usage_error(err, errlen, "%s:%u: %s %s", name, line, l,
					o->has_arg ? "needs a value" : "takes no value");
			break;
		}
		r = set_option(cfg, o, o->has_arg ? value : NULL, err, errlen);
		if (r < 0 && errlen) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, errlen, "%s:%u: %s", name, line, msg);
		}
	}
	cfg->cur_file = NULL;
	cfg->cur_line = 0;
	return r;
}

static int set_option(struct sbx_config *cfg, const struct opt *o, char *value, char *err, size_t errlen)
{
	struct sbx_mount_op mnt = {0};
	char quoted[SBX_QUOTE_LEN];
	/* The value as every message shows it: quoted, one line, no control byte. */
	const char *q = value ? sbx_quote(quoted, sizeof(quoted), value) : "";
	unsigned long n;
	int r = 0;

	switch (o->id) {
	case OPT_HELP:
		cfg->help_topic = command_name(cfg->command);
		cfg->command = SBX_CMD_HELP;
		return 0;
	case OPT_NETWORK:
		if (strcmp(value, "blocked") == 0)
			cfg->posture = SBX_POSTURE_BLOCKED;
		else if (strcmp(value, "allowlist") == 0)
			cfg->posture = SBX_POSTURE_ALLOWLIST;
		else if (strcmp(value, "open") == 0)
			cfg->posture = SBX_POSTURE_OPEN;
		else
			return usage_error(err, errlen,
					   "--network: unknown posture %s (use blocked, allowlist or open)", q);
		cfg->posture_set = true;
		return 0;
	case OPT_ALLOW:
	case OPT_DENY:
	case OPT_POLICY: {
		struct sbx_rule_arg ra = {
			.kind = o->id == OPT_ALLOW  ? SBX_RULE_ARG_ALLOW
				: o->id == OPT_DENY ? SBX_RULE_ARG_DENY
						    : SBX_RULE_ARG_FILE,
			.text = value,
			.file = cfg->cur_file,
			.line = cfg->cur_line,
		};
		if (!value[0])
			return usage_error(err, errlen, "%s: empty argument", o->name);
		r = push((void **)&cfg->rules, &cfg->n_rules, sizeof(ra), &ra);
		break;
	}
	case OPT_NO_DEFAULT_DENY:
		cfg->no_default_deny = true;
		return 0;
	case OPT_RESOLVE:
		cfg->resolve = true;
		return 0;
	case OPT_UID:
	case OPT_GID:
		/* (uid_t)-1 means "no change" to the kernel: never a valid id. */
		if (parse_uint(value, UINT_MAX - 1, &n) < 0)
			return usage_error(err, errlen, "%s: %s is not a valid id (0 to %u)", o->name, q, UINT_MAX - 1);
		if (o->id == OPT_UID) {
			cfg->uid = (uid_t)n;
			cfg->uid_set = true;
		} else {
			cfg->gid = (gid_t)n;
			cfg->gid_set = true;
		}
		return 0;
	case OPT_HOSTNAME:
		if (!valid_hostname(value))
			return usage_error(err, errlen,
					   "--hostname: %s is not a valid host name (letters, digits, '-', '.'; 1-64 chars)",
					   q);
		cfg->hostname = value;
		return 0;
	case OPT_BIND:
	case OPT_RO_BIND:
		mnt.kind = o->id == OPT_BIND ? SBX_MOUNT_BIND : SBX_MOUNT_RO_BIND;
		r = parse_bind(value, o->name, &mnt, err, errlen);
		if (r < 0)
			return r;
		r = push((void **)&cfg->mounts, &cfg->n_mounts, sizeof(mnt), &mnt);
		break;
	case OPT_TMPFS:
	case OPT_HIDE:
		if (value[0] != '/')
			return usage_error(err, errlen, "%s: %s must be an absolute path", o->name, q);
		mnt.kind = o->id == OPT_TMPFS ? SBX_MOUNT_TMPFS : SBX_MOUNT_HIDE;
		mnt.dst = value;
		r = push((void **)&cfg->mounts, &cfg->n_mounts, sizeof(mnt), &mnt);
		break;
	case OPT_TMP_SIZE: {
		uint64_t size = 0;

		if (parse_size(value, &size) < 0 || size < SBX_MIN_TMP_SIZE || size > SBX_MAX_TMP_SIZE)
			return usage_error(err, errlen,
					   "--tmp-size: %s is not a size from 4K to 1024T (bytes, or a number with K, "
					   "M, G or T, powers of 1024)",
					   q);
		cfg->tmp_size = size;
		return 0;
	}
	case OPT_HOME:
		if (strcmp(value, "overlay") == 0)
			cfg->home = SBX_HOME_OVERLAY;
		else if (strcmp(value, "tmpfs") == 0)
			cfg->home = SBX_HOME_TMPFS;
		else if (strcmp(value, "ro") == 0)
			cfg->home = SBX_HOME_RO;
		else if (strcmp(value, "rw") == 0)
			cfg->home = SBX_HOME_RW;
		else
			return usage_error(err, errlen, "--home: %s is not overlay, tmpfs, ro or rw", q);
		cfg->home_set = true;
		return 0;
	case OPT_PERSIST:
		/* A read-write bind of the same path: kept apart for --explain and profiles. */
		if (value[0] != '/')
			return usage_error(err, errlen, "--persist: %s must be an absolute path", q);
		mnt.kind = SBX_MOUNT_BIND;
		mnt.src = mnt.dst = value;
		mnt.origin = "--persist";
		r = push((void **)&cfg->mounts, &cfg->n_mounts, sizeof(mnt), &mnt);
		break;
	case OPT_SHOW:
	case OPT_ALLOW_WRITE:
		if (value[0] != '/' && strncmp(value, "~/", 2) != 0)
			return usage_error(err, errlen, "%s: %s must be an absolute path or start with ~/", o->name, q);
		if (o->id == OPT_SHOW)
			r = push((void **)&cfg->shows, &cfg->n_shows, sizeof(value), &value);
		else
			r = push((void **)&cfg->allow_writes, &cfg->n_allow_writes, sizeof(value), &value);
		break;
	case OPT_NO_DEFAULT_HIDE:
		cfg->no_default_hide = true;
		return 0;
	case OPT_KEEP_ENV:
		if (!value[0] || strchr(value, '='))
			return usage_error(err, errlen, "--keep-env: %s is not a variable name or glob", q);
		r = push((void **)&cfg->keep_env, &cfg->n_keep_env, sizeof(value), &value);
		break;
	case OPT_ID: {
		size_t len = strlen(value);

		if (len == 0 || len > 64 ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
			return usage_error(err, errlen, "--id: %s is not 1-64 letters, digits, '.', '_' or '-'", q);
		cfg->id = value;
		return 0;
	}
	case OPT_EXPLAIN:
		cfg->explain = true;
		return 0;
	case OPT_PROFILE:
		return apply_profile(cfg, value, err, errlen);
	case OPT_JSON:
		cfg->explain_json = true;
		return 0;
	case OPT_CHDIR:
		if (value[0] != '/')
			return usage_error(err, errlen, "--chdir: %s must be an absolute path", q);
		cfg->chdir = value;
		return 0;
	case OPT_CLEARENV:
		cfg->clearenv = true;
		return 0;
	case OPT_SETENV:
	case OPT_UNSETENV: {
		struct sbx_env_op e = {.name = value};
		if (o->id == OPT_SETENV) {
			char *eq = strchr(value, '=');
			if (!eq || eq == value)
				return usage_error(err, errlen, "--setenv: expected NAME=VALUE, got %s", q);
			*eq = '\0';
			e.value = eq + 1;
		} else if (!valid_env_name(value)) {
			return usage_error(err, errlen, "--unsetenv: %s is not a variable name", q);
		}
		r = push((void **)&cfg->env_ops, &cfg->n_env_ops, sizeof(e), &e);
		break;
	}
	case OPT_PASS_FD:
	case OPT_JSON_STATUS_FD: {
		int fd;
		if (parse_uint(value, INT_MAX, &n) < 0)
			return usage_error(err, errlen, "%s: %s is not a descriptor number", o->name, q);
		fd = (int)n;
		if (o->id == OPT_JSON_STATUS_FD) {
			cfg->json_status_fd = fd;
			return 0;
		}
		/* Sandbox init keeps them in fixed arrays: it may not allocate where it closes descriptors. */
		if (cfg->n_pass_fds >= SBX_MAX_PASS_FDS)
			return usage_error(err, errlen, "--pass-fd: given more than %d times (at most %d descriptors)",
					   SBX_MAX_PASS_FDS, SBX_MAX_PASS_FDS);
		r = push((void **)&cfg->pass_fds, &cfg->n_pass_fds, sizeof(fd), &fd);
		break;
	}
	case OPT_TIMEOUT:
		return parse_duration(o->name, value, 1, false, "1 ms, the resolution of --timeout", &cfg->timeout_ms,
				      err, errlen);
	case OPT_KILL_AFTER:
		cfg->kill_after_set = true;
		return parse_duration(o->name, value, 1, true, "1 ms, the resolution of --kill-after (0: no grace)",
				      &cfg->kill_after_ms, err, errlen);
	case OPT_PROXY_HEADER_TIMEOUT:
	case OPT_PROXY_IDLE_TIMEOUT:
		/* The proxy checks its deadlines once a second (allowlist/gateway.c). */
		return parse_duration(o->name, value, 1000, false,
				      "1 second, the resolution of the proxy's deadlines (checked once a second)",
				      o->id == OPT_PROXY_HEADER_TIMEOUT ? &cfg->proxy_header_timeout_ms
									: &cfg->proxy_idle_timeout_ms,
				      err, errlen);
	case OPT_PIDS:
		if (parse_uint(value, SBX_MAX_PIDS, &n) < 0 || n == 0)
			return usage_error(err, errlen, "--pids: %s is not a number from 1 to %lu", q, SBX_MAX_PIDS);
		cfg->pids = n;
		return 0;
	case OPT_ALLOW_UNIX:
		/* Resolved to the socket's inode when sbx starts (src/deputy/unix.c). */
		if (!value[0])
			return usage_error(err, errlen, "--allow-unix: empty path");
		r = push((void **)&cfg->allow_unix, &cfg->n_allow_unix, sizeof(value), &value);
		break;
	case OPT_CONTROL_FD:
		return parse_fd_pair(o->name, value, &cfg->control_in_fd, &cfg->control_out_fd, err, errlen);
	case OPT_ASK_FD:
		return parse_fd_pair(o->name, value, &cfg->ask_in_fd, &cfg->ask_out_fd, err, errlen);
	case OPT_ASK_TIMEOUT:
		return parse_duration(o->name, value, 1, false, "1 ms, the resolution of --ask-timeout",
				      &cfg->ask_timeout_ms, err, errlen);
	case OPT_LOG_FD:
		if (parse_uint(value, INT_MAX, &n) < 0)
			return usage_error(err, errlen, "--log-fd: %s is not a descriptor number", q);
		cfg->log_fd = (int)n;
		return 0;
	case OPT_LOG_FILE:
		if (!value[0])
			return usage_error(err, errlen, "--log-file: empty path");
		cfg->log_file = value;
		return 0;
	case OPT_PROXY_MAX_CONNS:
		if (parse_uint(value, 1000000, &n) < 0 || n == 0)
			return usage_error(err, errlen, "--proxy-max-conns: %s is not a number from 1 to 1000000", q);
		cfg->proxy_max_conns = (unsigned)n;
		return 0;
	case OPT_UPSTREAM_PROXY:
		/* Checked (never quoted: it may carry a password) when sbx starts: src/allowlist/uplink.c. */
		if (!value[0])
			return usage_error(err, errlen, "--upstream-proxy: empty URL");
		cfg->upstream_proxy = value;
		return 0;
	case OPT_UPSTREAM_PROXY_AUTH_FILE:
		if (value[0] != '/')
			return usage_error(err, errlen,
					   "--upstream-proxy-auth-file: %s must be an absolute path (sbx hides the file "
					   "inside the sandbox)",
					   q);
		cfg->upstream_proxy_auth_file = value;
		return 0;
	case OPT_PROXY_MAX_HEADER:
		if (parse_uint(value, 1048576, &n) < 0 || n < 1024)
			return usage_error(err, errlen,
					   "--proxy-max-header: %s is not a size from 1024 to 1048576 bytes", q);
		cfg->proxy_max_header = (unsigned)n;
		return 0;
	}
	if (r < 0)
		return usage_error(err, errlen, "out of memory");
	return 0;
}

static const struct opt *find_opt(const char *arg, size_t name_len)
{
	for (size_t i = 0; i < sizeof(sbx_opts) / sizeof(sbx_opts[0]); i++) {
		if (strlen(sbx_opts[i].name) == name_len && strncmp(sbx_opts[i].name, arg, name_len) == 0)
			return &sbx_opts[i];
	}
	return NULL;
}

static void config_init(struct sbx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->json_status_fd = -1;
	cfg->log_fd = -1;
	cfg->control_in_fd = cfg->control_out_fd = -1;
	cfg->ask_in_fd = cfg->ask_out_fd = -1;
	cfg->hostname = "sbx";
}

/* Options of one command, up to "--" or the first operand. Returns the index of the first operand. */
static int parse_options(int argc, char **argv, int i, struct sbx_config *cfg, char *err, size_t errlen)
{
	unsigned mask = cfg->command == SBX_CMD_RUN ? FOR_RUN : cfg->command == SBX_CMD_CHECK ? FOR_CHECK : FOR_PRESETS;

	for (; i < argc; i++) {
		char *arg = argv[i];
		char *eq, *value = NULL;
		const struct opt *o;
		size_t name_len;
		int r;

		if (strcmp(arg, "--") == 0)
			return i + 1;
		if (arg[0] != '-' || arg[1] == '\0')
			return i;
		eq = strchr(arg, '=');
		name_len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
		o = find_opt(arg, name_len);
		if (!o || !(o->commands & mask)) {
			char name[SBX_QUOTE_LEN], q[SBX_QUOTE_LEN];

			snprintf(name, sizeof(name), "%.*s", (int)name_len, arg);
			return usage_error(err, errlen, "unknown option %s for 'sbx %s' (see 'sbx %s --help')",
					   sbx_quote(q, sizeof(q), name), command_name(cfg->command),
					   command_name(cfg->command));
		}
		if (o->has_arg) {
			if (eq && arg[1] == '-') {
				value = eq + 1;
			} else {
				if (i + 1 >= argc)
					return usage_error(err, errlen, "%s needs an argument", o->name);
				value = argv[++i];
			}
		} else if (eq && arg[1] == '-') {
			return usage_error(err, errlen, "%s takes no argument", o->name);
		}
		r = set_option(cfg, o, value, err, errlen);
		if (r < 0)
			return r;
		if (cfg->command == SBX_CMD_HELP)
			return argc;
	}
	return argc;
}

static bool has_policy_file(const struct sbx_config *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].kind == SBX_RULE_ARG_FILE)
			return true;
	return false;
}

/**
 * sbx_cli_check_run() - the checks of `sbx run` that depend on the posture.
 * @cfg: a parsed configuration whose posture is final
 * @err: receives one line describing a usage error
 * @errlen: size of @err
 *
 * sbx_cli_parse() runs it, unless a --policy file may still name the
 * posture (sbx_cli_needs_posture()); then cmd/main.c runs it once the file
 * was read.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int sbx_cli_check_run(const struct sbx_config *cfg, char *err, size_t errlen)
{
	if (cfg->posture == SBX_POSTURE_BLOCKED && (cfg->n_rules || cfg->no_default_deny))
		return usage_error(err, errlen,
				   "--allow, --deny, --policy and --no-default-deny have no effect with "
				   "--network=blocked (everything but the sandbox's own loopback is unreachable); "
				   "did you mean --network=allowlist?");
	if (cfg->posture == SBX_POSTURE_BLOCKED && (cfg->proxy_max_conns || cfg->proxy_max_header ||
						    cfg->proxy_header_timeout_ms || cfg->proxy_idle_timeout_ms))
		return usage_error(err, errlen, "--proxy-* apply to --network=allowlist only");
	if (cfg->explain_json && !cfg->explain)
		return usage_error(err, errlen, "--json goes with --explain");
	if (cfg->posture == SBX_POSTURE_OPEN && (cfg->proxy_max_conns || cfg->proxy_max_header ||
						 cfg->proxy_header_timeout_ms || cfg->proxy_idle_timeout_ms))
		return usage_error(err, errlen,
				   "--proxy-* apply to --network=allowlist only (open posture has no proxy)");
	if ((cfg->upstream_proxy || cfg->upstream_proxy_auth_file) && cfg->posture != SBX_POSTURE_ALLOWLIST)
		return usage_error(err, errlen,
				   "--upstream-proxy and --upstream-proxy-auth-file apply to --network=allowlist "
				   "only (the proxy they configure is sbx's own)");
	if (cfg->upstream_proxy_auth_file && !cfg->upstream_proxy)
		return usage_error(err, errlen, "--upstream-proxy-auth-file needs --upstream-proxy");
	if (cfg->log_fd >= 0 && cfg->log_file)
		return usage_error(err, errlen, "give --log-fd or --log-file, not both");
	if (cfg->ask_in_fd >= 0 && cfg->posture != SBX_POSTURE_ALLOWLIST)
		return usage_error(err, errlen,
				   "--ask-fd applies to --network=allowlist only (blocked denies everything; open "
				   "allows what no rule denies, so nothing is left to ask)");
	if (cfg->ask_timeout_ms && cfg->ask_in_fd < 0)
		return usage_error(err, errlen, "--ask-timeout needs --ask-fd");
	if (cfg->ask_in_fd >= 0 && cfg->control_in_fd >= 0 &&
	    (cfg->ask_in_fd == cfg->control_in_fd || cfg->ask_out_fd == cfg->control_out_fd))
		return usage_error(err, errlen, "--ask-fd and --control-fd need descriptors of their own");
	if (cfg->ask_in_fd >= 0 && (cfg->ask_out_fd == cfg->json_status_fd || cfg->ask_out_fd == cfg->log_fd ||
				    cfg->ask_in_fd == cfg->json_status_fd || cfg->ask_in_fd == cfg->log_fd))
		return usage_error(err, errlen,
				   "--ask-fd needs descriptors of its own (not --json-status-fd's or --log-fd's): "
				   "questions wait for answers on it");
	return 0;
}

/**
 * sbx_cli_needs_posture() - whether the posture may still come from a --policy file.
 * @cfg: a parsed `sbx run` configuration
 *
 * Return: true when no --network was given and a --policy file was.
 */
bool sbx_cli_needs_posture(const struct sbx_config *cfg)
{
	return cfg->command == SBX_CMD_RUN && !cfg->posture_set && has_policy_file(cfg);
}

/**
 * sbx_cli_parse() - parse sbx's command line.
 * @argc: argument count
 * @argv: arguments; values are referenced (and some split in place), not copied
 * @cfg: filled in; free with sbx_config_free() whatever the result
 * @err: receives one line describing a usage error
 * @errlen: size of @err
 *
 * Context: pure; no system calls. Checks that need the system (does a
 * descriptor exist, does a path exist) happen later, before anything starts.
 * Return: 0, or -EINVAL with @err set.
 */
int sbx_cli_parse(int argc, char **argv, struct sbx_config *cfg, char *err, size_t errlen)
{
	return sbx_cli_parse_profiles(argc, argv, NULL, 0, cfg, err, errlen);
}

/**
 * sbx_cli_parse_profiles() - sbx_cli_parse() with the texts of --profile files.
 * @argc: argument count
 * @argv: arguments
 * @texts: the files --profile names, read by the caller (built-in profiles need none)
 * @n_texts: how many
 * @cfg: as for sbx_cli_parse(); refers to @texts, which must outlive it
 * @err: as for sbx_cli_parse()
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL with @err set.
 */
int sbx_cli_parse_profiles(int argc, char **argv, const struct sbx_profile_text *texts, size_t n_texts,
			   struct sbx_config *cfg, char *err, size_t errlen)
{
	const char *cmd;
	int i;

	config_init(cfg);
	cfg->profile_texts = texts;
	cfg->n_profile_texts = n_texts;
	if (errlen)
		err[0] = '\0';
	if (argc < 2)
		return usage_error(err, errlen, "missing command (try 'sbx --help')");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		cfg->command = SBX_CMD_HELP;
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		cfg->command = SBX_CMD_VERSION;
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		cfg->command = SBX_CMD_HELP;
		if (argc > 2) {
			if (strcmp(argv[2], "run") && strcmp(argv[2], "check") && strcmp(argv[2], "presets") &&
			    strcmp(argv[2], "profiles")) {
				char q[SBX_QUOTE_LEN];

				return usage_error(err, errlen, "help: unknown command %s",
						   sbx_quote(q, sizeof(q), argv[2]));
			}
			cfg->help_topic = argv[2];
		}
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		cfg->command = SBX_CMD_RUN;
	else if (strcmp(cmd, "check") == 0)
		cfg->command = SBX_CMD_CHECK;
	else if (strcmp(cmd, "presets") == 0)
		cfg->command = SBX_CMD_PRESETS;
	else if (strcmp(cmd, "profiles") == 0)
		cfg->command = SBX_CMD_PROFILES;
	else {
		char q[SBX_QUOTE_LEN];

		return usage_error(err, errlen, "unknown command %s (try 'sbx --help')", sbx_quote(q, sizeof(q), cmd));
	}

	i = parse_options(argc, argv, 2, cfg, err, errlen);
	if (i < 0)
		return i;
	if (cfg->command == SBX_CMD_HELP)
		return 0;

	switch (cfg->command) {
	case SBX_CMD_RUN:
		if (i >= argc)
			return usage_error(err, errlen,
					   "run: missing COMMAND (usage: sbx run [OPTIONS] [--] COMMAND [ARGS...])");
		if (!argv[i][0])
			return usage_error(err, errlen, "run: empty COMMAND");
		cfg->argv = argv + i;
		cfg->argc = argc - i;
		if (cfg->upstream_proxy_auth_file) {
			/* The credentials are sbx's, never the payload's: hide the file, after every other mount. */
			struct sbx_mount_op hide = {.kind = SBX_MOUNT_HIDE,
						    .dst = cfg->upstream_proxy_auth_file,
						    .origin = "--upstream-proxy-auth-file: sbx's credentials"};

			if (push((void **)&cfg->mounts, &cfg->n_mounts, sizeof(hide), &hide) < 0)
				return usage_error(err, errlen, "out of memory");
		}
		/* With a --policy file and no --network, the file may name the posture:
		 * cmd/main.c reads it (sbx_cli_policy_posture()) and then checks. */
		if (!cfg->posture_set && has_policy_file(cfg))
			break;
		return sbx_cli_check_run(cfg, err, errlen);
		break;
	case SBX_CMD_CHECK:
		if (i >= argc)
			return usage_error(err, errlen, "check: missing DEST (usage: sbx check [OPTIONS] DEST...)");
		if (!cfg->posture_set)
			cfg->posture = SBX_POSTURE_ALLOWLIST;
		cfg->dests = argv + i;
		cfg->n_dests = (size_t)(argc - i);
		break;
	case SBX_CMD_PRESETS:
	case SBX_CMD_PROFILES:
		if (argc - i > 1)
			return usage_error(err, errlen, "%s: at most one NAME", command_name(cfg->command));
		cfg->preset_name = i < argc ? argv[i] : NULL;
		break;
	default:
		break;
	}
	return 0;
}

/**
 * sbx_config_free() - release what sbx_cli_parse() allocated.
 * @cfg: configuration; left empty
 */
void sbx_config_free(struct sbx_config *cfg)
{
	free(cfg->rules);
	free(cfg->mounts);
	free(cfg->env_ops);
	free(cfg->pass_fds);
	free(cfg->shows);
	free(cfg->allow_writes);
	free(cfg->keep_env);
	for (size_t i = 0; i < cfg->n_owned; i++)
		free(cfg->owned[i]);
	free(cfg->owned);
	free(cfg->allow_unix);
	config_init(cfg);
}
