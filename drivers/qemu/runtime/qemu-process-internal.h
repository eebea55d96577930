/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-process-internal.h: what the files of one QEMU process share (qemu-process.c: the
 * object, its end, QMP, stop; -start.c: the start stages; -status.c: the status file and
 * reconnect); no one else includes it.
 */
#pragma once

#include "qemu-cgroup-cpu.h"
#include "qemu-process.h"

#define PROCESS_START_TIMEOUT_USEC     (30ULL * 1000 * 1000)
#define PROCESS_RECONNECT_TIMEOUT_USEC (5ULL * 1000 * 1000)
#define PROCESS_STATUS_MAX             (16U * 1024U * 1024U)
#define PROCESS_LOG_TAIL_MAX           1024
#define MASTER_KEY_SIZE                32
#define PROCESS_DIR_NAME_MAX           20

#define GRAPHICS_PORT_FIRST  5900
#define WEBSOCKET_PORT_FIRST 5700

/* qemu-process.c */
int process_arm_timeout(VkQemuProcess *p, uint64_t timeout_usec, VkError *reterr);
int process_arm_connect(VkQemuProcess *p, VkError *reterr);
void process_on_exit(VkPidfdWatch *w, const VkChildExit *exit, void *userdata);
bool process_cmdline_is(pid_t pid, const char *binary);
void process_security_release(sd_event *e, VkSecurityManager *security, VkSecurityState *state,
                              const char *name);
void process_remove_tree(const char *dir);
void process_remove_files(VkQemuProcess *p);
void process_fail(VkQemuProcess *p, const VkError *error);
void process_cancel_stages(VkQemuProcess *p);

/* qemu-process-start.c: give back the graphics ports the start took */
void process_release_ports(VkQemuProcess *p);

/* qemu-process-net.c: taps and networkd ports */
void process_adopt_ports(VkQemuProcess *p, const VkQemuProcessOptions *opts);
int process_create_nets(VkQemuProcess *p, VkDomainDef *live, const VkQemuProcessOptions *opts,
                        VkQemuArgvOptions *aopts, VkError *reterr);
void process_close_tap_fds(VkQemuProcess *p);
char **process_net_devices(VkQemuProcess *p);

/* qemu-process-helper.c: the helper processes of a QEMU (virtiofsd, swtpm) */
typedef enum ProcessHelperKind {
        PROCESS_HELPER_VIRTIOFSD,
        PROCESS_HELPER_SWTPM,
        _PROCESS_HELPER_KIND_MAX,
} ProcessHelperKind;

#define PROCESS_HELPER_FD 3 /* where a helper gets its listening socket */

typedef struct ProcessHelper {
        VkQemuProcess *p; /* the owner; not a reference */
        ProcessHelperKind kind;
        char *alias;    /* the device it serves */
        char *binary;   /* its argv[0], checked when it is adopted */
        char *socket;   /* where QEMU connects; removed with it */
        char *log_path; /* its stdout and stderr */
        char **argv;    /* until spawned */
        char **env;     /* until spawned; NULL: an empty environment */
        int listen_fd;  /* until spawned (as PROCESS_HELPER_FD); -1 after */
        bool set_credentials;
        uid_t uid;
        gid_t gid;
        pid_t pid; /* 0: not running (yet) */
        unsigned long long pid_start_time;
        VkPidfdWatch *watch;
} ProcessHelper;

ProcessHelper *process_helper_add(VkQemuProcess *p, ProcessHelperKind kind);
int process_helper_listen(ProcessHelper *h, VkError *reterr);
const char **process_helper_sockets(VkQemuProcess *p);
int process_helpers_spawn(VkQemuProcess *p, VkError *reterr);
void process_helpers_join_cgroup(VkQemuProcess *p);
void process_helpers_stop(VkQemuProcess *p);
void process_helpers_to_json(VkQemuProcess *p, JsonBuilder *b);
void process_helpers_from_json(VkQemuProcess *p, JsonObject *o);
void process_helpers_cleanup_json(JsonObject *o);

/* qemu-process-virtiofsd.c: the virtiofsd of each virtio-fs share */
int process_virtiofsd_prepare(VkQemuProcess *p, const VkDomainDef *live, VkError *reterr);

/* qemu-process-swtpm.c: the swtpm of an emulated TPM */
int process_swtpm_prepare(VkQemuProcess *p, const VkDomainDef *live,
                          const VkQemuProcessOptions *opts, VkError *reterr);
int process_swtpm_setup(VkQemuProcess *p, VkError *reterr);
void process_swtpm_remove_created(VkQemuProcess *p);

/* qemu-process-start.c: the stages after the TPM is manufactured */
int process_start_continue(VkQemuProcess *p, VkError *reterr);

/* qemu-process-net.c */
void process_release_nets(VkQemuProcess *p);
void process_nets_to_json(VkQemuProcess *p, JsonBuilder *b);
void process_nets_from_json(VkQemuProcess *p, JsonObject *o);
void process_nets_cleanup_json(sd_event *e, JsonObject *o);

/* qemu-process-tune.c: <cputune> and <vcpu cpuset=> on QEMU's threads */
typedef struct ProcessTune ProcessTune;
void process_tune_free(ProcessTune *t);
int process_tune_prepare(VkQemuProcess *p, const VkDomainDef *def, VkError *reterr);
int process_tune_initial(VkQemuProcess *p, VkError *reterr);
void process_tune_scope(const VkQemuProcess *p, VkScopeCpu *ret);
void process_tune_apply(VkQemuProcess *p);
/* qemu-process.c: what follows the tuning before the vCPUs run */
void process_after_tune(VkQemuProcess *p);
/* qemu-process-shares.c */
int process_check_shares(const VkDomainDef *def, VkError *reterr);
