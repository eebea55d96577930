/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api-domops.c: io.virtkit.Qemu's InjectDomainNMI, SendDomainKey, RenameDomain,
 * GetDomainMetadata, SetDomainMetadata (libvirt's inject-nmi, send-key, domrename, metadata)
 */
#include <stddef.h>

#include "api.h"
#include "log.h"

typedef struct NmiParams {
        char *domain;
} NmiParams;

static const VkField nmi_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(NmiParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        {},
};

static const VkStructType nmi_params = {
        .size = sizeof(NmiParams),
        .fields = nmi_params_fields,
};

typedef struct SendKeyParams {
        char *domain;
        char *codeset;
        uint64_t holdtime;
        char **keys;
} SendKeyParams;

static const VkField send_key_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(SendKeyParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "codeset", VK_FIELD_STRING, offsetof(SendKeyParams, codeset), 0, NULL,
          "linux (the default), xt, atset1, atset2, atset3, os_x, xt_kbd, usb, win32, qnum "
          "(or rfb)" },
        { "holdtime", VK_FIELD_UINT, offsetof(SendKeyParams, holdtime), 0, NULL,
          "Milliseconds the keys stay pressed (0: QEMU's default, 100)" },
        { "keys", VK_FIELD_STRV, offsetof(SendKeyParams, keys), VK_FIELD_REQUIRED, NULL,
          "1 to 16 keys pressed together: numbers in the code set, or names (linux KEY_A, "
          "os_x ANSI_A, win32 VK_A)" },
        {},
};

static const VkStructType send_key_params = {
        .size = sizeof(SendKeyParams),
        .fields = send_key_params_fields,
};

typedef struct RenameParams {
        char *domain;
        char *new_name;
} RenameParams;

static const VkField rename_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(RenameParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "newName", VK_FIELD_STRING, offsetof(RenameParams, new_name), VK_FIELD_REQUIRED, NULL,
          "The new name: not used by another domain" },
        {},
};

static const VkStructType rename_params = {
        .size = sizeof(RenameParams),
        .fields = rename_params_fields,
};

typedef struct MetadataParams {
        char *domain;
        char *type;
        char *metadata;
        char *key;
        char *uri;
        bool live;
        bool config;
} MetadataParams;

/* clang-format off */
#define METADATA_COMMON_FIELDS                                                                     \
        { "domain", VK_FIELD_STRING, offsetof(MetadataParams, domain), VK_FIELD_REQUIRED, NULL,    \
          "The domain's name or UUID" },                                                           \
        { "type", VK_FIELD_STRING, offsetof(MetadataParams, type), VK_FIELD_REQUIRED, NULL,        \
          "description, title or element" },                                                       \
        { "uri", VK_FIELD_STRING, offsetof(MetadataParams, uri), 0, NULL,                          \
          "element: the namespace of the application's element in <metadata>" },                   \
        { "live", VK_FIELD_BOOL, offsetof(MetadataParams, live), 0, NULL,                          \
          "The running domain's definition" },                                                     \
        { "config", VK_FIELD_BOOL, offsetof(MetadataParams, config), 0, NULL,                      \
          "The persistent definition (neither: the live one of a running domain, else the "       \
          "persistent one)" }
/* clang-format on */

static const VkField get_metadata_params_fields[] = {
        METADATA_COMMON_FIELDS,
        {},
};

static const VkStructType get_metadata_params = {
        .size = sizeof(MetadataParams),
        .fields = get_metadata_params_fields,
};

static const VkField set_metadata_params_fields[] = {
        METADATA_COMMON_FIELDS,
        { "metadata", VK_FIELD_STRING, offsetof(MetadataParams, metadata), 0, NULL,
          "The new text, or the element's XML; absent: remove it" },
        { "key", VK_FIELD_STRING, offsetof(MetadataParams, key), 0, NULL,
          "element: the namespace prefix the element is stored with" },
        {},
};

static const VkStructType set_metadata_params = {
        .size = sizeof(MetadataParams),
        .fields = set_metadata_params_fields,
};

typedef struct MetadataResult {
        char *metadata;
} MetadataResult;

static const VkField metadata_result_fields[] = {
        { "metadata", VK_FIELD_STRING, offsetof(MetadataResult, metadata), VK_FIELD_REQUIRED, NULL,
          "The text, or the element's XML with its namespace" },
        {},
};

static const VkStructType metadata_result = {
        .size = sizeof(MetadataResult),
        .fields = metadata_result_fields,
};

static VkQemuDriver *domops_driver(void *userdata) {
        return ((VkQemud *) userdata)->driver;
}

/* The completion of InjectDomainNMI and SendDomainKey: an empty reply or the error. */
static void domops_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                           void *userdata) {
        VkCall *call = userdata;

        if (error) {
                vk_log_debug("%s failed: %s", vk_call_method(call)->name, error->message);
                (void) vk_call_reply_error(call, error);
        } else
                (void) vk_call_reply(call, NULL);
        vk_call_unref(call);
}

static int domops_async(VkCall *call, int r) {
        if (r < 0)
                return r;
        vk_call_ref(call); /* domops_on_done() replies and unrefs */
        return 0;
}

static int api_inject_nmi(VkCall *call, void *params, void *userdata) {
        const NmiParams *p = params;

        return domops_async(call, vk_qemu_driver_domain_op(domops_driver(userdata), p->domain,
                                                           VK_QEMU_OP_INJECT_NMI, domops_on_done,
                                                           call, vk_call_error(call)));
}

static int api_send_key(VkCall *call, void *params, void *userdata) {
        const SendKeyParams *p = params;

        if (p->holdtime > UINT32_MAX)
                return vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "holdtime: %" PRIu64 " ms is too long", p->holdtime);
        return domops_async(call,
                            vk_qemu_driver_send_key(domops_driver(userdata), p->domain, p->codeset,
                                                    (unsigned) p->holdtime, p->keys, domops_on_done,
                                                    call, vk_call_error(call)));
}

static int api_rename(VkCall *call, void *params, void *userdata) {
        const RenameParams *p = params;
        int r;

        r = vk_qemu_driver_rename(domops_driver(userdata), p->domain, p->new_name,
                                  vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

static int metadata_args(VkCall *call, const MetadataParams *p, VkQemuMetadataType *ret_type,
                         unsigned *ret_flags) {
        *ret_type = vk_qemu_metadata_type_from_string(p->type);
        if (*ret_type < 0)
                return vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "type: '%s' is not description, title or element", p->type);
        *ret_flags = (p->live ? VK_QEMU_AFFECT_LIVE : 0) | (p->config ? VK_QEMU_AFFECT_CONFIG : 0);
        return 0;
}

static int api_get_metadata(VkCall *call, void *params, void *userdata) {
        const MetadataParams *p = params;
        g_autofree char *text = NULL;
        VkQemuMetadataType type = 0;
        unsigned flags = 0;
        MetadataResult res;
        int r;

        r = metadata_args(call, p, &type, &flags);
        if (r >= 0)
                r = vk_qemu_driver_get_metadata(domops_driver(userdata), p->domain, type, p->uri,
                                                flags, &text, vk_call_error(call));
        if (r < 0)
                return r;
        res.metadata = text;
        return vk_call_reply(call, &res);
}

static int api_set_metadata(VkCall *call, void *params, void *userdata) {
        const MetadataParams *p = params;
        VkQemuMetadataType type = 0;
        unsigned flags = 0;
        int r;

        r = metadata_args(call, p, &type, &flags);
        if (r >= 0)
                r = vk_qemu_driver_set_metadata(domops_driver(userdata), p->domain, type,
                                                p->metadata, p->key, p->uri, flags,
                                                vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

const VkMethod vk_qemud_domops_methods[] = {
        { "InjectDomainNMI", &nmi_params, NULL, api_inject_nmi, VK_AUTH_MANAGE, 0,
          "Send a non-maskable interrupt to the running domain's guest (QMP inject-nmi)." },
        { "SendDomainKey", &send_key_params, NULL, api_send_key, VK_AUTH_MANAGE, 0,
          "Press keys together on the running domain's keyboard, as virsh send-key: each "
          "translated to QEMU's key number (QMP send-key)." },
        { "RenameDomain", &rename_params, NULL, api_rename, VK_AUTH_MANAGE, 0,
          "Rename a persistent, shut off domain (its UUID stays); a UEFI variable store at "
          "the default path of the old name moves with it." },
        { "GetDomainMetadata", &get_metadata_params, &metadata_result, api_get_metadata,
          VK_AUTH_READ, 0,
          "A domain's <description>, <title> or application element of <metadata> "
          "(NoDomainMetadata when it has none)." },
        { "SetDomainMetadata", &set_metadata_params, NULL, api_set_metadata, VK_AUTH_MANAGE, 0,
          "Set or remove a domain's <description>, <title> or application element of "
          "<metadata>, live and/or persistent; sends a metadata-change event." },
        {},
};
