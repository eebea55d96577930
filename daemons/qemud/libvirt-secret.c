/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-secret.c: org.libvirt.Secret at .../secret/_<uuid>, backed by virtkit-secretd */
#include <string.h>

#include "daemons/secretd/api-decl.h"
#include "json.h"
#include "libvirt-internal.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"

/* virConnectListAllSecretsFlags */
enum {
        LIST_EPHEMERAL = 1 << 0,
        LIST_NO_EPHEMERAL = 1 << 1,
        LIST_PRIVATE = 1 << 2,
        LIST_NO_PRIVATE = 1 << 3,
};

/* virSecretUsageType, by number */
static const char *const usage_types[] = { "none", "volume", "ceph", "iscsi", "tls", "vtpm" };

#define SECRET_REQ(call, userdata) vk_libvirt_req_new(call, &vk_libvirt_secret_kind, userdata)

static char *secret_path(const char *uuid) {
        return vk_libvirt_uuid_path(VK_LIBVIRT_SECRET_PATH, uuid);
}

static void secret_on_list(VkLibvirtReq *req, void *result) {
        const VkSecretListResult *res = result;
        const VkSecretSummary *secrets = res->secrets.items;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; i < res->secrets.n; i++)
                if (vk_libvirt_flag_pair(req->flags, LIST_EPHEMERAL, LIST_NO_EPHEMERAL,
                                         secrets[i].ephemeral) &&
                    vk_libvirt_flag_pair(req->flags, LIST_PRIVATE, LIST_NO_PRIVATE,
                                         secrets[i].is_private))
                        g_ptr_array_add(paths, secret_path(secrets[i].uuid));
        vk_libvirt_req_reply_paths(req, paths);
}

int vk_libvirt_list_secrets(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);
        VkSecretListParams p = {};

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        req->list = true; /* secretd not there: no secrets */
        vk_libvirt_req_send(req, "ListSecrets", &p, secret_on_list);
        return 0;
}

static void secret_on_uuid(VkLibvirtReq *req, void *result) {
        /* VkSecretLookupResult and VkSecretUuidResult both start with the UUID */
        g_autofree char *path = secret_path(*(char **) result);

        vk_libvirt_req_reply_value(req, "o", path);
}

int vk_libvirt_secret_lookup_by_uuid(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);
        VkSecretLookupParams p = {};

        if (vk_libvirt_req_read(req, "s", &p.uuid) < 0)
                return 0;
        req->not_found = g_strdup_printf("no secret with matching uuid '%s'", p.uuid);
        vk_libvirt_req_send(req, "LookupSecret", &p, secret_on_uuid);
        return 0;
}

int vk_libvirt_secret_lookup_by_usage(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);
        VkSecretLookupParams p = {};
        int32_t type;

        if (vk_libvirt_req_read(req, "is", &type, &p.usage_id) < 0)
                return 0;
        if (type <= 0 || type >= (int32_t) G_N_ELEMENTS(usage_types)) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unknown usage type %d", type);
                vk_libvirt_req_fail(req, &e);
                return 0;
        }
        p.usage_type = (char *) usage_types[type];
        req->not_found = g_strdup_printf("no secret with matching usage '%s'", p.usage_id);
        vk_libvirt_req_send(req, "LookupSecret", &p, secret_on_uuid);
        return 0;
}

int vk_libvirt_secret_define_xml(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);
        VkSecretDefineParams p = {};

        if (vk_libvirt_req_read(req, "su", &p.xml, &req->flags) < 0)
                return 0;
        vk_libvirt_req_send(req, "DefineSecret", &p, secret_on_uuid);
        return 0;
}

/* ---- org.libvirt.Secret ---- */

static void secret_on_xml(VkLibvirtReq *req, void *result) {
        vk_libvirt_req_reply_value(req, "s", ((VkSecretXmlResult *) result)->xml);
}

static int secret_get_xml_desc(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        vk_libvirt_req_send(req, "GetSecretXML", &(VkSecretParams){ .secret = req->key },
                            secret_on_xml);
        return 0;
}

/* secretd's base64 value as "ay"; the decoded copy is wiped. */
static void secret_on_value(VkLibvirtReq *req, void *result) {
        const char *b64 = ((VkSecretValueResult *) result)->value;
        g_autoptr(sd_bus_message) reply = NULL;
        gsize len = 0;
        guchar *value = g_base64_decode(b64, &len);
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(req->call), &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', value, len);
        explicit_bzero(value, len);
        g_free(value);
        if (r < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set_errno(&e, r, "cannot build the reply");
                vk_libvirt_req_fail(req, &e);
                return;
        }
        vk_libvirt_req_reply(req, reply);
}

static int secret_get_value(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        vk_libvirt_req_send(req, "GetSecretValue", &(VkSecretParams){ .secret = req->key },
                            secret_on_value);
        return 0;
}

static int secret_set_value(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);
        const void *value = NULL;
        size_t len = 0;
        g_autofree char *b64 = NULL;
        int r;

        r = sd_bus_message_read_array(vk_call_get_bus_message(call), 'y', &value, &len);
        if (r < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "SetValue: a byte array");
                vk_libvirt_req_fail(req, &e);
                return 0;
        }
        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        b64 = g_base64_encode(value, len);
        vk_libvirt_req_send(req, "SetSecretValue",
                            &(VkSecretSetValueParams){ .secret = req->key, .value = b64 },
                            vk_libvirt_req_done);
        explicit_bzero(b64, strlen(b64));
        return 0;
}

static int secret_undefine(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = SECRET_REQ(call, userdata);

        if (vk_libvirt_req_object(req) < 0)
                return 0;
        vk_libvirt_req_send(req, "UndefineSecret", &(VkSecretParams){ .secret = req->key },
                            vk_libvirt_req_done);
        return 0;
}

static int usage_number(const char *type) {
        for (int i = 0; i < (int) G_N_ELEMENTS(usage_types); i++)
                if (g_strcmp0(type, usage_types[i]) == 0)
                        return i;
        return 0;
}

static void secret_on_properties(VkLibvirtReq *req, void *result) {
        const VkSecretLookupResult *s = result;
        sd_bus_message *reply = vk_libvirt_prop_begin(req);
        int r = reply ? 0 : -ENOMEM;

        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "UUID", "s", s->uuid);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "UsageID", "s", vk_strempty(s->usage_id));
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "UsageType", "i",
                                           usage_number(s->usage_type));
        vk_libvirt_prop_end(req, reply, r);
}

static void secret_get_properties(VkLibvirtReq *req) {
        vk_libvirt_req_send(req, "LookupSecret", &(VkSecretLookupParams){ .uuid = req->key },
                            secret_on_properties);
}

/* secretd's event as SecretEvent(o, i, i) with libvirt's virSecretEventLifecycleType (detail
 * 0); a new value has no lifecycle event in libvirt (and no signal in libvirt-dbus). */
static void secret_on_event(VkLibvirt *lv, JsonObject *params) {
        static const char *const events[] = { "defined", "undefined" };
        g_auto(VkError) e = VK_ERROR_INIT;
        VkSecretEventArgs ev = {};
        g_autofree char *path = NULL;

        if (vk_struct_from_json(&vk_secret_event_type, params, &ev, &e) < 0)
                return;
        for (int i = 0; i < (int) G_N_ELEMENTS(events); i++)
                if (strcmp(ev.event, events[i]) == 0) {
                        path = secret_path(ev.uuid);
                        if (sd_bus_emit_signal(lv->bus, VK_LIBVIRT_PATH, "org.libvirt.Connect",
                                               "SecretEvent", "oii", path, i, 0) < 0)
                                vk_log_debug("Failed to send SecretEvent of %s", ev.uuid);
                }
        vk_struct_clear(&vk_secret_event_type, &ev);
}

static VkForward *secret_forward(VkQemud *q) {
        return q->secret_forward;
}

#define SECRET_METHOD(name, handler, auth, in, out, names)                                         \
        { { name, NULL, NULL, handler, auth, 0, NULL }, in, out, names }

static const VkRawMethod secret_methods[] = {
        SECRET_METHOD("GetValue", secret_get_value, VK_AUTH_MANAGE, "u", "ay", "flags\0value\0"),
        SECRET_METHOD("GetXMLDesc", secret_get_xml_desc, VK_AUTH_READ, "u", "s", "flags\0xml\0"),
        SECRET_METHOD("SetValue", secret_set_value, VK_AUTH_MANAGE, "ayu", "", "value\0flags\0"),
        SECRET_METHOD("Undefine", secret_undefine, VK_AUTH_MANAGE, "", "", ""),
        {},
};

static const VkRawProperty secret_properties[] = {
        { "UUID", "s", vk_libvirt_objects_get_property },
        { "UsageID", "s", vk_libvirt_objects_get_property },
        { "UsageType", "i", vk_libvirt_objects_get_property },
        {},
};

static const VkRawInterface secret_interface = {
        .bus_interface = "org.libvirt.Secret",
        .methods = secret_methods,
        .properties = secret_properties,
};

const VkLibvirtKind vk_libvirt_secret_kind = {
        .what = "Secret",
        .prefix = VK_LIBVIRT_SECRET_PATH,
        .iface = &secret_interface,
        .forward_iface = &vk_qemud_secret_interface,
        .forward = secret_forward,
        .get_properties = secret_get_properties,
        .on_event = secret_on_event,
        .sub_index = 2,
};
