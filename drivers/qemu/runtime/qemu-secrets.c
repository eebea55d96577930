/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-secrets.c: a domain's disk secrets, encrypted for QEMU by virtkit-secretd */
#include <assert.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json.h"
#include "macro.h"
#include "qemu-secrets.h"
#include "varlink-batch.h"

/*
 * qemud never holds a secret's value: it sends the domain's master key to secretd, which
 * answers with the value encrypted under it (EncryptSecretForDomain), ready for QEMU's
 * "-object secret,keyid=masterKey0,iv=...". One call per distinct secret, all sent at once on
 * one connection (common/varlink-batch.c); the first failure ends the fetch.
 */

typedef struct SecretSlot {
        char *disk; /* the first disk using it, for errors */
        char *uuid;
        char *ciphertext;
        char *iv;
} SecretSlot;

struct VkQemuSecrets {
        VkVarlinkBatch *batch; /* one call per slot, in order */
        GPtrArray *slots;      /* SecretSlot */
        VkQemuArgvSecret *argv;
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

static void secrets_on_done(VkVarlinkBatch *b, const VkError *error, void *userdata) {
        VkQemuSecrets *s = userdata;

        s->done(s, error, s->userdata); /* may free us */
}

/* secretd's answer for one secret: its ciphertext and IV. */
static int secrets_on_reply(VkVarlinkBatch *b, size_t index, JsonObject *params, const char *error,
                            const char **ret_name, char **ret_why, void *userdata) {
        VkQemuSecrets *s = userdata;
        SecretSlot *slot = s->slots->pdata[index];
        const char *ct, *iv;

        if (error) {
                *ret_why = vk_varlink_batch_refusal(b, params, error);
                return -ENOKEY;
        }
        ct = params ? vk_json_object_get_string_member_or_null(params, "ciphertext") : NULL;
        iv = params ? vk_json_object_get_string_member_or_null(params, "iv") : NULL;
        if (!ct || !iv) {
                *ret_why = g_strdup(VK_QEMU_SECRETD_NAME " answered without ciphertext and iv");
                return -EPROTO;
        }
        slot->ciphertext = g_strdup(ct);
        slot->iv = g_strdup(iv);
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
        int r;

        assert(e && socket_path && def && key && done && ret);

        s->slots = g_ptr_array_new_with_free_func((GDestroyNotify) secret_slot_free);
        s->done = done;
        s->userdata = userdata;
        s->batch = vk_varlink_batch_new(e, VK_QEMU_SECRETD_NAME, socket_path);
        for (size_t i = 0; i < def->n_disks; i++) {
                SecretSlot *slot;
                g_autofree char *label = NULL;

                if (!def->disks[i]->encrypted || !def->disks[i]->secret_uuid)
                        continue;
                slot = secrets_add_slot(s, def->disks[i]);
                if (!slot)
                        continue;
                label = g_strdup_printf("disk '%s': secret %s", slot->disk, slot->uuid);
                vk_varlink_batch_add(s->batch, VK_QEMU_SECRETD_INTERFACE ".EncryptSecretForDomain",
                                     secrets_call_params(slot->uuid, key), label,
                                     VK_STRV("secret", slot->uuid));
        }
        if (s->slots->len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' has no disk with an encryption secret", def->name);
        r = vk_varlink_batch_start(s->batch, timeout_usec, secrets_on_reply, secrets_on_done, s,
                                   reterr);
        if (r < 0)
                return r;
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
        vk_varlink_batch_free(s->batch);
        if (s->slots)
                g_ptr_array_unref(s->slots);
        g_free(s->argv);
        g_free(s);
        return NULL;
}
