/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-caps-probe.c: ask an emulator for its capabilities: QEMU started with -S -nodefaults
 * and machine "none", QMP over a socketpair handed to it as fd 3 (no socket path, no connect
 * retry), every question of qemu_caps_probe_commands[] written at once after the handshake
 * (QMP answers in order), then "quit".
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "macro.h"
#include "qemu-caps-internal.h"
#include "qemu-qmp.h"
#include "sd-glue.h"

#define CAPS_PROBE_TIMEOUT_USEC (30U * 1000U * 1000U)
#define CAPS_QMP_FD             3

struct VkQemuCapsProbe {
        sd_event *event;
        char *binary;
        struct stat st;
        bool dev_kvm;
        VkChild *child;
        VkQmpClient *qmp;
        GHashTable *replies;
        GPtrArray *requests; /* ProbeRequest, one per command, freed with the probe */
        unsigned n_pending;
        bool second_round; /* the CPU model expansions were asked */
        bool replies_done; /* all answers in, "quit" sent */
        bool child_exited; /* or there is no child */
        bool completing;
        sd_event_source *defer;
        VkError error;
        VkQemuCapsProbeFunc callback;
        void *userdata;
};

typedef struct ProbeRequest {
        VkQemuCapsProbe *probe;
        char *key;
} ProbeRequest;

static void probe_request_free(ProbeRequest *req) {
        g_free(req->key);
        g_free(req);
}

/* Finish once the replies are in and the child is gone, or at the first error. */
static int probe_on_defer(sd_event_source *s, void *userdata) {
        VkQemuCapsProbe *probe = userdata;
        g_autoptr(VkQemuCaps) caps = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuCapsProbeFunc cb = probe->callback;

        probe->defer = sd_event_source_disable_unref(probe->defer);
        if (!vk_error_is_set(&probe->error))
                (void) qemu_caps_build(probe->replies, probe->binary, &probe->st, probe->dev_kvm,
                                       &caps, &probe->error);
        vk_error_move(&err, &probe->error);

        /* The callback may free the probe: nothing of it is touched afterwards. */
        probe->callback = NULL;
        if (cb)
                cb(probe, caps, vk_error_is_set(&err) ? &err : NULL, probe->userdata);
        return 0;
}

static void probe_maybe_complete(VkQemuCapsProbe *probe) {
        bool failed = vk_error_is_set(&probe->error);

        if (probe->completing)
                return;
        /* on error, still wait for the child to learn its stderr unless it hangs */
        if (!failed && !(probe->replies_done && probe->child_exited))
                return;
        if (failed && !probe->child_exited)
                return;
        probe->completing = true;
        if (sd_event_add_defer(probe->event, &probe->defer, probe_on_defer, probe) < 0)
                (void) probe_on_defer(NULL, probe);
}

static void probe_fail(VkQemuCapsProbe *probe, const VkError *error) {
        if (!vk_error_is_set(&probe->error))
                (void) vk_error_set(&probe->error, error->name, error->error,
                                    "Probing '%s' failed: %s", probe->binary, error->message);
        /* without a child there is nothing to wait for; with one, make it go away */
        if (probe->child)
                (void) vk_child_kill(probe->child, SIGKILL);
        probe_maybe_complete(probe);
}

static int probe_send(VkQemuCapsProbe *probe, const char *command, JsonObject *args);

/* The expansions the host-model CPU is computed from, once the first answers are in. */
static int probe_send_second_round(VkQemuCapsProbe *probe) {
        g_autoptr(GPtrArray) reqs = qemu_caps_hostcpu_requests(probe->replies);

        probe->second_round = true;
        for (guint i = 0; i < reqs->len; i++)
                if (probe_send(probe, "query-cpu-model-expansion", reqs->pdata[i]) < 0)
                        return -ENOBUFS;
        return 0;
}

static void probe_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        ProbeRequest *req = userdata;
        VkQemuCapsProbe *probe = req->probe;

        /* a QMP error (e.g. DeviceNotFound) only means "not supported" */
        if (ret)
                g_hash_table_insert(probe->replies, g_strdup(req->key), json_node_copy(ret));
        else if (error && strcmp(error->name, VK_ERROR_QMP) != 0)
                return probe_fail(probe, error);

        if (--probe->n_pending == 0 && !probe->second_round) {
                if (probe_send_second_round(probe) < 0) {
                        g_auto(VkError) err = VK_ERROR_INIT;
                        (void) vk_error_set(&err, VK_ERROR_INTERNAL, -ENOBUFS,
                                            "Cannot queue QMP commands");
                        return probe_fail(probe, &err);
                }
        }
        if (probe->n_pending == 0) {
                probe->replies_done = true;
                /* we are done with QEMU: ask it to leave, do not wait for the answer */
                (void) vk_qmp_execute(probe->qmp, "quit", NULL, NULL, NULL, NULL, NULL);
                probe_maybe_complete(probe);
        }
}

static int probe_send(VkQemuCapsProbe *probe, const char *command, JsonObject *args) {
        ProbeRequest *req = g_new0(ProbeRequest, 1);
        int r;

        req->probe = probe;
        req->key = qemu_caps_replies_key(command, args);
        g_ptr_array_add(probe->requests, req);
        r = vk_qmp_execute(probe->qmp, command, args, probe_on_reply, req, NULL, NULL);
        if (r < 0)
                return r;
        probe->n_pending++;
        return 0;
}

static void probe_on_ready(VkQmpClient *qmp, void *userdata) {
        VkQemuCapsProbe *probe = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;

        for (size_t i = 0; i < qemu_caps_n_probe_commands; i++)
                if (probe_send(probe, qemu_caps_probe_commands[i], NULL) < 0)
                        goto fail;
        for (size_t i = 0; i < qemu_caps_n_probe_devices; i++) {
                g_autoptr(JsonObject) args = json_object_new();
                json_object_set_string_member(args, "typename", qemu_caps_probe_devices[i]);
                if (probe_send(probe, "device-list-properties", args) < 0)
                        goto fail;
        }
        return;
fail:
        (void) vk_error_set(&err, VK_ERROR_INTERNAL, -ENOBUFS, "Cannot queue QMP commands");
        probe_fail(probe, &err);
}

static void probe_on_disconnect(VkQmpClient *qmp, const VkError *error, void *userdata) {
        VkQemuCapsProbe *probe = userdata;

        /* after "quit" QEMU hangs up: that is the expected end */
        if (probe->replies_done)
                return;
        /* QEMU died (or never started): its exit status and stderr say more than EOF */
        if (probe->child && !probe->child_exited)
                return;
        probe_fail(probe, error);
}

static void probe_on_child_exit(VkChild *child, const VkChildExit *ex, void *userdata) {
        VkQemuCapsProbe *probe = userdata;

        probe->child_exited = true;
        if (!probe->replies_done && !vk_error_is_set(&probe->error)) {
                g_autofree char *msg = g_strstrip(
                        g_strdup(vk_strempty(vk_child_get_output(child, VK_CHILD_STDERR, NULL))));
                (void) vk_error_set(
                        &probe->error, VK_ERROR_OPERATION_FAILED, -EIO,
                        "Probing '%s' failed: QEMU %s %d%s%s%s", probe->binary,
                        ex->code == CLD_EXITED ? "exited with status" : "was killed by signal",
                        ex->status, ex->timed_out ? " (timeout)" : "", msg[0] ? ": " : "", msg);
        } else if (!probe->replies_done && vk_error_is_set(&probe->error)) {
                const char *msg = vk_child_get_output(child, VK_CHILD_STDERR, NULL);
                if (!vk_isempty(msg))
                        vk_error_add_param(&probe->error, "stderr", msg);
        }
        probe_maybe_complete(probe);
}

static const VkQmpCallbacks probe_qmp_callbacks = {
        .ready = probe_on_ready,
        .disconnect = probe_on_disconnect,
};

static VkQemuCapsProbe *probe_new(sd_event *e, const char *binary, VkQemuCapsProbeFunc callback,
                                  void *userdata) {
        VkQemuCapsProbe *probe = g_new0(VkQemuCapsProbe, 1);

        probe->event = sd_event_ref(e);
        probe->binary = g_strdup(binary);
        probe->replies = qemu_caps_replies_new();
        probe->requests = g_ptr_array_new_with_free_func((GDestroyNotify) probe_request_free);
        probe->callback = callback;
        probe->userdata = userdata;
        return probe;
}

/*
 * Run the probe conversation on @qmp_fd, a QMP socket of a QEMU that somebody else started
 * (ownership of the fd moves to the probe, also on failure). @binary and @st (may be NULL)
 * give the identity stored for the cache; KVM counts as usable when QEMU says so. Used by
 * tests replaying a recording and by callers that start QEMU themselves. See
 * vk_qemu_caps_probe_async() for the callback.
 */
int vk_qemu_caps_probe_fd(sd_event *e, int qmp_fd, const char *binary, const struct stat *st,
                          VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                          VkError *reterr) {
        g_autoptr(VkQemuCapsProbe) probe = NULL;
        int r;

        assert(e);
        assert(qmp_fd >= 0);
        assert(binary);
        assert(ret);

        probe = probe_new(e, binary, callback, userdata);
        if (st)
                probe->st = *st;
        probe->dev_kvm = true;
        r = vk_qmp_client_new_fd(e, qmp_fd, &probe_qmp_callbacks, probe, &probe->qmp, reterr);
        if (r < 0)
                return r;
        vk_qmp_client_set_timeout(probe->qmp, CAPS_PROBE_TIMEOUT_USEC);
        probe->child_exited = true; /* no child of ours */
        *ret = g_steal_pointer(&probe);
        return 0;
}

/*
 * Probe emulator @binary: start it (working directory @tmpdir, which must exist; QEMU
 * writes nothing there with these options), ask it over QMP, and build its capabilities.
 * @callback runs once, from the loop, with the caps (borrowed: vk_qemu_caps_ref() to keep)
 * or an error naming the binary and QEMU's stderr. Freeing the probe before that kills
 * QEMU and the callback is not called. The whole probe is bounded by a 30 s timeout.
 * Must run on the loop; SIGCHLD must be blocked (see vk_child_spawn()).
 */
int vk_qemu_caps_probe_async(sd_event *e, const char *binary, const char *tmpdir,
                             VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                             VkError *reterr) {
        g_autoptr(VkQemuCapsProbe) probe = NULL;
        g_autofree char *fdarg = g_strdup_printf("socket,id=qmp,fd=%d", CAPS_QMP_FD);
        vk_autofd theirs = -1;
        vk_autofd kvm = -1;
        int sv[2];
        int r;

        assert(e);
        assert(binary);
        assert(tmpdir);
        assert(ret);

        probe = probe_new(e, binary, callback, userdata);
        if (stat(binary, &probe->st) < 0)
                return vk_error_set_errno(reterr, errno, "Cannot access emulator '%s'", binary);

        /* what matters is whether we (and so QEMU, same credentials) may open it */
        kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC | O_NOCTTY);
        probe->dev_kvm = kvm >= 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create socketpair");
        theirs = sv[1];
        r = vk_qmp_client_new_fd(e, sv[0], &probe_qmp_callbacks, probe, &probe->qmp, reterr);
        if (r < 0)
                return r;
        vk_qmp_client_set_timeout(probe->qmp, CAPS_PROBE_TIMEOUT_USEC);

        VkChildFd fds[] = { { theirs, CAPS_QMP_FD } };
        VkChildOptions opts = {
                .flags = VK_CHILD_CAPTURE_STDERR,
                .env = VK_STRV("LC_ALL=C"),
                .fds = fds,
                .n_fds = VK_ELEMENTSOF(fds),
                .working_directory = tmpdir,
                .capture_max = 64 * 1024,
                .timeout_usec = CAPS_PROBE_TIMEOUT_USEC,
                .kill_grace_usec = 1000 * 1000,
        };
        r = vk_child_spawn(e,
                           VK_STRV(binary, "-S", "-no-user-config", "-nodefaults", "-nographic",
                                   "-machine", "none,accel=kvm:tcg", "-chardev", fdarg, "-mon",
                                   "chardev=qmp,mode=control"),
                           &opts, probe_on_child_exit, probe, &probe->child, reterr);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&probe);
        return 0;
}

/*
 * Free @probe (NULL is fine); returns NULL. A running QEMU is killed and the callback is not
 * called. May be called from the callback.
 */
VkQemuCapsProbe *vk_qemu_caps_probe_free(VkQemuCapsProbe *probe) {
        if (!probe)
                return NULL;
        probe->callback = NULL;
        probe->defer = sd_event_source_disable_unref(probe->defer);
        probe->qmp = vk_qmp_client_free(probe->qmp);
        probe->child = vk_child_free(probe->child);
        g_hash_table_unref(probe->replies);
        g_ptr_array_unref(probe->requests);
        vk_error_done(&probe->error);
        sd_event_unref(probe->event);
        g_free(probe->binary);
        g_free(probe);
        return NULL;
}
