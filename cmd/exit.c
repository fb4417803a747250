// SPDX-License-Identifier: Apache-2.0
/* The one place that chooses sbx's exit status. */

#include "cmd.h"

/**
 * sbx_exit_status() - the exit status sbx reports for how a run ended.
 * @o: the outcome from sbx_supervisor_run()
 *
 * Return: the payload's code, 128+N for signal N, 124 timeout, 125 setup
 * failure, 126 not executable, 127 not found.
 */
int sbx_exit_status(const struct sbx_outcome *o)
{
	switch (o->kind) {
	case SBX_OUTCOME_EXITED:
		return o->code;
	case SBX_OUTCOME_SIGNALED:
		return 128 + o->signal;
	case SBX_OUTCOME_TIMEOUT:
		return SBX_EXIT_TIMEOUT;
	case SBX_OUTCOME_NOT_FOUND:
		return SBX_EXIT_NOTFOUND;
	case SBX_OUTCOME_NOT_EXECUTABLE:
		return SBX_EXIT_NOEXEC;
	case SBX_OUTCOME_SETUP_FAILED:
		break;
	}
	return SBX_EXIT_FAILURE;
}
