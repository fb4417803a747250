/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptor hygiene: a sane 0/1/2 before anything is opened, nothing else across exec. */
#ifndef SBX_LIB_FDS_H
#define SBX_LIB_FDS_H

#include <stddef.h>

int sbx_fds_sanitize_std(void);
int sbx_fds_close_except(int *keep, size_t n_keep);

#endif
