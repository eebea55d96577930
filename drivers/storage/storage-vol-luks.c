/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-luks.c: encrypted volumes: the passphrase from virtkit-secretd, through a pipe */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "atomic-file.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "storage-vol-luks.h"
#include "varlink-batch.h"

/*
 * A LUKS volume (format raw, or qcow2 with encrypt.format=luks) is made, resized, wiped and
 * cloned into by qemu-img, which needs its passphrase. The driver never holds one longer than
 * it takes to hand it over:
 *
 *   1. the job asks virtkit-secretd of the instance for the value
 *      (io.virtkit.Secret.GetSecretValueForVolume, asynchronously on the loop, by the secret's
 *      UUID, or else by the volume's path: the secret of usage type volume with that id);
 *   2. the value is written into a fresh pipe and wiped from our memory; the pipe's read end
 *      becomes qemu-img's fd 3, whose "--object secret,id=sec0,file=/dev/fd/3" reads it to
 *      its end. The passphrase is never on a command line, in a file or in a log.
 *
 * Which secret a volume has is remembered from its creation in
 * <config>/storage/volume-secrets.json (volume path → UUID; 0600, atomic), since an image
 * does not say it. A LUKS image the driver did not make is shown with
 * <secret type='passphrase' usage='PATH'/>: the secret whose usage is the volume, libvirt's
 * convention for volume secrets. libvirt's storage driver keeps nothing: after a refresh its
 * volumes have no secret until their XML is given again.
 *
 * Authorisation: the caller's storage.manage was decided at storaged's front door; secretd
 * answers GetSecretValueForVolume to its own uid only (a sibling daemon), private secrets
 * too, as libvirt's virtsecretd gives private values to a daemon that raised its identity to
 * its own (virIdentityElevateCurrent) for the storage driver's internal call.
 */

#define LUKS_TIMEOUT_USEC   (30ULL * 1000 * 1000)
#define LUKS_SECRETS_FILE   "volume-secrets.json"
#define LUKS_SECRETS_MAX    (4U * 1024 * 1024)
#define LUKS_PASSPHRASE_MAX (64U * 1024)
/*
 * qemu-img 7.2 times its key derivation by the thread's CPU time and gives up when a first
 * round reads 0 ms ("Unable to get accurate CPU usage"), which the kernel's tick-based
 * accounting makes it read now and then (tools/virtkit-thread-cputime.c, preloaded to make
 * the reading exact, says why). Should it happen all the same (the library missing, say),
 * the job runs again (passphrase pipes for it are made up front), up to this many more times.
 */
#define LUKS_RETRIES       8
#define LUKS_PRELOAD       "virtkit-thread-cputime.so"
#define LUKS_RETRY_MESSAGE "Unable to get accurate CPU usage"

struct StorageLuksFetch {
        StorageJob *job;
        char **argv;
        VkVarlinkBatch *batch;
        guchar *value;
        gsize len;
        char *remember_path; /* create, clone: the new volume's path and secret, kept on success */
        char *remember_uuid;
        char *secret; /* which secret: its UUID, or the usage (volume path) it was asked by */
        bool handed;  /* qemu-img runs with the passphrase */
        int spare_fds[LUKS_RETRIES]; /* pipes holding the passphrase again, for a retry; -1 */
        unsigned retries;
};

static void luks_wipe_value(StorageLuksFetch *f) {
        if (f->value)
                explicit_bzero(f->value, f->len);
        g_clear_pointer(&f->value, g_free);
        f->len = 0;
}

/* Free @f (takes NULL): a question still asked of secretd is dropped. */
StorageLuksFetch *storage_luks_fetch_free(StorageLuksFetch *f) {
        if (!f)
                return NULL;
        vk_varlink_batch_free(f->batch);
        luks_wipe_value(f);
        for (unsigned i = 0; i < LUKS_RETRIES; i++)
                if (f->spare_fds[i] >= 0)
                        (void) close(f->spare_fds[i]);
        g_strfreev(f->argv);
        g_free(f->remember_path);
        g_free(f->remember_uuid);
        g_free(f->secret);
        g_free(f);
        return NULL;
}

/* --- which secret a volume has --- */

static char *luks_secrets_path(VkStorageDriver *drv) {
        return g_build_filename(drv->pools_dir, LUKS_SECRETS_FILE, NULL);
}

/* The remembered secrets (read once; an unreadable file is as good as none). */
static GHashTable *luks_secrets(VkStorageDriver *drv) {
        g_autofree char *path = NULL, *text = NULL;
        g_autoptr(JsonNode) root = NULL;
        JsonObjectIter it;
        const char *key;
        JsonNode *value;

        if (drv->vol_secrets)
                return drv->vol_secrets;
        drv->vol_secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        path = luks_secrets_path(drv);
        if (vk_file_read_all(path, LUKS_SECRETS_MAX, &text, NULL, NULL) < 0 ||
            vk_json_parse(text, -1, &root, NULL) < 0 || !JSON_NODE_HOLDS_OBJECT(root))
                return drv->vol_secrets;
        json_object_iter_init(&it, json_node_get_object(root));
        while (json_object_iter_next(&it, &key, &value)) {
                VkUuid u;

                if (JSON_NODE_HOLDS_VALUE(value) &&
                    json_node_get_value_type(value) == G_TYPE_STRING &&
                    vk_uuid_parse(json_node_get_string(value), &u) >= 0)
                        g_hash_table_replace(drv->vol_secrets, g_strdup(key),
                                             g_strdup(json_node_get_string(value)));
        }
        return drv->vol_secrets;
}

static int luks_secrets_save(VkStorageDriver *drv, VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(GList) keys = g_hash_table_get_keys(luks_secrets(drv));
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *path = luks_secrets_path(drv), *text = NULL;

        keys = g_list_sort(keys, (GCompareFunc) strcmp);
        json_builder_begin_object(b);
        for (GList *l = keys; l; l = l->next) {
                json_builder_set_member_name(b, l->data);
                json_builder_add_string_value(b, g_hash_table_lookup(drv->vol_secrets, l->data));
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        text = vk_json_to_string(root, true);
        return vk_atomic_file_write(path, text, strlen(text), 0600, reterr);
}

/*
 * After a probe: an encrypted volume @v gets its secret, the one it was made with, or else
 * the secret whose usage is its path.
 */
void storage_luks_fill_one(VkStorageDriver *drv, VkStorageVolDef *v) {
        const char *uuid;

        if (!v->encryption.present || !vk_uuid_is_null(&v->encryption.secret_uuid) ||
            v->encryption.secret_usage || !v->path)
                return;
        uuid = g_hash_table_lookup(luks_secrets(drv), v->path);
        if (!uuid || vk_uuid_parse(uuid, &v->encryption.secret_uuid) < 0)
                v->encryption.secret_usage = g_strdup(v->path);
}

/* After a scan: each volume of @vols as storage_luks_fill_one(). */
void storage_luks_fill(VkStorageDriver *drv, GPtrArray *vols) {
        for (guint i = 0; vols && i < vols->len; i++)
                storage_luks_fill_one(drv, vols->pdata[i]);
}

/* @vol is gone: forget its secret. */
void storage_luks_forget(VkStorageDriver *drv, const VkStorageVolDef *vol) {
        if (vol->path && g_hash_table_remove(luks_secrets(drv), vol->path))
                (void) luks_secrets_save(drv, NULL);
}

void storage_luks_done(VkStorageDriver *drv) {
        g_clear_pointer(&drv->vol_secrets, g_hash_table_unref);
}

/* --- the passphrase of a job --- */

/* An encrypted @vol can be written only where secretd can be asked. */
int storage_luks_check(VkStorageDriver *drv, const VkStorageVolDef *vol, VkError *reterr) {
        if (vol->encryption.present && !drv->secret_socket)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Storage volume '%s' is encrypted: its passphrase comes "
                                    "from " STORAGE_SECRETD_NAME
                                    ", which this instance has none of",
                                    vol->name);
        return 0;
}

/* Where qemu-img reads @vol's passphrase: NULL for a volume without encryption. */
const char *storage_luks_secret_path(const VkStorageVolDef *vol) {
        return vol->encryption.present ? VK_STORAGE_SECRET_PATH : NULL;
}

static int luks_on_reply(VkVarlinkBatch *b, size_t index, JsonObject *params, const char *error,
                         const char **ret_name, char **ret_why, void *userdata) {
        StorageLuksFetch *f = userdata;
        const char *value;

        if (error) {
                *ret_why = vk_varlink_batch_refusal(b, params, error);
                return -ENOKEY;
        }
        value = params ? vk_json_object_get_string_member_or_null(params, "value") : NULL;
        if (!value) {
                *ret_why = g_strdup(STORAGE_SECRETD_NAME " answered without a value");
                return -EPROTO;
        }
        f->value = g_base64_decode(value, &f->len);
        /* the reply stays with the batch until it is freed: leave no copy in it */
        explicit_bzero((char *) value, strlen(value));
        if (f->len == 0 || f->len > LUKS_PASSPHRASE_MAX) {
                luks_wipe_value(f);
                *ret_why = g_strdup_printf("the secret's value is empty or longer than %u bytes",
                                           LUKS_PASSPHRASE_MAX);
                return -EINVAL;
        }
        return 0;
}

/* A pipe holding @len bytes of @data, its write end closed: *@ret_fd is its read end. */
static int luks_pipe(const guchar *data, size_t len, int *ret_fd, VkError *reterr) {
        vk_autofd rd = -1, wr = -1;
        int p[2];
        ssize_t n;

        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a pipe");
        rd = p[0];
        wr = p[1];
        if (len > 4096)
                (void) fcntl(wr, F_SETPIPE_SZ, (int) len);
        n = write(wr, data, len);
        if (n != (ssize_t) len)
                return vk_error_set_errno(reterr, n < 0 ? errno : EMSGSIZE,
                                          "Failed to pass the passphrase through a pipe");
        if (fcntl(rd, F_SETFL, 0) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to set up the passphrase pipe");
        *ret_fd = vk_steal_fd(&rd);
        return 0;
}

static void luks_on_done(VkVarlinkBatch *b, const VkError *error, void *userdata) {
        StorageLuksFetch *f = userdata;
        StorageJob *j = f->job;
        g_auto(VkError) e = VK_ERROR_INIT;
        int r;

        if (error) {
                storage_job_fail(j, error); /* frees j, f and the batch */
                return;
        }
        /* the batch is done with (it returns from this callback without touching itself) */
        f->batch = vk_varlink_batch_free(f->batch);
        r = luks_pipe(f->value, f->len, &j->secret_fd, &e);
        for (unsigned i = 0; r >= 0 && i < LUKS_RETRIES; i++)
                r = luks_pipe(f->value, f->len, &f->spare_fds[i], &e);
        luks_wipe_value(f);
        if (r >= 0)
                r = storage_job_spawn(j, f->argv, &e);
        if (r < 0)
                storage_job_fail(j, &e);
        else
                f->handed = true;
}

static JsonNode *luks_call_params(const char *key, const char *value) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/*
 * Run the job @j (its volumes held, not tracked yet) with @argv, whose secret object reads
 * /dev/fd/3, once secretd gave the passphrase of the encrypted volume @vol (@remember: @vol is
 * being made, and its secret is remembered when the job succeeds). Returns 0 with @j running
 * (its callback reports a refusal: the error names the volume and the secret, and a volume
 * being made is removed), or < 0 when secretd cannot be reached (@j released and freed).
 */
int storage_luks_job_start(StorageJob *j, char **argv, const VkStorageVolDef *vol, bool remember,
                           VkError *reterr) {
        VkStorageDriver *drv = j->drv;
        StorageLuksFetch *f = g_new0(StorageLuksFetch, 1);
        char uuid[VK_UUID_STRING_MAX];
        g_autofree char *label = NULL;
        JsonNode *params;
        int r;

        f->job = j;
        f->argv = g_strdupv(argv);
        for (unsigned i = 0; i < LUKS_RETRIES; i++)
                f->spare_fds[i] = -1;
        j->luks = f;
        storage_job_track(j);
        r = storage_luks_check(drv, vol, reterr);
        if (r < 0)
                return storage_job_abort(j, r);
        if (!vk_uuid_is_null(&vol->encryption.secret_uuid)) {
                vk_uuid_format(&vol->encryption.secret_uuid, uuid);
                label = g_strdup_printf("Storage volume '%s': secret %s", vol->name, uuid);
                params = luks_call_params("secret", uuid);
                if (remember) {
                        f->remember_path = g_strdup(vol->path);
                        f->remember_uuid = g_strdup(uuid);
                }
        } else {
                label = g_strdup_printf("Storage volume '%s': the secret of usage volume '%s'",
                                        vol->name, vol->encryption.secret_usage);
                params = luks_call_params("volume", vol->encryption.secret_usage);
        }
        f->secret = g_strdup(vol->encryption.secret_usage ? vol->encryption.secret_usage : uuid);
        f->batch = vk_varlink_batch_new(drv->event, STORAGE_SECRETD_NAME, drv->secret_socket);
        vk_varlink_batch_add(f->batch, STORAGE_SECRETD_INTERFACE ".GetSecretValueForVolume", params,
                             label, VK_STRV("volume", vol->name, "secret", f->secret));
        r = vk_varlink_batch_start(f->batch, LUKS_TIMEOUT_USEC, luks_on_reply, luks_on_done, f,
                                   reterr);
        if (r < 0)
                return storage_job_abort(j, r);
        return 0;
}

/*
 * The environment of a qemu-img that is given a passphrase (it may derive LUKS keys):
 * virtkit-thread-cputime.so preloaded when it is there, else nothing. NULL-terminated
 * (g_strfreev).
 */
char **storage_luks_child_env(void) {
        g_autofree char *lib = vk_paths_libexec(LUKS_PRELOAD);
        char **env = g_new0(char *, 2);

        /* LD_PRELOAD splits at spaces and colons: such a path is not preloaded */
        if (access(lib, R_OK) == 0 && !strpbrk(lib, " :"))
                env[0] = g_strconcat("LD_PRELOAD=", lib, NULL);
        else
                vk_log_debug("%s is not there: qemu-img runs without it", lib);
        return env;
}

/*
 * The child of job @j failed saying @out: when that is qemu-img's spurious "Unable to get
 * accurate CPU usage" and a spare passphrase pipe is left, *@ret_argv is the command to run
 * again with j->secret_fd set (true); otherwise false.
 */
bool storage_luks_job_retry(StorageJob *j, const char *out, char ***ret_argv) {
        StorageLuksFetch *f = j->luks;

        if (!f || !f->handed || !out || !strstr(out, LUKS_RETRY_MESSAGE) ||
            f->retries >= LUKS_RETRIES || j->secret_fd >= 0)
                return false;
        j->secret_fd = f->spare_fds[f->retries];
        f->spare_fds[f->retries++] = -1;
        vk_log_info("Storage volume '%s': qemu-img could not time its key derivation "
                    "(\"" LUKS_RETRY_MESSAGE "\"): running it again (%u of %u)",
                    j->name, f->retries, LUKS_RETRIES);
        *ret_argv = f->argv;
        return true;
}

/*
 * The job @j ends with @error (NULL: success). Success: a volume it made keeps its secret
 * (before the pool is scanned). qemu-img failing with the passphrase it was given (a wrong
 * one: "Invalid password, cannot unlock any keyslot"): the error names the secret too.
 */
void storage_luks_job_end(StorageJob *j, VkError *error) {
        StorageLuksFetch *f = j->luks;
        char *msg;

        if (!f)
                return;
        if (error && f->handed && error->message) {
                msg = g_strdup_printf("%s (passphrase from secret %s)", error->message, f->secret);
                g_free(error->message);
                error->message = msg;
                if (!vk_error_get_param(error, "secret"))
                        vk_error_add_param(error, "secret", f->secret);
                return;
        }
        if (error || !f->remember_path)
                return;
        g_hash_table_replace(luks_secrets(j->drv), g_strdup(f->remember_path),
                             g_strdup(f->remember_uuid));
        (void) luks_secrets_save(j->drv, NULL);
}
