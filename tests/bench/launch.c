// SPDX-License-Identifier: Apache-2.0
/* Benchmark driver: time commands side by side (interleaved), or launch many at once. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * launch serial N CMD1... [:: CMD2...]...
 *     runs each command N times, interleaved (1,2,3,1,2,3,...) so that
 *     machine noise hits all of them alike; prints per command the median and
 *     p90 wall time in ms and the largest peak RSS (KiB) of the launched
 *     process itself (for sbx: the supervisor).
 * launch concurrent N CMD...
 *     starts N copies at once and waits for all; prints the wall time and
 *     launches per second. Any failing run makes the exit status 1.
 */

#define MAX_CMDS 8

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static pid_t spawn(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char **cmds[MAX_CMDS];
	int n_cmds = 0, n, failed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: launch serial|concurrent N CMD... [:: CMD...]...\n");
		return 2;
	}
	n = atoi(argv[2]);
	if (n <= 0)
		return 2;
	cmds[n_cmds++] = &argv[3];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "::") == 0 && n_cmds < MAX_CMDS) {
			argv[i] = NULL;
			cmds[n_cmds++] = &argv[i + 1];
		}
	}

	if (strcmp(argv[1], "concurrent") == 0) {
		double t0 = now_ms(), dt;
		for (int i = 0; i < n; i++)
			if (spawn(cmds[0]) < 0)
				failed = 1;
		for (int i = 0; i < n; i++) {
			int st;
			if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed = 1;
		}
		dt = now_ms() - t0;
		printf("%.1f %.0f\n", dt, n / (dt / 1e3));
		return failed;
	}

	double *t[MAX_CMDS];
	long maxrss[MAX_CMDS] = {0};
	for (int c = 0; c < n_cmds; c++)
		t[c] = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		for (int c = 0; c < n_cmds; c++) {
			struct rusage ru;
			int st;
			double t0 = now_ms();
			pid_t pid = spawn(cmds[c]);

			if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed = 1;
			t[c][i] = now_ms() - t0;
			if (ru.ru_maxrss > maxrss[c])
				maxrss[c] = ru.ru_maxrss;
		}
	}
	for (int c = 0; c < n_cmds; c++) {
		qsort(t[c], (size_t)n, sizeof(double), cmp_double);
		printf("%.3f %.3f %ld\n", t[c][n / 2], t[c][(n * 9) / 10], maxrss[c]);
	}
	return failed;
}
