/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-secrets.c: a domain's disk secrets, encrypted for QEMU by virtkit-secretd */
#include <assert.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json.h"
#include "macro.h"
#include "qemu-secrets.h"
#include "sd-glue.h"
#include "varlink.h"

/*
 * qemud never holds a secret's value: it sends the domain's master key to secretd, which
 * answers with the value encrypted under it (EncryptSecretForDomain), ready for QEMU's
 * "-object secret,keyid=masterKey0,iv=...". One call per distinct secret, all sent at once on
 * one connection (varlink answers in order); the first failure ends the fetch.
 */

typedef struct SecretSlot {
        VkQemuSecrets *owner;
        char *disk; /* the first disk using it, for errors */
        char *uuid;
        char *ciphertext;
        char *iv;
} SecretSlot;

struct VkQemuSecrets {
        sd_event *event;
        char *socket_path;
        VkVarlinkClient *client;
        GPtrArray *slots; /* SecretSlot */
        VkQemuArgvSecret *argv;
        unsigned n_pending;
        VkError error;
        bool finished;
        sd_event_source *timer;
        sd_event_source *defer;
        VkQemuSecretsDoneFunc done;
        void *userdata;
};

static void secret_slot_free(SecretSlot *slot) {
        g_free(slot->disk);
        g_free(slot->uuid);
        g_free(slot->ciphertext);
        g_free(slot->iv);
        g_free(slot);
}

/* How many disks of @def take their passphrase from a secret. */
size_t vk_qemu_secrets_count_disks(const VkDomainDef *def) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->encrypted && def->disks[i]->secret_uuid)
                        n++;
        return n;
}

static int secrets_on_defer(sd_event_source *src, void *userdata) {
        VkQemuSecrets *s = userdata;

        s->defer = sd_event_source_disable_unref(s->defer);
        s->timer = sd_event_source_disable_unref(s->timer);
        /* the connection is done with; the callback may free us */
        s->client = vk_varlink_client_free(s->client);
        s->done(s, s->error.name ? &s->error : NULL, s->userdata);
        return 0;
}

/* End the fetch (once): the callback runs from a defer source, never from a reply. */
static void secrets_finish(VkQemuSecrets *s) {
        if (s->finished)
                return;
        s->finished = true;
        /* without a defer source the caller's own timeout reports the failure */
        (void) sd_event_add_defer(s->event, &s->defer, secrets_on_defer, s);
}

static void secrets_fail(VkQemuSecrets *s, const SecretSlot *slot, int err, const char *why) {
        if (s->finished)
                return;
        (void) vk_error_set(&s->error, VK_ERROR_OPERATION_FAILED, err,
                            "disk '%s': secret %s: " VK_QEMU_SECRETD_NAME " at '%s' %s", slot->disk,
                            slot->uuid, s->socket_path, why);
        vk_error_add_param(&s->error, "secret", slot->uuid);
        secrets_finish(s);
}

static void secrets_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                             bool continues, void *userdata) {
        SecretSlot *slot = userdata;
        VkQemuSecrets *s = slot->owner;
        const char *ct, *iv;

        s->n_pending--;
        if (s->finished)
                return;
        if (error && strcmp(error, VK_VARLINK_ERROR_DISCONNECTED) == 0) {
                secrets_fail(s, slot, -ECONNRESET, "cannot be reached: it closed the connection");
                return;
        }
        if (error) {
                const char *msg =
                        params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;
                g_autofree char *why =
                        g_strdup_printf("refused: %s%s%s", error, msg ? ": " : "", msg ? msg : "");

                secrets_fail(s, slot, -ENOKEY, why);
                return;
        }
        ct = params ? vk_json_object_get_string_member_or_null(params, "ciphertext") : NULL;
        iv = params ? vk_json_object_get_string_member_or_null(params, "iv") : NULL;
        if (!ct || !iv) {
                secrets_fail(s, slot, -EPROTO, "answered without ciphertext and iv");
                return;
        }
        slot->ciphertext = g_strdup(ct);
        slot->iv = g_strdup(iv);
        if (s->n_pending == 0)
                secrets_finish(s);
}

static int secrets_on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        VkQemuSecrets *s = userdata;

        s->timer = sd_event_source_disable_unref(s->timer);
        for (guint i = 0; i < s->slots->len; i++) {
                SecretSlot *slot = s->slots->pdata[i];

                if (!slot->ciphertext) {
                        secrets_fail(s, slot, -ETIMEDOUT, "did not answer in time");
                        break;
                }
        }
        return 0;
}

static SecretSlot *secrets_add_slot(VkQemuSecrets *s, const VkDomainDisk *disk) {
        SecretSlot *slot;

        for (guint i = 0; i < s->slots->len; i++) {
                slot = s->slots->pdata[i];
                if (strcmp(slot->uuid, disk->secret_uuid) == 0)
                        return NULL;
        }
        slot = g_new0(SecretSlot, 1);
        slot->owner = s;
        slot->disk = g_strdup(vk_strempty(disk->target_dev));
        slot->uuid = g_strdup(disk->secret_uuid);
        g_ptr_array_add(s->slots, slot);
        return slot;
}

static JsonNode *secrets_call_params(const char *uuid, const uint8_t *key) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key_text = g_base64_encode(key, VK_QEMU_MASTER_KEY_SIZE);
        JsonNode *node;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "secret");
        json_builder_add_string_value(b, uuid);
        json_builder_set_member_name(b, "key");
        json_builder_add_string_value(b, key_text);
        json_builder_end_object(b);
        node = json_builder_get_root(b);
        explicit_bzero(key_text, strlen(key_text));
        return node;
}

/*
 * Ask secretd at @socket_path for every secret the encrypted disks of @def use, each encrypted
 * under @key (the domain's master key). @done runs once from the loop, after all answers or at
 * the first failure; its error names the disk, the secret, the daemon and its socket. A
 * failure to connect fails the call itself (with such an error), and @done never runs then.
 * Freeing *@ret cancels the fetch without a callback. Must run on the loop.
 */
int vk_qemu_secrets_fetch(sd_event *e, const char *socket_path, const VkDomainDef *def,
                          const uint8_t key[VK_QEMU_MASTER_KEY_SIZE], uint64_t timeout_usec,
                          VkQemuSecretsDoneFunc done, void *userdata, VkQemuSecrets **ret,
                          VkError *reterr) {
        g_autoptr(VkQemuSecrets) s = g_new0(VkQemuSecrets, 1);
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        assert(e && socket_path && def && key && done && ret);

        s->event = sd_event_ref(e);
        s->socket_path = g_strdup(socket_path);
        s->slots = g_ptr_array_new_with_free_func((GDestroyNotify) secret_slot_free);
        s->done = done;
        s->userdata = userdata;
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->encrypted && def->disks[i]->secret_uuid)
                        (void) secrets_add_slot(s, def->disks[i]);
        if (s->slots->len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' has no disk with an encryption secret", def->name);

        r = vk_varlink_client_connect(e, socket_path, &s->client, &err);
        if (r < 0) {
                SecretSlot *slot = s->slots->pdata[0];

                r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                 "disk '%s': secret %s: " VK_QEMU_SECRETD_NAME
                                 " at '%s' cannot be reached: %s",
                                 slot->disk, slot->uuid, socket_path, err.message);
                vk_error_add_param(reterr, "secret", slot->uuid);
                return r;
        }
        for (guint i = 0; i < s->slots->len; i++) {
                SecretSlot *slot = s->slots->pdata[i];
                g_autoptr(JsonNode) params = secrets_call_params(slot->uuid, key);

                r = vk_varlink_client_call(s->client,
                                           VK_QEMU_SECRETD_INTERFACE ".EncryptSecretForDomain",
                                           params, /* flags= */ 0, secrets_on_reply, slot);
                if (r < 0) {
                        r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                         "disk '%s': secret %s: " VK_QEMU_SECRETD_NAME
                                         " at '%s' cannot be reached: %s",
                                         slot->disk, slot->uuid, socket_path, g_strerror(-r));
                        vk_error_add_param(reterr, "secret", slot->uuid);
                        return r;
                }
                s->n_pending++;
        }
        r = sd_event_add_time_relative(e, &s->timer, CLOCK_MONOTONIC, timeout_usec, 0,
                                       secrets_on_timeout, s);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm the secrets timeout");

        *ret = g_steal_pointer(&s);
        return 0;
}

/*
 * The secrets, ready for VkQemuArgvOptions.secrets; valid as long as @s. Only after @done
 * reported success.
 */
const VkQemuArgvSecret *vk_qemu_secrets_get(const VkQemuSecrets *s, size_t *ret_n) {
        VkQemuSecrets *m = (VkQemuSecrets *) s;

        if (!m->argv) {
                m->argv = g_new0(VkQemuArgvSecret, MAX(m->slots->len, 1u));
                for (guint i = 0; i < m->slots->len; i++) {
                        const SecretSlot *slot = m->slots->pdata[i];

                        m->argv[i] = (VkQemuArgvSecret){
                                .uuid = slot->uuid,
                                .ciphertext = slot->ciphertext,
                                .iv = slot->iv,
                        };
                }
        }
        *ret_n = m->slots->len;
        return m->argv;
}

/* Free @s (takes NULL); a fetch still running is dropped without its callback. */
VkQemuSecrets *vk_qemu_secrets_free(VkQemuSecrets *s) {
        if (!s)
                return NULL;
        s->client = vk_varlink_client_free(s->client);
        sd_event_source_disable_unref(s->timer);
        sd_event_source_disable_unref(s->defer);
        if (s->slots)
                g_ptr_array_unref(s->slots);
        g_free(s->argv);
        vk_error_done(&s->error);
        g_free(s->socket_path);
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}
