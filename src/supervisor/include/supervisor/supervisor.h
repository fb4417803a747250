/* SPDX-License-Identifier: Apache-2.0 */
/* The supervisor: runs one sandbox from a validated configuration and says how it ended. */
#ifndef SBX_SUPERVISOR_SUPERVISOR_H
#define SBX_SUPERVISOR_SUPERVISOR_H

#include <stdbool.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sbx/config.h"

/* How a sandbox run ended, decided by the supervisor; cmd/ maps it to an exit status. */
enum sbx_outcome_kind {
	SBX_OUTCOME_EXITED,	    /* payload exited: code */
	SBX_OUTCOME_SIGNALED,	    /* payload killed: signal */
	SBX_OUTCOME_TIMEOUT,	    /* --timeout expired, the sandbox ended (TERM, then KILL) */
	SBX_OUTCOME_SETUP_FAILED,   /* a stage failed before exec: message */
	SBX_OUTCOME_NOT_FOUND,	    /* exec: command not found */
	SBX_OUTCOME_NOT_EXECUTABLE, /* exec: found but could not be executed */
};

struct sbx_outcome {
	enum sbx_outcome_kind kind;
	int code;
	int signal;
	bool killed; /* sbx SIGKILLed the sandbox after --kill-after's grace: @message says why */
	char message[768];
};

int sbx_supervisor_run(const struct sbx_config *cfg, struct sbx_outcome *out);
int sbx_supervisor_explain(const struct sbx_config *cfg, FILE *f, bool json, char *err, size_t errlen);

#endif
