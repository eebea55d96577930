/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* child.h: child processes on the event loop (spawn, capture, timeout, pidfd watch) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"

typedef struct VkChild VkChild;
typedef struct VkPidfdWatch VkPidfdWatch;

typedef enum VkChildFlags {
        VK_CHILD_CAPTURE_STDOUT = 1 << 0,  /* read stdout through a pipe (bounded) */
        VK_CHILD_CAPTURE_STDERR = 1 << 1,  /* read stderr through a pipe (bounded) */
        VK_CHILD_STDOUT_TO_FD = 1 << 2,    /* stdout goes to opts->stdout_fd */
        VK_CHILD_STDERR_TO_FD = 1 << 3,    /* stderr goes to opts->stderr_fd */
        VK_CHILD_NEW_SESSION = 1 << 4,     /* setsid() in the child */
        VK_CHILD_SET_CREDENTIALS = 1 << 5, /* switch to opts->uid/gid/groups */
        /* the child outlives us; without it, it gets SIGKILL when we die (PR_SET_PDEATHSIG):
         * only what serves guests (the QEMU of a VM, the dnsmasq of a network), which a daemon
         * crash must never stop, sets this */
        VK_CHILD_OUTLIVE_PARENT = 1 << 6,
        VK_CHILD_STDIN_FROM_FD = 1 << 7, /* stdin is opts->stdin_fd (a stream to consume) */
} VkChildFlags;

/* One fd handed to the child: @fd in the parent becomes @target in the child. */
typedef struct VkChildFd {
        int fd;
        int target;
} VkChildFd;

/*
 * Everything about a child is explicit: there is no pre-exec hook because the child shares
 * our memory until it calls execve() (vfork semantics). All-zero options are valid: stdio on
 * /dev/null, empty environment, no fds, no timeout.
 */
typedef struct VkChildOptions {
        VkChildFlags flags;
        const char *const *env; /* NULL-terminated "KEY=value" list; NULL = empty env */
        const VkChildFd *fds;   /* extra fds, targets must be >= 3 and distinct */
        size_t n_fds;
        int stdin_fd;  /* with VK_CHILD_STDIN_FROM_FD */
        int stdout_fd; /* with VK_CHILD_STDOUT_TO_FD, e.g. a log file */
        int stderr_fd; /* with VK_CHILD_STDERR_TO_FD */
        const char *working_directory;
        uid_t uid; /* with VK_CHILD_SET_CREDENTIALS */
        gid_t gid;
        const gid_t *groups; /* supplementary groups, may be NULL with n_groups 0 */
        size_t n_groups;
        size_t capture_max;       /* bytes kept per captured stream; 0 = 1 MiB */
        uint64_t timeout_usec;    /* 0 = none; then SIGTERM, SIGKILL after the grace */
        uint64_t kill_grace_usec; /* 0 = 5 s */
} VkChildOptions;

typedef enum VkChildStream {
        VK_CHILD_STDOUT,
        VK_CHILD_STDERR,
        _VK_CHILD_STREAM_MAX,
        _VK_CHILD_STREAM_INVALID = -EINVAL,
} VkChildStream;

/* How a child ended. */
typedef struct VkChildExit {
        int code;       /* CLD_EXITED, CLD_KILLED or CLD_DUMPED */
        int status;     /* exit status (CLD_EXITED) or signal number */
        bool timed_out; /* our timeout killed it */
} VkChildExit;

typedef void (*VkChildFunc)(VkChild *child, const VkChildExit *exit, void *userdata);
typedef void (*VkPidfdWatchFunc)(VkPidfdWatch *watch, const VkChildExit *exit_or_null,
                                 void *userdata);

#define VK_CHILD_CAPTURE_MAX_DEFAULT (1024U * 1024U)
#define VK_CHILD_KILL_GRACE_DEFAULT  (5U * 1000U * 1000U)

int vk_child_spawn(sd_event *e, const char *const *argv, const VkChildOptions *opts,
                   VkChildFunc callback, void *userdata, VkChild **ret, VkError *reterr);
VkChild *vk_child_free(VkChild *child);
int vk_child_kill(VkChild *child, int sig);
int vk_child_detach(VkChild *child);
pid_t vk_child_get_pid(const VkChild *child);
int vk_child_get_pidfd(const VkChild *child);
bool vk_child_is_running(const VkChild *child);
const char *vk_child_get_output(const VkChild *child, VkChildStream stream, size_t *ret_size);
bool vk_child_output_truncated(const VkChild *child, VkChildStream stream);

int vk_pidfd_watch(sd_event *e, pid_t pid, VkPidfdWatchFunc callback, void *userdata,
                   VkPidfdWatch **ret, VkError *reterr);
int vk_pidfd_watch_fd(sd_event *e, int pidfd, VkPidfdWatchFunc callback, void *userdata,
                      VkPidfdWatch **ret, VkError *reterr);
pid_t vk_pidfd_watch_get_pid(const VkPidfdWatch *watch);
VkPidfdWatch *vk_pidfd_watch_free(VkPidfdWatch *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkChild, vk_child_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkPidfdWatch, vk_pidfd_watch_free)
