/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process.h: one QEMU process: start, watch, reconnect, stop, status file */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "child.h"
#include "error.h"
#include "qemu-argv.h"
#include "qemu-caps.h"
#include "qemu-cgroup.h"
#include "qemu-conf.h"
#include "qemu-domain-def.h"
#include "qemu-netports.h"
#include "qemu-ports.h"
#include "qemu-qmp.h"
#include "qemu-security.h"
#include "qemu-swtpm.h"

typedef struct VkQemuProcess VkQemuProcess;

typedef struct VkQemuProcessCallbacks {
        /* The start (or reconnect) finished: QEMU runs (or is paused) and QMP works, or
         * @error says why not; after an error the process is gone and its files removed. */
        void (*started)(VkQemuProcess *p, const VkError *error, void *userdata);
        /* A QMP event (SHUTDOWN, RESET, STOP, RESUME, GUEST_PANICKED, ...). */
        void (*event)(VkQemuProcess *p, const char *name, JsonObject *data, void *userdata);
        /* QEMU ended after a successful start; runtime files are already removed. */
        void (*exited)(VkQemuProcess *p, void *userdata);
        /* The monitor connection of a running QEMU closed while QEMU did not end (still
         * there VK_QEMU_MONITOR_LOST_USEC later) and nobody asked it to: QEMU runs on
         * without a monitor (p->qmp is NULL). */
        void (*monitor_lost)(VkQemuProcess *p, void *userdata);
} VkQemuProcessCallbacks;

/* How long QEMU may take to end after its monitor closed before that counts as lost. */
#define VK_QEMU_MONITOR_LOST_USEC (1000ULL * 1000)

typedef struct VkQemuProcessOptions {
        const char *run_dir; /* status files and private dirs */
        const char *log_dir; /* <name>.log */
        const VkQemuCaps *caps;
        const VkQemuConfig *cfg;
        bool paused;           /* leave the vCPUs stopped (no "cont") */
        uint64_t timeout_usec; /* exec → QMP ready; 0: 30 s */
        /* The domain's master key (32 bytes, written to <private>/master-key.aes) and the
         * secrets encrypted with it; NULL: a fresh key, no secrets. */
        const uint8_t *master_key;
        const VkQemuArgvSecret *secrets;
        size_t n_secrets;
        /* The <disk type='volume'> paths storaged gave (qemu-volumes.c); NULL: none. */
        const VkQemuArgvVolume *volumes;
        size_t n_volumes;
        VkSecurityManager *security; /* the stack labelling and confining QEMU; NULL: none */
        /* Put QEMU in a cgroup of its own with the device ACL, named after this machine
         * prefix (qemu-cgroup.c), asking systemd through @scopes; NULL: QEMU stays in the
         * daemon's cgroup. */
        const char *machine_prefix;
        /* the driver's reserved ports, where autoport graphics get theirs (a reference is
         * kept until the process is gone); required */
        VkQemuPorts *ports;
        VkScopeManager *scopes;
        /* per <interface> (index in live->nets): networkd's port for type='network', zeroed
         * for the other types; the process owns these ports from the call on (it deletes them
         * when QEMU is gone or the start fails). NULL: no type='network' interface. */
        const VkQemuNetPlug *plugs;
        size_t n_plugs;
        const char *networkd_socket; /* where the ports get deleted */
        /* swtpm's state (<dir>/<uuid>/tpm2) and logs; required for an emulated TPM */
        const char *swtpm_lib_dir;
        const char *swtpm_log_dir;
} VkQemuProcessOptions;

/* A tap and/or a networkd port of one interface, removed when QEMU is gone. */
typedef struct VkQemuProcessNet {
        char *tap; /* NULL: none made (yet) */
        int ifindex;
        bool macvtap; /* a macvtap link (outlives QEMU: always deleted), /dev/tap<ifindex> */
        char *port;   /* networkd's port UUID; NULL: none */
} VkQemuProcessNet;

/* What the driver reads; the process owns every pointer. */
struct VkQemuProcess {
        sd_event *event;
        char *name;
        int id;
        char *private_dir;
        char *monitor_path;
        char *status_path;
        char *log_path;
        char *binary;
        pid_t pid;
        unsigned long long pid_start_time; /* /proc/PID/stat field 22 */
        int64_t start_time_usec;           /* CLOCK_REALTIME */
        bool reconnected;                  /* adopted from an earlier daemon instance */
        bool started;                      /* the started callback reported success */
        bool exited;
        bool paused_at_start; /* reconnect: QEMU said it was paused */
        bool kill_sent;       /* we sent SIGTERM/SIGKILL */
        bool starting;        /* the status file says "starting" (qemu-process-recover.c) */
        int exit_code;        /* CLD_* when known (our own child), else 0 */
        int exit_status;
        VkQmpClient *qmp;      /* NULL before the handshake and after EOF */
        int ports[3];          /* graphics ports we picked for autoport (0: none) */
        VkQemuPorts *port_set; /* where they are reserved; NULL after a reconnect */

        /* private */
        VkQemuProcessCallbacks cb;
        void *userdata;
        bool paused;
        bool reboot_shutdown; /* on_reboot=destroy: set-action reboot=shutdown before "cont" */
        unsigned n_ref;
        unsigned connect_attempts;
        uint64_t deadline_usec;
        VkPidfdWatch *watch;
        sd_event_source *connect_timer;
        sd_event_source *timeout_timer;
        sd_event_source *kill_timer;
        sd_event_source *monitor_timer; /* the monitor closed: does QEMU end? */
        sd_event_source *defer;
        off_t log_offset;
        VkError error;                   /* why the start failed, reported once QEMU is gone */
        char *live_xml;                  /* for the status file */
        char *status_text;               /* what the status file holds (written or read) */
        JsonNode *disk_nodes;            /* the status file's "diskNodes"; NULL: none */
        VkSecurityManager *security;     /* a reference; NULL: no stack */
        VkSecurityState *security_state; /* labels applied; NULL once restored */
        VkUuid uuid;
        /* the start's stages (see qemu-process.c) */
        VkQemuCommand *cmd;
        VkSecurityExecParams exec_params;
        int log_fd;
        VkSecurityOp *aa_op;       /* the profile load in progress */
        char *machine_prefix;      /* NULL: no cgroup of its own */
        VkScopeManager *scopes;    /* a reference, with machine_prefix */
        VkSecurityDeviceRule *acl; /* its device ACL */
        size_t n_acl;
        VkQemuCgroup *cgroup;  /* the placement in progress */
        int go_fd;             /* virtkit-qemu-exec waits on it until placed */
        char *cgroup_via;      /* how its cgroup was made; NULL: none */
        char *cgroup_name;     /* the scope, or the cgroup we made */
        int lock_fd;           /* the domain's lock until QEMU holds it (qemu-process-recover.c) */
        char *nvram_created;   /* the NVRAM this start made: removed if it fails */
        GPtrArray *nets;       /* VkQemuProcessNet: taps and ports (qemu-process-net.c) */
        char *networkd_socket; /* where its ports are deleted */
        int *tap_fds;          /* until QEMU has them */
        int *tap_targets;      /* the fd numbers QEMU sees */
        int *vhost_fds;        /* per tap: /dev/vhost-net, or -1 */
        int *vhost_targets;    /* the fd numbers QEMU sees, or -1 */
        size_t n_tap_fds;
        GPtrArray *helpers;       /* virtiofsds, swtpm: ProcessHelper (qemu-process-helper.c) */
        struct ProcessTune *tune; /* <cputune> to apply (qemu-process-tune.c); NULL: none */
        /* the TPM manufacture in progress (qemu-process-swtpm.c) */
        VkChild *swtpm_setup;
        char **swtpm_setup_argv;
        VkQemuSwtpmUser swtpm_user;
        char *swtpm_state_dir;     /* a new TPM's state: swtpm_setup must manufacture it */
        char *swtpm_state_created; /* the storage this start made: removed if it fails */
        char *swtpm_log;
};

int vk_qemu_process_start(sd_event *e, VkDomainDef *live, const VkQemuProcessOptions *opts,
                          const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                          VkError *reterr);
int vk_qemu_process_reconnect(sd_event *e, const char *status_path, VkSecurityManager *security,
                              const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                              VkDomainDef **ret_live, VkError *reterr);
void vk_qemu_process_cleanup_status(sd_event *e, const char *status_path,
                                    VkSecurityManager *security);
VkQemuProcess *vk_qemu_process_free(VkQemuProcess *p);
int vk_qemu_process_terminate(VkQemuProcess *p, bool graceful, uint64_t grace_usec);
int vk_qemu_process_write_status(VkQemuProcess *p, const VkDomainDef *live, const char *state,
                                 const char *reason, VkError *reterr);
int vk_qemu_process_cpu_time(const VkQemuProcess *p, uint64_t *ret_nsec);
int vk_qemu_process_read_pid_start_time(pid_t pid, unsigned long long *ret);
char *vk_qemu_process_private_dir(const char *run_dir, int id, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuProcess, vk_qemu_process_free)
