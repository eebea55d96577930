/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* child.c: child processes on the event loop (spawn, capture, timeout, pidfd watch) */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"

/*
 * Spawning: clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on a small private stack, like glibc's
 * posix_spawn(), so a daemon with a large heap does not pay for copying its page tables. The
 * child shares our memory until execve(): it only makes raw system calls on data prepared
 * here, and reports a failure through SpawnArgs (we are suspended until it execs or exits).
 * posix_spawn() itself cannot switch to another uid/gid/groups, hence our own clone.
 */

#define CHILD_STACK_SIZE (64U * 1024U)

/* Priorities: output is read before the exit is dispatched (STYLE.md section 6). */
#define CHILD_PRIORITY_OUTPUT (SD_EVENT_PRIORITY_NORMAL)
#define CHILD_PRIORITY_EXIT   (SD_EVENT_PRIORITY_NORMAL + 1)

typedef struct SpawnFd {
        int src;
        int target;
        int tmp;
} SpawnFd;

typedef struct SpawnArgs {
        const char *path;
        char *const *argv;
        char *const *envp;
        SpawnFd *fds;
        size_t n_fds;
        int max_target;
        const char *cwd;
        bool setsid;
        bool set_creds;
        bool die_with_parent;
        pid_t parent;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        /* written by the child on failure */
        int err;
        const char *stage;
} SpawnArgs;

typedef struct ChildPipe {
        int fd;
        sd_event_source *source;
        GByteArray *data;
        bool truncated;
} ChildPipe;

struct VkChild {
        unsigned n_ref;
        sd_event *event;
        pid_t pid;
        int pidfd;
        sd_event_source *exit_source;
        sd_event_source *timer_source;
        ChildPipe pipes[_VK_CHILD_STREAM_MAX];
        size_t capture_max;
        uint64_t kill_grace_usec;
        bool exited;
        bool timed_out;
        bool detached;
        VkChildFunc callback;
        void *userdata;
};

struct VkPidfdWatch {
        unsigned n_ref;
        pid_t pid;
        int pidfd;
        sd_event_source *source;
        VkPidfdWatchFunc callback;
        void *userdata;
};

__attribute__((no_sanitize("address", "undefined"))) static int child_main(void *p) {
        SpawnArgs *a = p;
        sigset_t empty;

        /* Dispositions back to default: SIGPIPE ignored by a daemon must not leak into QEMU. */
        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa = { .sa_handler = SIG_DFL };
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                (void) sigaction(sig, &sa, NULL);
        }

        if (a->setsid && setsid() < 0) {
                a->stage = "setsid";
                goto fail;
        }

        /* Raw system calls: glibc's set*id wrappers would signal our parent's threads. */
        if (a->set_creds) {
                if (syscall(SYS_setgroups, a->n_groups, a->groups) < 0) {
                        a->stage = "setgroups";
                        goto fail;
                }
                if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0) {
                        a->stage = "setresgid";
                        goto fail;
                }
                if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0) {
                        a->stage = "setresuid";
                        goto fail;
                }
        }

        /*
         * After the credential switch, which clears the parent-death signal. If the parent died
         * before prctl() took effect, no signal comes: the parent pid we see tells.
         */
        if (a->die_with_parent) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
                        a->stage = "prctl(PR_SET_PDEATHSIG)";
                        goto fail;
                }
                if (getppid() != a->parent)
                        _exit(127);
        }

        if (a->cwd && chdir(a->cwd) < 0) {
                a->stage = "chdir";
                goto fail;
        }

        /* Move every source above all targets first, so no dup2() clobbers a later source. */
        for (size_t i = 0; i < a->n_fds; i++) {
                a->fds[i].tmp = fcntl(a->fds[i].src, F_DUPFD_CLOEXEC, a->max_target + 1);
                if (a->fds[i].tmp < 0) {
                        a->stage = "fcntl(F_DUPFD_CLOEXEC)";
                        goto fail;
                }
        }

        /* Only the listed fds survive execve(), even if someone forgot O_CLOEXEC. */
        (void) close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

        for (size_t i = 0; i < a->n_fds; i++)
                if (dup2(a->fds[i].tmp, a->fds[i].target) < 0) {
                        a->stage = "dup2";
                        goto fail;
                }

        sigemptyset(&empty);
        (void) sigprocmask(SIG_SETMASK, &empty, NULL);

        execve(a->path, a->argv, a->envp);
        a->stage = "execve";
fail:
        a->err = errno;
        _exit(127);
}

static int spawn_clone(SpawnArgs *a, pid_t *ret_pid, int *ret_pidfd) {
        sigset_t all, old;
        void *stack;
        int pidfd = -1;
        pid_t pid;

        stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return -errno;

        /* No signal handler may run in the child while it shares our memory. */
        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &old);

        pid = clone(child_main, (char *) stack + CHILD_STACK_SIZE,
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, a, &pidfd);
        int saved = errno;

        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void) munmap(stack, CHILD_STACK_SIZE);

        if (pid < 0)
                return -saved;

        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

static VkChild *child_ref(VkChild *c) {
        c->n_ref++;
        return c;
}

static void child_pipe_close(ChildPipe *p) {
        p->source = sd_event_source_disable_unref(p->source);
        vk_close_fdp(&p->fd);
        p->fd = -1;
}

static void child_disconnect(VkChild *c);

static VkChild *child_unref(VkChild *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;

        child_disconnect(c);
        for (int i = 0; i < _VK_CHILD_STREAM_MAX; i++)
                if (c->pipes[i].data)
                        g_byte_array_unref(c->pipes[i].data);
        sd_event_unref(c->event);
        g_free(c);
        return NULL;
}

/* Read what is in the pipe now; returns 1 at EOF, 0 when drained for the moment. */
static int child_pipe_read(VkChild *c, ChildPipe *p) {
        char buf[16384];

        for (;;) {
                ssize_t n = read(p->fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return 1; /* treat read errors as EOF: nothing more to get */
                }
                if (n == 0)
                        return 1;

                size_t room = c->capture_max - MIN(c->capture_max, p->data->len);
                if ((size_t) n > room)
                        p->truncated = true;
                if (room > 0)
                        g_byte_array_append(p->data, (const guint8 *) buf, MIN((size_t) n, room));
        }
}

static int child_on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VkChild *c = userdata;

        for (int i = 0; i < _VK_CHILD_STREAM_MAX; i++) {
                ChildPipe *p = &c->pipes[i];
                if (p->source != s)
                        continue;
                if (child_pipe_read(c, p) > 0)
                        child_pipe_close(p);
                break;
        }
        return 0;
}

static bool child_si_exited(const siginfo_t *si) {
        return si->si_code == CLD_EXITED || si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED;
}

static void child_dispatch_exit(VkChild *c, const siginfo_t *si) {
        VkChildExit ex = {
                .code = si->si_code,
                .status = si->si_status,
                .timed_out = c->timed_out,
        };
        VkChildFunc cb = c->callback;

        c->exited = true;
        c->timer_source = sd_event_source_disable_unref(c->timer_source);

        /* Whatever the child wrote before it died is in the pipes now: take it all. */
        for (int i = 0; i < _VK_CHILD_STREAM_MAX; i++)
                if (c->pipes[i].fd >= 0) {
                        (void) child_pipe_read(c, &c->pipes[i]);
                        child_pipe_close(&c->pipes[i]);
                }

        c->callback = NULL;
        child_ref(c);
        if (cb)
                cb(c, &ex, c->userdata);
        child_unref(c);
}

static int child_on_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        VkChild *c = userdata;

        if (!child_si_exited(si))
                return 0;
        vk_log_debug("Child %d ended: code=%d status=%d", c->pid, si->si_code, si->si_status);
        child_dispatch_exit(c, si);
        return 0;
}

static int child_on_kill_grace(sd_event_source *s, uint64_t usec, void *userdata) {
        VkChild *c = userdata;

        (void) pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        return 0;
}

static int child_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VkChild *c = userdata;
        int r;

        c->timed_out = true;
        (void) pidfd_send_signal(c->pidfd, SIGTERM, NULL, 0);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);

        r = sd_event_add_time_relative(c->event, &c->timer_source, CLOCK_MONOTONIC,
                                       c->kill_grace_usec, 0, child_on_kill_grace, c);
        if (r < 0)
                (void) pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
        return 0;
}

/* The reaper of a child killed by vk_child_free(): a floating source owned by the loop. */
static int child_on_reaped(sd_event_source *s, const siginfo_t *si, void *userdata) {
        if (child_si_exited(si))
                (void) sd_event_source_unref(s);
        return 0;
}

/* Drop the process side: kill (unless detached or exited) and hand the zombie to a reaper. */
static void child_disconnect(VkChild *c) {
        sd_event_source *reaper = NULL;
        int r;

        c->callback = NULL;
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        for (int i = 0; i < _VK_CHILD_STREAM_MAX; i++)
                child_pipe_close(&c->pipes[i]);

        if (!c->exit_source) {
                vk_close_fdp(&c->pidfd);
                c->pidfd = -1;
                return;
        }

        c->exit_source = sd_event_source_disable_unref(c->exit_source);
        if (c->exited || c->detached) {
                vk_close_fdp(&c->pidfd);
                c->pidfd = -1;
                return;
        }

        (void) pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
        r = sd_event_add_child_pidfd(c->event, &reaper, c->pidfd, WEXITED, child_on_reaped, NULL);
        if (r < 0) {
                /* Cannot happen short of ENOMEM; a zombie beats blocking the loop. */
                vk_log_debug_errno(r, "Failed to watch killed child %d, ignoring: %m", c->pid);
                vk_close_fdp(&c->pidfd);
                c->pidfd = -1;
                return;
        }
        /* The loop owns the reaper and the reaper owns the pidfd. */
        (void) sd_event_source_set_child_pidfd_own(reaper, true);
        (void) sd_event_source_set_floating(reaper, true);
        (void) sd_event_source_unref(reaper);
        c->pidfd = -1;
}

static int child_pipe_open(VkChild *c, VkChildStream stream, int *ret_write_end, VkError *reterr) {
        ChildPipe *p = &c->pipes[stream];
        int fds[2];
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create pipe");
        p->fd = fds[0];
        if (fcntl(p->fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                vk_close_fdp(&fds[1]);
                return vk_error_set_errno(reterr, r, "Failed to make pipe non-blocking");
        }
        p->data = g_byte_array_new();

        r = sd_event_add_io(c->event, &p->source, p->fd, EPOLLIN, child_on_output, c);
        if (r < 0) {
                vk_close_fdp(&fds[1]);
                return vk_error_set_errno(reterr, r, "Failed to watch child output");
        }
        (void) sd_event_source_set_priority(p->source, CHILD_PRIORITY_OUTPUT);
        (void) sd_event_source_set_description(
                p->source, stream == VK_CHILD_STDOUT ? "child-stdout" : "child-stderr");
        *ret_write_end = fds[1];
        return 0;
}

static int sigchld_blocked(void) {
        sigset_t ss;

        if (pthread_sigmask(SIG_SETMASK, NULL, &ss) != 0)
                return -EIO;
        return sigismember(&ss, SIGCHLD);
}

/*
 * Start @argv (argv[0] an absolute path, or a name looked up in PATH) as a child watched by
 * @e. The child gets stdin on /dev/null or a given fd (FROM_FD), stdout/stderr on /dev/null,
 * a pipe (CAPTURE) or a given fd (TO_FD), the fds in @opts->fds at their targets and nothing else,
 * the environment
 * @opts->env only, and optionally new credentials, a working directory and a new session.
 * @opts may be NULL.
 *
 * SIGCHLD must be blocked in every thread (sd-event's requirement for child sources): the
 * call fails with -EBUSY otherwise. Must run on the loop's thread.
 *
 * On success *@ret owns the child: @callback runs once, from the loop, after all captured
 * output was read; freeing the child before that kills it (see vk_child_free()). The
 * callback may free the child. Fails with -errno and @reterr set when the process could not
 * be started (including exec failure, e.g. -ENOENT); @callback is then never called.
 */
int vk_child_spawn(sd_event *e, const char *const *argv, const VkChildOptions *opts,
                   VkChildFunc callback, void *userdata, VkChild **ret, VkError *reterr) {
        static const VkChildOptions no_opts = { 0 };
        g_autoptr(VkChild) c = NULL;
        g_autofree char *path = NULL;
        g_autofree SpawnFd *fds = NULL;
        vk_autofd devnull = -1;
        vk_autofd out_w = -1;
        vk_autofd err_w = -1;
        const char *const empty_env[] = { NULL };
        SpawnArgs a = {};
        int r;

        assert(e);
        assert(argv && argv[0]);
        assert(ret);

        if (!opts)
                opts = &no_opts;

        r = sigchld_blocked();
        if (r <= 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBUSY,
                                    "SIGCHLD must be blocked to watch child processes");

        if (strchr(argv[0], '/'))
                path = g_strdup(argv[0]);
        else {
                path = g_find_program_in_path(argv[0]);
                if (!path)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                            "Program '%s' not found", argv[0]);
        }

        c = g_new0(VkChild, 1);
        c->n_ref = 1;
        c->event = sd_event_ref(e);
        c->pidfd = -1;
        c->pipes[VK_CHILD_STDOUT].fd = -1;
        c->pipes[VK_CHILD_STDERR].fd = -1;
        c->capture_max = opts->capture_max > 0 ? opts->capture_max : VK_CHILD_CAPTURE_MAX_DEFAULT;
        c->kill_grace_usec =
                opts->kill_grace_usec > 0 ? opts->kill_grace_usec : VK_CHILD_KILL_GRACE_DEFAULT;

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (devnull < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open /dev/null");

        if (opts->flags & VK_CHILD_CAPTURE_STDOUT) {
                r = child_pipe_open(c, VK_CHILD_STDOUT, &out_w, reterr);
                if (r < 0)
                        return r;
        }
        if (opts->flags & VK_CHILD_CAPTURE_STDERR) {
                r = child_pipe_open(c, VK_CHILD_STDERR, &err_w, reterr);
                if (r < 0)
                        return r;
        }

        fds = g_new0(SpawnFd, 3 + opts->n_fds);
        fds[0] = (SpawnFd){ (opts->flags & VK_CHILD_STDIN_FROM_FD) ? opts->stdin_fd : devnull, 0,
                            -1 };
        fds[1] = (SpawnFd){ out_w >= 0                              ? out_w
                            : (opts->flags & VK_CHILD_STDOUT_TO_FD) ? opts->stdout_fd
                                                                    : devnull,
                            1, -1 };
        fds[2] = (SpawnFd){ err_w >= 0                              ? err_w
                            : (opts->flags & VK_CHILD_STDERR_TO_FD) ? opts->stderr_fd
                                                                    : devnull,
                            2, -1 };
        a.max_target = 2;
        for (size_t i = 0; i < opts->n_fds; i++) {
                const VkChildFd *f = &opts->fds[i];
                if (f->fd < 0 || f->target < 3)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "Invalid fd mapping %d -> %d", f->fd, f->target);
                for (size_t j = 0; j < i; j++)
                        if (opts->fds[j].target == f->target)
                                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                    "Target fd %d given twice", f->target);
                fds[3 + i] = (SpawnFd){ f->fd, f->target, -1 };
                a.max_target = MAX(a.max_target, f->target);
        }
        if (fds[0].src < 0 || fds[1].src < 0 || fds[2].src < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADF,
                                    "Invalid stdin/stdout/stderr fd");

        a.path = path;
        a.argv = (char *const *) argv;
        a.envp = (char *const *) (opts->env ? opts->env : empty_env);
        a.fds = fds;
        a.n_fds = 3 + opts->n_fds;
        a.cwd = opts->working_directory;
        a.setsid = opts->flags & VK_CHILD_NEW_SESSION;
        a.set_creds = opts->flags & VK_CHILD_SET_CREDENTIALS;
        a.die_with_parent = !(opts->flags & VK_CHILD_OUTLIVE_PARENT);
        a.parent = getpid();
        a.uid = opts->uid;
        a.gid = opts->gid;
        a.groups = opts->groups;
        a.n_groups = opts->n_groups;

        r = spawn_clone(&a, &c->pid, &c->pidfd);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to start '%s'", path);
        if (a.err != 0) {
                siginfo_t si;
                /* It already called _exit(): this wait is immediate. */
                (void) waitid(P_PIDFD, c->pidfd, &si, WEXITED);
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -a.err,
                                    "Failed to start '%s': %s: %s", path, a.stage,
                                    g_strerror(a.err));
        }

        r = sd_event_add_child_pidfd(e, &c->exit_source, c->pidfd, WEXITED, child_on_exit, c);
        if (r < 0) {
                (void) pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
                siginfo_t si;
                (void) waitid(P_PIDFD, c->pidfd, &si, WEXITED);
                return vk_error_set_errno(reterr, r, "Failed to watch child '%s'", path);
        }
        (void) sd_event_source_set_priority(c->exit_source, CHILD_PRIORITY_EXIT);
        (void) sd_event_source_set_description(c->exit_source, "child-exit");

        if (opts->timeout_usec > 0) {
                r = sd_event_add_time_relative(e, &c->timer_source, CLOCK_MONOTONIC,
                                               opts->timeout_usec, 0, child_on_timeout, c);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to arm child timeout");
        }

        vk_log_debug("Started '%s' as %d", path, c->pid);
        c->callback = callback;
        c->userdata = userdata;
        *ret = g_steal_pointer(&c);
        return 0;
}

/*
 * Free @child (NULL is fine); returns NULL. A child still running is sent SIGKILL and reaped
 * later by the loop, without blocking; unless vk_child_detach() was called, then it keeps
 * running. The callback is not called after this. May be called from the callback.
 */
VkChild *vk_child_free(VkChild *child) {
        if (!child)
                return NULL;
        child_disconnect(child);
        return child_unref(child);
}

/*
 * Send @sig to the child through its pidfd (no pid reuse race). Returns 0, -ESRCH when it
 * has already been reaped, or another -errno.
 */
int vk_child_kill(VkChild *child, int sig) {
        assert(child);
        if (child->pidfd < 0 || child->exited)
                return -ESRCH;
        if (pidfd_send_signal(child->pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

/*
 * Let the process outlive @child: a later vk_child_free() neither kills nor reaps it. Use
 * vk_pidfd_watch() to learn when it ends (it also reaps it while it is still our child).
 * Returns 0, or -ESRCH when the process has already ended.
 */
int vk_child_detach(VkChild *child) {
        assert(child);
        if (child->exited)
                return -ESRCH;
        child->detached = true;
        return 0;
}

pid_t vk_child_get_pid(const VkChild *child) {
        assert(child);
        return child->pid;
}

/* The child's pidfd, owned by @child; -1 once it has been reaped or freed. */
int vk_child_get_pidfd(const VkChild *child) {
        assert(child);
        return child->exited ? -1 : child->pidfd;
}

bool vk_child_is_running(const VkChild *child) {
        return child && !child->exited && child->exit_source;
}

/*
 * Captured output of @stream, NUL-terminated, owned by @child (valid until it is freed);
 * NULL when the stream was not captured. *@ret_size (may be NULL) gets the length.
 */
const char *vk_child_get_output(const VkChild *child, VkChildStream stream, size_t *ret_size) {
        GByteArray *d;

        assert(child);
        assert(stream >= 0 && stream < _VK_CHILD_STREAM_MAX);
        d = child->pipes[stream].data;
        if (!d)
                return NULL;
        /* Keep a NUL after the data without counting it. */
        g_byte_array_append(d, (const guint8 *) "", 1);
        g_byte_array_set_size(d, d->len - 1);
        if (ret_size)
                *ret_size = d->len;
        return (const char *) d->data;
}

/* Whether @stream produced more than the capture limit (the rest was read and dropped). */
bool vk_child_output_truncated(const VkChild *child, VkChildStream stream) {
        assert(child);
        assert(stream >= 0 && stream < _VK_CHILD_STREAM_MAX);
        return child->pipes[stream].truncated;
}

/* ---- watching a process that may not be our child ---- */

static VkPidfdWatch *pidfd_watch_unref(VkPidfdWatch *w) {
        if (!w)
                return NULL;
        assert(w->n_ref > 0);
        if (--w->n_ref > 0)
                return NULL;
        w->source = sd_event_source_disable_unref(w->source);
        vk_close_fdp(&w->pidfd);
        g_free(w);
        return NULL;
}

static int pidfd_watch_on_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VkPidfdWatch *w = userdata;
        VkPidfdWatchFunc cb = w->callback;
        VkChildExit ex = {};
        siginfo_t si = {};
        bool known = false;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);

        /* Our own child (e.g. a detached one): reap it and report how it ended. */
        if (waitid(P_PIDFD, w->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0) {
                ex.code = si.si_code;
                ex.status = si.si_status;
                known = true;
        }

        w->callback = NULL;
        w->n_ref++; /* the callback may free the watch */
        if (cb)
                cb(w, known ? &ex : NULL, w->userdata);
        (void) pidfd_watch_unref(w);
        return 0;
}

/*
 * Watch an existing process through its pidfd @pidfd (ownership moves to the watch, also on
 * failure). @callback runs once from the loop when the process ends, with its exit status
 * when it was our child (it is reaped then) or NULL when it was not. No waitpid(), no
 * SIGCHLD needed. Must run on the loop's thread.
 */
int vk_pidfd_watch_fd(sd_event *e, int pidfd, VkPidfdWatchFunc callback, void *userdata,
                      VkPidfdWatch **ret, VkError *reterr) {
        g_autoptr(VkPidfdWatch) w = NULL;
        int r;

        assert(e);
        assert(pidfd >= 0);
        assert(ret);

        w = g_new0(VkPidfdWatch, 1);
        w->n_ref = 1;
        w->pidfd = pidfd;
        w->pid = -1;

        {
                g_autofree char *p = g_strdup_printf("/proc/self/fdinfo/%d", pidfd);
                g_autofree char *text = NULL;
                if (g_file_get_contents(p, &text, NULL, NULL)) {
                        const char *l = strstr(text, "Pid:\t");
                        if (l)
                                w->pid = (pid_t) strtol(l + 5, NULL, 10);
                }
        }

        r = sd_event_add_io(e, &w->source, pidfd, EPOLLIN, pidfd_watch_on_ready, w);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to watch pidfd");
        (void) sd_event_source_set_description(w->source, "pidfd-watch");

        w->callback = callback;
        w->userdata = userdata;
        *ret = g_steal_pointer(&w);
        return 0;
}

/*
 * Watch process @pid (e.g. a QEMU left by an earlier daemon instance, now a child of PID 1)
 * by opening a pidfd for it. Fails with -ESRCH when there is no such process. See
 * vk_pidfd_watch_fd() for the callback.
 */
int vk_pidfd_watch(sd_event *e, pid_t pid, VkPidfdWatchFunc callback, void *userdata,
                   VkPidfdWatch **ret, VkError *reterr) {
        VkPidfdWatch *w = NULL;
        int fd;
        int r;

        assert(pid > 0);

        fd = pidfd_open(pid, 0);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open pidfd for %d", pid);
        r = vk_pidfd_watch_fd(e, fd, callback, userdata, &w, reterr);
        if (r < 0)
                return r;
        w->pid = pid;
        *ret = w;
        return 0;
}

pid_t vk_pidfd_watch_get_pid(const VkPidfdWatch *watch) {
        assert(watch);
        return watch->pid;
}

/* Stop watching and free (NULL is fine); the callback is not called after this. */
VkPidfdWatch *vk_pidfd_watch_free(VkPidfdWatch *watch) {
        if (!watch)
                return NULL;
        watch->callback = NULL;
        watch->source = sd_event_source_disable_unref(watch->source);
        return pidfd_watch_unref(watch);
}
