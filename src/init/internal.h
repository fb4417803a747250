/* SPDX-License-Identifier: Apache-2.0 */
/* Sandbox init's stages, private to src/init: mounts, network namespaces, capabilities, filters. */
#ifndef SBX_INIT_INTERNAL_H
#define SBX_INIT_INTERNAL_H

#include "init/init.h"
#include "lib/topology.h"

/* Both ends: -1 when empty (initialise every listen_fds entry to -1). */
struct sbx_gateway_fds {
	int sandbox_ns_fd;
	int listen_fds[SBX_GW_N_FDS]; /* the listeners, then the sock_diag socket (lib/topology.h) */
};

#include <sys/types.h>

int sbx_mounts_setup(const struct sbx_init_args *args, struct sbx_report *rep, dev_t **devs_out, size_t *n_devs_out);
int sbx_mounts_sysfs(struct sbx_report *rep);

int sbx_net_new_blocked(int *ns_fd);
int sbx_net_new_allowlist(struct sbx_gateway_fds *gw, const char **detail);
void sbx_net_gateway_fds_close(struct sbx_gateway_fds *gw);

int sbx_caps_prepare(void);
int sbx_caps_drop_all(void);

int sbx_seccomp_load(void);
int sbx_seccomp_load_notify(bool open);

int sbx_landlock_abi(void);
int sbx_landlock_scope(void);
int sbx_landlock_unix(void);

#endif
