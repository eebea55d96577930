/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-swtpm.c: the swtpm of an emulated TPM of one QEMU process */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-process-internal.h"
#include "qemu-swtpm.h"

/*
 * A <tpm><backend type='emulator'> gets a swtpm (qemu-swtpm.c), a helper owned like QEMU
 * itself (qemu-process-helper.c). The start:
 *   1. (synchronous, with the private dir) its state dir is made and given to swtpm's user,
 *      its log file too, its socket bound; a state dir that is new or empty needs a TPM;
 *   2. (asynchronous, after labels) swtpm_setup manufactures that TPM, as swtpm's user, and
 *      before it, for a daemon that is not root, writes that user's swtpm_setup config files
 *      (its own certificate authority), as libvirt does; a failure fails the start with
 *      swtpm_setup's message;
 *   3. swtpm is spawned with the other helpers, before QEMU.
 * A start that fails removes the storage it made (<lib>/swtpm/<uuid>), as libvirt does.
 */

#define SWTPM_SETUP_OUTPUT_TAIL 400

static void swtpm_setup_on_exit(VkChild *child, const VkChildExit *exit, void *userdata);

static char **swtpm_setup_env(void) {
        GPtrArray *env = g_ptr_array_new();

        g_ptr_array_add(env, g_strdup("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
        /* a daemon that is not root: swtpm_setup's config files are under the user's home */
        if (geteuid() != 0) {
                const char *config = g_getenv("XDG_CONFIG_HOME");

                g_ptr_array_add(env, g_strconcat("HOME=", g_get_home_dir(), NULL));
                if (config && g_path_is_absolute(config))
                        g_ptr_array_add(env, g_strconcat("XDG_CONFIG_HOME=", config, NULL));
        }
        g_ptr_array_add(env, NULL);
        return (char **) g_ptr_array_free(env, false);
}

/* The log file swtpm_setup and swtpm write (they open it themselves), owned by their user. */
static int swtpm_prepare_log(const char *path, const VkQemuSwtpmUser *user, VkError *reterr) {
        g_autofree char *dir = g_path_get_dirname(path);
        vk_autofd fd = -1;
        int r;

        r = vk_mkdir_p(dir, 0711);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", dir);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the log file '%s'", path);
        if (user->set_credentials && fchown(fd, user->uid, user->gid) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to give '%s' to %u:%u", path,
                                          (unsigned) user->uid, (unsigned) user->gid);
        return 0;
}

/*
 * Before labels, the private dir made: for the emulated TPM of @live (at most one), its state
 * dir, log and socket, and the command lines of swtpm (and of swtpm_setup for a new TPM).
 * Nothing runs yet; process_remove_files() removes what was made.
 */
int process_swtpm_prepare(VkQemuProcess *p, const VkDomainDef *live,
                          const VkQemuProcessOptions *opts, VkError *reterr) {
        for (size_t i = 0; i < live->n_tpms; i++) {
                const VkDomainTpm *t = live->tpms[i];
                g_autofree char *storage = NULL;
                g_autofree char *setup = NULL;
                ProcessHelper *h;
                bool created = false;
                int r;

                if (t->backend != VK_TPM_BACKEND_EMULATOR)
                        continue;
                if (!opts->swtpm_lib_dir || !opts->swtpm_log_dir)
                        return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                            "no directory for the TPM state of domain '%s'",
                                            p->name);
                h = process_helper_add(p, PROCESS_HELPER_SWTPM);
                h->alias = t->info.alias ? g_strdup(t->info.alias) : g_strdup_printf("tpm%zu", i);
                r = vk_qemu_swtpm_find_binary("swtpm", "swtpm", &h->binary, reterr);
                if (r < 0)
                        return r;
                r = vk_qemu_swtpm_user(opts->cfg, &p->swtpm_user, reterr);
                if (r < 0)
                        return r;
                h->set_credentials = p->swtpm_user.set_credentials;
                h->uid = p->swtpm_user.uid;
                h->gid = p->swtpm_user.gid;
                h->log_path = vk_qemu_swtpm_log_path(opts->swtpm_log_dir, p->name);
                r = swtpm_prepare_log(h->log_path, &p->swtpm_user, reterr);
                if (r < 0)
                        return r;
                storage = vk_qemu_swtpm_storage_dir(opts->swtpm_lib_dir, &live->uuid);
                if (access(storage, F_OK) < 0)
                        p->swtpm_state_created = g_strdup(storage);
                g_free(p->swtpm_state_dir);
                p->swtpm_state_dir = vk_qemu_swtpm_state_dir(opts->swtpm_lib_dir, &live->uuid);
                r = vk_qemu_swtpm_state_prepare(p->swtpm_state_dir, &p->swtpm_user, &created,
                                                reterr);
                if (r < 0)
                        return r;
                if (created) {
                        r = vk_qemu_swtpm_find_binary("swtpm_setup", "swtpm-tools", &setup, reterr);
                        if (r < 0)
                                return r;
                        p->swtpm_setup_argv = vk_qemu_swtpm_setup_argv(
                                setup, p->swtpm_state_dir, h->log_path, live->name, &live->uuid);
                }
                g_free(p->swtpm_log);
                p->swtpm_log = g_strdup(h->log_path);
                h->socket = vk_qemu_swtpm_socket_path(p->private_dir);
                h->argv = vk_qemu_swtpm_argv(h->binary, p->swtpm_state_dir, h->log_path,
                                             PROCESS_HELPER_FD);
                h->env = swtpm_setup_env();
                r = process_helper_listen(h, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int swtpm_setup_spawn(VkQemuProcess *p, char **argv, VkError *reterr) {
        g_auto(GStrv) env = swtpm_setup_env();
        VkChildOptions copts = {};

        copts.flags = VK_CHILD_CAPTURE_STDERR;
        copts.env = (const char *const *) env;
        copts.working_directory = "/";
        copts.capture_max = 64 * 1024;
        if (p->swtpm_user.set_credentials) {
                copts.flags |= VK_CHILD_SET_CREDENTIALS;
                copts.uid = p->swtpm_user.uid;
                copts.gid = p->swtpm_user.gid;
        }
        vk_log_debug("Running '%s' for domain '%s'", argv[1], p->name);
        return vk_child_spawn(p->event, (const char *const *) argv, &copts, swtpm_setup_on_exit, p,
                              &p->swtpm_setup, reterr);
}

/* The manufacture unless it ran: 1 when it runs now, 0 when it is done. */
static int swtpm_setup_next(VkQemuProcess *p, VkError *reterr) {
        g_auto(GStrv) argv = g_steal_pointer(&p->swtpm_setup_argv);
        int r;

        if (!argv)
                return 0;
        r = swtpm_setup_spawn(p, argv, reterr);
        return r < 0 ? r : 1;
}

/* The last SWTPM_SETUP_OUTPUT_TAIL bytes of @path (it grows with every start), or NULL. */
static char *swtpm_read_tail(const char *path) {
        char buf[SWTPM_SETUP_OUTPUT_TAIL + 1];
        vk_autofd fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        off_t end;
        ssize_t n;

        if (fd < 0)
                return NULL;
        end = lseek(fd, 0, SEEK_END);
        if (end < 0 || lseek(fd, end > SWTPM_SETUP_OUTPUT_TAIL ? end - SWTPM_SETUP_OUTPUT_TAIL : 0,
                             SEEK_SET) < 0)
                return NULL;
        n = read(fd, buf, SWTPM_SETUP_OUTPUT_TAIL);
        if (n <= 0)
                return NULL;
        return g_strndup(buf, (gsize) n);
}

/* What swtpm_setup said: its stderr, else the tail of its log (it writes its errors there). */
static char *swtpm_setup_output(VkQemuProcess *p, VkChild *child) {
        size_t len = 0;
        const char *out = vk_child_get_output(child, VK_CHILD_STDERR, &len);
        g_autofree char *text = NULL;

        if (out && len > 0)
                text = g_strndup(out, len);
        else if (p->swtpm_log)
                text = swtpm_read_tail(p->swtpm_log);
        if (!text)
                return NULL;
        g_strstrip(text);
        if (strlen(text) > SWTPM_SETUP_OUTPUT_TAIL)
                memmove(text, text + strlen(text) - SWTPM_SETUP_OUTPUT_TAIL,
                        SWTPM_SETUP_OUTPUT_TAIL + 1);
        if (!*text)
                return NULL;
        return g_strdelimit(g_steal_pointer(&text), "\n", ' ');
}

static void swtpm_setup_on_exit(VkChild *child, const VkChildExit *exit, void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *out = NULL;
        int r;

        if (exit->code != CLD_EXITED || exit->status != 0) {
                out = swtpm_setup_output(p, child);
                p->swtpm_setup = vk_child_free(p->swtpm_setup);
                vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -EIO,
                             "swtpm_setup could not manufacture the TPM of domain '%s' in '%s' "
                             "(%s %d; see '%s')%s%s",
                             p->name, vk_strempty(p->swtpm_state_dir),
                             exit->code == CLD_EXITED ? "status" : "signal", exit->status,
                             vk_strempty(p->swtpm_log), out ? ": " : "", out ? out : "");
                process_fail(p, &err);
                return;
        }
        p->swtpm_setup = vk_child_free(p->swtpm_setup);
        /* the manufacture after the config files, then the stages after it */
        r = swtpm_setup_next(p, &err);
        if (r == 0) {
                vk_log_debug("Manufactured the TPM of domain '%s' in '%s'", p->name,
                             p->swtpm_state_dir);
                r = process_start_continue(p, &err);
        }
        if (r < 0)
                process_fail(p, &err);
}

/*
 * After labels: manufacture a new TPM (process_swtpm_prepare() said so) with swtpm_setup,
 * asynchronously; a daemon that is not root first has swtpm_setup write the user's config
 * files (its own certificate authority), as libvirt does. Returns 1 when it runs (its end
 * calls process_start_continue(), or fails the start), 0 when there is nothing to do, or
 * -errno.
 */
int process_swtpm_setup(VkQemuProcess *p, VkError *reterr) {
        g_auto(GStrv) config = NULL;
        int r;

        if (!p->swtpm_setup_argv)
                return 0;
        if (geteuid() == 0)
                return swtpm_setup_next(p, reterr);
        config = g_strdupv((char **) VK_STRV(p->swtpm_setup_argv[0], "--create-config-files",
                                             "skip-if-exist"));
        r = swtpm_setup_spawn(p, config, reterr);
        return r < 0 ? r : 1;
}

/* A start failed: remove the TPM storage it made (none when the domain had one already). */
void process_swtpm_remove_created(VkQemuProcess *p) {
        g_autofree char *storage = g_steal_pointer(&p->swtpm_state_created);
        g_autofree char *lib = NULL;
        g_autofree char *base = NULL;
        VkUuid uuid;
        int r;

        if (!storage)
                return;
        lib = g_path_get_dirname(storage);
        base = g_path_get_basename(storage);
        if (vk_uuid_parse(base, &uuid) < 0)
                return;
        r = vk_qemu_swtpm_state_remove(lib, &uuid);
        if (r < 0)
                vk_log_debug("Failed to remove the TPM state '%s', ignoring: %s", storage,
                             g_strerror(-r));
}
