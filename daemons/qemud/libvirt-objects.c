/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-objects.c: what the network, storage and secret objects of the façade share */
#include <string.h>

#include "json.h"
#include "libvirt-internal.h"
#include "log.h"
#include "sd-glue.h"

/*
 * The networks, pools, volumes and secrets live in the sibling daemons: every org.libvirt call
 * on them is authorised here for its caller with the sibling's own polkit action (as
 * io.virtkit.Network on qemud's front door is, forward.c), then runs as one or more requests
 * to the sibling (vk_forward_request(), asynchronous: the loop never waits), each declared by
 * the sibling's api-decl.h, whose results are read into those structs. A request's step
 * either answers the call or sends the next request.
 */

/* ---- requests ---- */

VkLibvirtReq *vk_libvirt_req_new(VkCall *call, const VkLibvirtKind *kind, void *userdata) {
        VkLibvirtReq *req = g_new0(VkLibvirtReq, 1);

        req->call = vk_call_ref(call);
        req->kind = kind;
        req->q = userdata;
        return req;
}

static void req_free(VkLibvirtReq *req) {
        vk_call_unref(req->call);
        g_free(req->key);
        g_free(req->not_found);
        g_free(req->s1);
        g_free(req->s2);
        g_free(req->prop);
        g_free(req);
}

/* An unreachable sibling (no socket, nobody listening): List* answer an empty list then. */
static bool error_is_unreachable(const VkError *e) {
        return e->name && g_str_has_suffix(e->name, VK_ERROR_OPERATION_FAILED) &&
               (e->error == -ENOENT || e->error == -ECONNREFUSED);
}

/* Answer the call with @e (the "not found" of a sibling in libvirt's words) and end @req. */
void vk_libvirt_req_fail(VkLibvirtReq *req, const VkError *e) {
        static const struct {
                const char *suffix, *prefix;
        } not_found[] = {
                { ".NoSuchNetwork", "Network not found: " },
                { ".NoSuchPool", "Storage pool not found: " },
                { ".NoSuchVolume", "Storage volume not found: " },
                { ".NoSuchSecret", "Secret not found: " },
        };
        g_auto(VkError) mine = VK_ERROR_INIT;

        if (req->list && error_is_unreachable(e)) {
                (void) vk_libvirt_reply_strv(req->call, NULL);
                req_free(req);
                return;
        }
        for (size_t i = 0; e->name && i < G_N_ELEMENTS(not_found); i++)
                if (g_str_has_suffix(e->name, not_found[i].suffix)) {
                        vk_error_set(&mine, VK_LIBVIRT_ERROR, -ENOENT, "%s%s", not_found[i].prefix,
                                     req->not_found ? req->not_found : e->message);
                        e = &mine;
                }
        (void) vk_libvirt_fail(req->call, e);
        req_free(req);
}

/* Answer the call with @reply (NULL: an empty reply) and end @req. */
void vk_libvirt_req_reply(VkLibvirtReq *req, sd_bus_message *reply) {
        g_autoptr(sd_bus_message) empty = NULL;

        if (!reply &&
            sd_bus_message_new_method_return(vk_call_get_bus_message(req->call), &empty) >= 0)
                reply = empty;
        if (reply)
                (void) vk_call_reply_message(req->call, reply);
        req_free(req);
}

/* Answer with one value of D-Bus @types ("s", "o", "(ittt)"...) and end @req. */
void vk_libvirt_req_reply_value(VkLibvirtReq *req, const char *types, ...) {
        g_autoptr(sd_bus_message) reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(req->call), &reply);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(reply, types, ap);
                va_end(ap);
        }
        if (r < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set_errno(&e, r, "cannot build the reply");
                vk_libvirt_req_fail(req, &e);
                return;
        }
        vk_libvirt_req_reply(req, reply);
}

/* Answer with the paths @paths ("ao", NULL-terminated) and end @req. */
void vk_libvirt_req_reply_paths(VkLibvirtReq *req, GPtrArray *paths) {
        g_ptr_array_add(paths, NULL);
        (void) vk_libvirt_reply_strv(req->call, (const char *const *) paths->pdata);
        req_free(req);
}

static void req_on_reply(JsonObject *params, const VkError *error, bool continues, void *userdata) {
        VkLibvirtReq *req = userdata;
        const VkMethod *m = req->method;
        g_auto(VkError) e = VK_ERROR_INIT;
        void *result = NULL;

        if (error) {
                vk_libvirt_req_fail(req, error);
                return;
        }
        if (m->out) {
                result = g_malloc0(m->out->size);
                if (vk_struct_from_json(m->out, params, result, &e) < 0) {
                        vk_struct_free(m->out, result);
                        vk_error_set(&e, VK_ERROR_INTERNAL, -EPROTO,
                                     "%s answered %s with an unexpected result",
                                     vk_forward_daemon(req->forward), m->name);
                        vk_libvirt_req_fail(req, &e);
                        return;
                }
        }
        req->step(req, result); /* replies or sends the next request: @req may be gone */
        /* values (Secret.GetValue) pass through here: wipe the strings before freeing them */
        for (const VkField *f = m->out ? m->out->fields : NULL; f && f->name; f++)
                if (f->type == VK_FIELD_STRING && *(char **) VK_FIELD_PTR(result, f))
                        explicit_bzero(*(char **) VK_FIELD_PTR(result, f),
                                       strlen(*(char **) VK_FIELD_PTR(result, f)));
        vk_struct_free(m ? m->out : NULL, result);
}

/*
 * Call the sibling's @method (its declaration in the kind's forwarded interface) with
 * @params (its "in" struct, NULL for none); @step gets the result struct (NULL without one),
 * or the call is answered with the error. Nothing may touch @req after this.
 */
void vk_libvirt_req_send(VkLibvirtReq *req, const char *method, const void *params,
                         VkLibvirtStep step) {
        const VkMethod *m = vk_interface_find_method(req->kind->forward_iface, method);
        g_autoptr(JsonNode) json = NULL;

        g_assert(m);
        req->method = m;
        req->step = step;
        req->forward = req->kind->forward(req->q);
        vk_libvirt_subscribe(req->q->libvirt, req->kind);
        json = m->in && params ? vk_struct_to_json(m->in, params) : NULL;
        vk_forward_request(req->forward, m->name, json, false, req_on_reply, req);
}

/* Read the call's arguments; a wrong signature was refused by sd-bus already. */
int vk_libvirt_req_read(VkLibvirtReq *req, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_message_readv(vk_call_get_bus_message(req->call), types, ap);
        va_end(ap);
        if (r < 0)
                req_free(req);
        return r;
}

/* The UUID in the call's object path (the kind's prefix), or the call is answered: -ENOENT. */
int vk_libvirt_req_object(VkLibvirtReq *req) {
        const char *path = sd_bus_message_get_path(vk_call_get_bus_message(req->call));
        g_auto(VkError) e = VK_ERROR_INIT;
        int r;

        r = req->kind->key_of_path ? req->kind->key_of_path(path, &req->key)
                                   : vk_libvirt_path_uuid(req->kind->prefix, path, &req->key);
        if (r >= 0)
                return 0;
        vk_error_set(&e, VK_LIBVIRT_ERROR, -ENOENT, "%s not found: no object at %s",
                     req->kind->what, path);
        vk_libvirt_req_fail(req, &e);
        return -ENOENT;
}

/* A member that runs one request on the object and answers empty: flags first, if any. */
void vk_libvirt_req_done(VkLibvirtReq *req, void *result) {
        vk_libvirt_req_reply(req, NULL);
}

/* ---- properties: Get and GetAll answered from a lookup in the sibling ---- */

/*
 * Append @name's value (D-Bus @type) to a Properties reply: for GetAll (@req->prop NULL) as
 * {sv} with the value a variant in the variant (libvirt-dbus), for Get when @name is the one
 * asked for, as the one variant.
 */
int vk_libvirt_prop_append(VkLibvirtReq *req, sd_bus_message *reply, const char *name,
                           const char *type, ...) {
        va_list ap;
        int r;

        if (req->prop && strcmp(req->prop, name) != 0)
                return 0;
        if (!req->prop) {
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", name);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', "v");
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_open_container(reply, 'v', type);
        if (r >= 0) {
                va_start(ap, type);
                r = sd_bus_message_appendv(reply, type, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        for (int i = 0; r >= 0 && !req->prop && i < 2; i++)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                req->prop_found = true;
        return r;
}

/* Start a Properties reply (GetAll: open the a{sv}). */
sd_bus_message *vk_libvirt_prop_begin(VkLibvirtReq *req) {
        sd_bus_message *reply = NULL;

        if (sd_bus_message_new_method_return(vk_call_get_bus_message(req->call), &reply) < 0)
                return NULL;
        if (!req->prop && sd_bus_message_open_container(reply, 'a', "{sv}") < 0)
                return sd_bus_message_unref(reply);
        return reply;
}

/* Finish and send a Properties reply whose building returned @r, and end @req. */
void vk_libvirt_prop_end(VkLibvirtReq *req, sd_bus_message *reply, int r) {
        g_autoptr(sd_bus_message) owned = reply;
        g_auto(VkError) e = VK_ERROR_INIT;

        if (r >= 0 && !reply)
                r = -ENOMEM;
        if (r >= 0 && !req->prop)
                r = sd_bus_message_close_container(reply);
        if (r >= 0 && req->prop && !req->prop_found) {
                vk_error_set(&e, VK_LIBVIRT_ERROR, -ENOENT, "no property %s on %s", req->prop,
                             req->kind->iface->bus_interface);
                vk_libvirt_req_fail(req, &e);
                return;
        }
        if (r < 0) {
                vk_error_set_errno(&e, r, "cannot build the properties");
                vk_libvirt_req_fail(req, &e);
                return;
        }
        vk_libvirt_req_reply(req, reply);
}

static const VkLibvirtKind *const kinds[] = {
        &vk_libvirt_network_kind,
        &vk_libvirt_pool_kind,
        &vk_libvirt_vol_kind,
        &vk_libvirt_secret_kind,
        NULL,
};

static const VkLibvirtKind *kind_of_path(const char *path) {
        for (size_t i = 0; kinds[i]; i++)
                if (g_str_has_prefix(path, kinds[i]->prefix) &&
                    path[strlen(kinds[i]->prefix)] == '/')
                        return kinds[i];
        return NULL;
}

static int props_get(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        const VkLibvirtKind *kind = kind_of_path(sd_bus_message_get_path(msg));
        VkLibvirtReq *req = vk_libvirt_req_new(call, kind, userdata);
        const char *iface, *name = NULL;

        if (sd_bus_message_is_method_call(msg, NULL, "Get")) {
                if (vk_libvirt_req_read(req, "ss", &iface, &name) < 0)
                        return 0; /* checked before the dispatch */
                req->prop = g_strdup(name);
        }
        if (vk_libvirt_req_object(req) < 0)
                return 0;
        kind->get_properties(req);
        return 0;
}

static int props_set_autostart(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        const VkLibvirtKind *kind = kind_of_path(sd_bus_message_get_path(msg));
        VkLibvirtReq *req = vk_libvirt_req_new(call, kind, userdata);
        const char *iface, *name;
        int enabled;

        if (sd_bus_message_read(msg, "ss", &iface, &name) < 0 ||
            sd_bus_message_enter_container(msg, 'v', "b") < 0 ||
            sd_bus_message_read(msg, "b", &enabled) < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "Autostart: the value must be a boolean");
                vk_libvirt_req_fail(req, &e);
                return 0;
        }
        if (vk_libvirt_req_object(req) < 0)
                return 0;
        kind->set_autostart(req, enabled);
        return 0;
}

static const VkMethod props_get_method = {
        "Get", NULL, NULL, props_get, VK_AUTH_READ, 0, NULL,
};

static const VkMethod props_set_autostart_method = {
        "Set", NULL, NULL, props_set_autostart, VK_AUTH_MANAGE, 0, NULL,
};

/*
 * A Properties call @msg on a network, pool, volume or secret object of interface @iface:
 * answered here (asynchronously, authorised like the object's members). Returns 0 when it
 * is none of ours (sd-bus answers it), else 1.
 */
int vk_libvirt_objects_on_properties(VkLibvirt *lv, sd_bus_message *msg, const char *iface) {
        const VkLibvirtKind *kind = kind_of_path(sd_bus_message_get_path(msg));
        const char *sig = sd_bus_message_get_signature(msg, true), *name = NULL;
        const VkMethod *m = &props_get_method;

        if (!kind || strcmp(iface, kind->iface->bus_interface) != 0)
                return 0;
        if (sd_bus_message_is_method_call(msg, NULL, "Set")) {
                if (!kind->set_autostart || strcmp(sig, "ssv") != 0 ||
                    sd_bus_message_read(msg, "ss", &iface, &name) < 0 ||
                    sd_bus_message_rewind(msg, true) < 0 || strcmp(name, "Autostart") != 0)
                        return 0; /* sd-bus refuses it: read-only */
                m = &props_set_autostart_method;
        } else if (!(sd_bus_message_is_method_call(msg, NULL, "GetAll") && strcmp(sig, "s") == 0) &&
                   !(sd_bus_message_is_method_call(msg, NULL, "Get") && strcmp(sig, "ss") == 0))
                return 0;
        return vk_service_dispatch_raw(lv->service, kind->forward_iface, m, msg, VK_LIBVIRT_ERROR);
}

/* ---- the members: one handler per interface, authorised with the sibling's actions ---- */

int vk_libvirt_objects_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        const VkLibvirtKind *kind = kind_of_path(sd_bus_message_get_path(msg));
        const VkRawMethod *m;

        m = kind ? vk_raw_interface_find(kind->iface, sd_bus_message_get_member(msg)) : NULL;
        if (!m)
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s",
                                                  sd_bus_message_get_member(msg));
        return vk_service_dispatch_raw(lv->service, kind->forward_iface, &m->method, msg,
                                       VK_LIBVIRT_ERROR);
}

/* sd-bus's question whether @path is one of our objects: any well-formed path is (the
 * sibling decides on each call whether the object exists, as libvirt-dbus's lookup does). */
int vk_libvirt_objects_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                            void **ret_found, sd_bus_error *ret_error) {
        const VkLibvirtKind *kind = kind_of_path(path);
        g_autofree char *key = NULL;

        if (!kind || (kind->key_of_path ? kind->key_of_path(path, &key)
                                        : vk_libvirt_path_uuid(kind->prefix, path, &key)) < 0)
                return 0;
        *ret_found = userdata;
        return 1;
}

/* Never reached: libvirt.c answers every Properties call on these objects. */
int vk_libvirt_objects_get_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *ret_error) {
        return sd_bus_error_set(ret_error, VK_LIBVIRT_ERROR, "not available");
}

int vk_libvirt_objects_set_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *value, void *userdata,
                                    sd_bus_error *ret_error) {
        return sd_bus_error_set(ret_error, SD_BUS_ERROR_ACCESS_DENIED, "not authorised");
}

/* ---- events: one SubscribeEvents stream per sibling, opened on first use ---- */

static void subscription_on_event(JsonObject *params, const VkError *error, bool continues,
                                  void *userdata) {
        VkLibvirtSubscription *sub = userdata;

        if (error) {
                /* ended (the sibling exited) or never started: the next call opens it again */
                vk_log_debug("org.libvirt: the event stream of %s ended: %s",
                             vk_forward_daemon(sub->kind->forward(sub->lv->q)), error->message);
                sub->active = false;
                return;
        }
        sub->kind->on_event(sub->lv, params);
        if (!continues)
                sub->active = false;
}

/*
 * Make sure the events of @kind's sibling come in: its SubscribeEvents stream, opened by the
 * first call of that kind and again by the first call after it ended (the sibling exited).
 * Opened lazily so that a sibling nobody asks about is not kept from its idle exit.
 */
void vk_libvirt_subscribe(VkLibvirt *lv, const VkLibvirtKind *kind) {
        VkLibvirtSubscription *sub;

        if (!lv || !kind->on_event)
                return;
        sub = &lv->subs[kind->sub_index];
        if (sub->active)
                return;
        sub->lv = lv;
        sub->kind = kind;
        sub->active = true;
        vk_forward_request(kind->forward(lv->q), "SubscribeEvents", NULL, true,
                           subscription_on_event, sub);
}

/* ---- helpers of the kinds ---- */

/* A pair of libvirt's list flags (ACTIVE/INACTIVE, ...): neither set passes everything. */
bool vk_libvirt_flag_pair(uint32_t flags, uint32_t yes, uint32_t no, bool value) {
        if (!(flags & (yes | no)))
                return true;
        return (flags & yes && value) || (flags & no && !value);
}

/*
 * The authorisation of a Connect member: those on networks, pools, volumes and secrets are
 * authorised with the sibling's actions (io.virtkit.network.manage, ...), the rest with
 * qemud's.
 */
const VkInterface *vk_libvirt_auth_of_member(const char *member) {
        static const struct {
                const char *word;
                const VkLibvirtKind *kind;
        } words[] = {
                { "Network", &vk_libvirt_network_kind },
                { "Storage", &vk_libvirt_pool_kind },
                { "Secret", &vk_libvirt_secret_kind },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
                if (strstr(member, words[i].word))
                        return words[i].kind->forward_iface;
        return &vk_libvirt_auth_interface;
}

/* ---- setup ---- */

static int objects_on_properties(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        const char *iface = NULL;

        if (!sd_bus_message_is_method_call(msg, "org.freedesktop.DBus.Properties", NULL))
                return 0;
        if (sd_bus_message_read(msg, "s", &iface) < 0 || sd_bus_message_rewind(msg, true) < 0)
                return 0; /* sd-bus answers the bad call */
        return vk_libvirt_objects_on_properties(lv, msg, iface);
}

/*
 * Export the network, pool, volume and secret objects on lv->bus: each kind's interface as a
 * fallback vtable under its prefix, and before it (same prefix: sd-bus runs a node's
 * callbacks before its vtables) the handler that answers Properties calls asynchronously.
 */
int vk_libvirt_objects_new(VkLibvirt *lv) {
        int r = 0;

        for (size_t i = 0; r >= 0 && kinds[i]; i++) {
                lv->object_vtables[i] =
                        vk_raw_vtable_new(kinds[i]->iface, vk_libvirt_objects_on_method);
                r = sd_bus_add_fallback(lv->bus, &lv->object_properties_slots[i], kinds[i]->prefix,
                                        objects_on_properties, lv);
                if (r >= 0)
                        r = sd_bus_add_fallback_vtable(
                                lv->bus, &lv->object_slots[i], kinds[i]->prefix,
                                kinds[i]->iface->bus_interface, lv->object_vtables[i],
                                vk_libvirt_objects_find, lv);
        }
        return r;
}

void vk_libvirt_objects_free(VkLibvirt *lv) {
        for (size_t i = 0; i < VK_LIBVIRT_N_KINDS; i++) {
                lv->object_slots[i] = sd_bus_slot_unref(lv->object_slots[i]);
                lv->object_properties_slots[i] = sd_bus_slot_unref(lv->object_properties_slots[i]);
                g_free(lv->object_vtables[i]);
                lv->object_vtables[i] = NULL;
        }
}
