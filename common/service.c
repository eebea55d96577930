/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.c: VkService serves one interface on varlink and D-Bus and holds its bus name */
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "sd-glue.h"
#include "service-internal.h"

void service_activity(VkService *s) {
        if (s->activity_cb)
                s->activity_cb(s, s->activity_ud);
}

/* The interface of @s->iface->forwards named @name (varlink, or D-Bus with @bus); NULL if none. */
const VkInterface *service_find_forward(VkService *s, const char *name, bool bus) {
        for (const VkInterface *const *f = s->iface->forwards; name && f && *f; f++)
                if (strcmp(bus ? (*f)->bus_interface : (*f)->varlink_name, name) == 0)
                        return *f;
        return NULL;
}

static void service_slot_free(gpointer slot) {
        sd_bus_slot_unref(slot);
}

/* Create a service for @opts->iface on @event. Attach wires with the functions below. */
int vk_service_new(sd_event *event, const VkServiceOptions *opts, VkService **ret) {
        g_autoptr(VkService) s = g_new0(VkService, 1);
        int r;

        s->event = sd_event_ref(event);
        s->iface = opts->iface;
        s->userdata = opts->userdata;
        s->session = opts->session;
        s->uid = getuid();
        s->product = g_strdup(opts->product ? opts->product : "virtkit");
        s->instance = g_strdup(opts->instance ? opts->instance : "system");
        s->uid_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        s->vtable_strings = g_ptr_array_new_with_free_func(g_free);

        r = vk_varlink_server_new(event, opts->limits, service_on_varlink_method,
                                  service_on_varlink_connection, s, &s->varlink);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&s);
        return 0;
}

/* Free the service: connections close, the bus objects go away. Takes NULL. */
VkService *vk_service_free(VkService *s) {
        if (!s)
                return NULL;
        s->activity_cb = NULL;
        vk_varlink_server_free(s->varlink);
        sd_bus_slot_unref(s->name_slot);
        sd_bus_slot_unref(s->vtable_slot);
        if (s->objects)
                g_ptr_array_unref(s->objects);
        sd_bus_slot_unref(s->object_manager_slot);
        if (s->forward_slots)
                g_ptr_array_unref(s->forward_slots);
        if (s->forward_vtables)
                g_ptr_array_unref(s->forward_vtables);
        if (s->extra_names)
                g_ptr_array_unref(s->extra_names);
        if (s->polkit_bus != s->bus)
                sd_bus_flush_close_unref(s->polkit_bus);
        sd_bus_unref(s->bus);
        g_free(s->vtable);
        g_ptr_array_unref(s->vtable_strings);
        g_hash_table_unref(s->uid_cache);
        g_free(s->idl);
        g_free(s->product);
        g_free(s->instance);
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}

/* Serve varlink on a listening socket from socket activation. Takes ownership of @fd. */
int vk_service_add_varlink_fd(VkService *s, int fd) {
        return vk_varlink_server_add_fd(s->varlink, fd);
}

/* Serve one connected varlink stream (takes ownership of @fd). */
int vk_service_add_varlink_connection(VkService *s, int fd) {
        return vk_varlink_server_add_connection(s->varlink, fd);
}

/* Bind the varlink socket @path ourselves (started by hand). */
int vk_service_listen_varlink(VkService *s, const char *path, mode_t mode, VkError *reterr) {
        return vk_varlink_server_listen(s->varlink, path, mode, reterr);
}

static int service_on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkService *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        s->name_slot = sd_bus_slot_unref(s->name_slot);
        if (e)
                vk_log_warning("Cannot own the bus name %s, D-Bus clients cannot reach us: %s",
                               s->iface->bus_name, e->message ? e->message : e->name);
        else
                vk_log_debug("Acquired bus name %s", s->iface->bus_name);
        return 0;
}

/*
 * Export the interface on @bus (attached to the service's loop by the caller) at
 * iface->bus_path and ask for iface->bus_name asynchronously.
 */
int vk_service_attach_bus(VkService *s, sd_bus *bus, VkError *reterr) {
        int r;

        s->bus = sd_bus_ref(bus);
        s->vtable = vk_bus_vtable_new(s->iface, service_on_bus_method, s->vtable_strings);
        r = sd_bus_add_object_vtable(bus, &s->vtable_slot, s->iface->bus_path,
                                     s->iface->bus_interface, s->vtable, s);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                          s->iface->bus_interface);
        for (const VkInterface *const *f = s->iface->forwards; f && *f; f++) {
                sd_bus_vtable *vt = vk_bus_vtable_new(*f, service_on_bus_method, s->vtable_strings);
                sd_bus_slot *slot = NULL;

                if (!s->forward_slots) {
                        s->forward_slots = g_ptr_array_new_with_free_func(service_slot_free);
                        s->forward_vtables = g_ptr_array_new_with_free_func(g_free);
                }
                g_ptr_array_add(s->forward_vtables, vt);
                r = sd_bus_add_object_vtable(bus, &slot, s->iface->bus_path, (*f)->bus_interface,
                                             vt, s);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                                  (*f)->bus_interface);
                g_ptr_array_add(s->forward_slots, slot);
        }
        if (s->iface->objects && s->iface->objects[0].bus_interface) {
                r = sd_bus_add_object_manager(bus, &s->object_manager_slot, s->iface->bus_path);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot add an object manager at %s",
                                                  s->iface->bus_path);
                s->objects = g_ptr_array_new_with_free_func((GDestroyNotify) service_objects_free);
                for (const VkObjectInterface *oi = s->iface->objects; oi->bus_interface; oi++) {
                        r = service_export_objects(s, oi, reterr);
                        if (r < 0)
                                return r;
                }
        }
        if (sd_bus_is_bus_client(bus) <= 0)
                return 0; /* a direct connection (tests, peer-to-peer): no names there */
        r = sd_bus_request_name_async(bus, &s->name_slot, s->iface->bus_name, 0,
                                      service_on_name_acquired, s);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot request the bus name %s",
                                          s->iface->bus_name);
        return 0;
}

static int service_on_extra_name(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint32_t result = 0;

        /* RequestName's answer: 1 primary owner, 3 exists (we do not queue), 4 already ours */
        if (!e && sd_bus_message_read(m, "u", &result) >= 0 && (result == 1 || result == 4))
                vk_log_debug("Acquired bus name %s", name);
        else
                vk_log_info("The bus name %s is taken, going on without it%s%s", name,
                            e ? ": " : "", e ? (e->message ? e->message : e->name) : "");
        return 0;
}

/*
 * Ask for one more bus name @name (a string that outlives the service) on the service's bus,
 * for another interface served on the same connection: only when nobody owns it (never
 * replacing the owner, never queueing for it); when it is taken, an info line says so and the
 * service goes on without it. vk_service_release_bus_name() gives it up too. Returns 0 (also
 * without a bus or on a direct connection: no names there), or the sd-bus error.
 */
int vk_service_add_bus_name(VkService *s, const char *name) {
        int r;

        if (!s->bus || sd_bus_is_bus_client(s->bus) <= 0)
                return 0;
        r = sd_bus_request_name_async(s->bus, NULL, name, /* flags= */ 0, service_on_extra_name,
                                      (void *) name);
        if (r < 0)
                return r;
        if (!s->extra_names)
                s->extra_names = g_ptr_array_new();
        g_ptr_array_add(s->extra_names, (void *) name);
        return 0;
}

/* Use @system_bus for polkit checks instead of opening a connection when first needed. */
void vk_service_set_polkit_bus(VkService *s, sd_bus *system_bus) {
        if (s->polkit_bus && s->polkit_bus != s->bus)
                sd_bus_flush_close_unref(s->polkit_bus);
        s->polkit_bus = system_bus;
}

/* @cb runs on every call start and end and every connection open and close. */
void vk_service_set_activity_callback(VkService *s, void (*cb)(VkService *s, void *ud), void *ud) {
        s->activity_cb = cb;
        s->activity_ud = ud;
}

/* True when no varlink client is connected and no call is in progress. */
bool vk_service_is_idle(VkService *s) {
        return s->n_calls == 0 && vk_varlink_server_n_connections(s->varlink) == 0;
}

/* Leave new varlink connections in the socket's backlog (for the next instance). */
void vk_service_stop_accepting(VkService *s) {
        vk_varlink_server_set_accepting(s->varlink, false);
}

static int service_on_name_released(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkService *s = userdata;

        s->name_slot = sd_bus_slot_unref(s->name_slot);
        if (s->released_cb)
                s->released_cb(s, s->released_ud);
        return 0;
}

/*
 * Give up the bus name before an idle exit, so that the bus activates a new instance for
 * callers from now on; calls that were queued before the release still reach us and are
 * answered. Returns 1 when @done will run (from the loop) once the bus confirmed, 0 when there
 * is no bus and so nothing to wait for, < 0 on failure.
 */
int vk_service_release_bus_name(VkService *s, void (*done)(VkService *s, void *ud), void *ud) {
        int r;

        if (!s->bus || sd_bus_is_bus_client(s->bus) <= 0)
                return 0;
        s->released_cb = done;
        s->released_ud = ud;
        /* first: the bus answers in order, so once ours is released these are too */
        for (guint i = 0; s->extra_names && i < s->extra_names->len; i++)
                (void) sd_bus_release_name_async(s->bus, NULL, s->extra_names->pdata[i], NULL,
                                                 NULL);
        s->name_slot = sd_bus_slot_unref(s->name_slot);
        r = sd_bus_release_name_async(s->bus, &s->name_slot, s->iface->bus_name,
                                      service_on_name_released, s);
        return r < 0 ? r : 1;
}

sd_event *vk_service_get_event(VkService *s) {
        return s->event;
}

const VkInterface *vk_service_get_interface(VkService *s) {
        return s->iface;
}

void *vk_service_get_userdata(VkService *s) {
        return s->userdata;
}

const char *vk_service_get_product(VkService *s) {
        return s->product;
}

const char *vk_service_get_instance(VkService *s) {
        return s->instance;
}

/*
 * Emit the signal @member, declared in the interface's signals, with @args (a struct of the
 * signal's argument type; NULL for none) from the interface's object on the bus. Returns 0
 * (also without a bus: there is nobody to tell), -ENOENT for an undeclared signal, or the
 * sd-bus error.
 */
int vk_service_emit_signal(VkService *s, const char *member, const void *args) {
        g_autoptr(sd_bus_message) m = NULL;
        const VkSignal *sig = NULL;
        int r;

        for (const VkSignal *i = s->iface->signals; i && i->name; i++)
                if (strcmp(i->name, member) == 0)
                        sig = i;
        if (!sig)
                return -ENOENT;
        if (!s->bus)
                return 0;
        r = sd_bus_message_new_signal(s->bus, &m, s->iface->bus_path, s->iface->bus_interface,
                                      member);
        if (r < 0)
                return r;
        if (sig->args) {
                r = vk_bus_append_struct(m, sig->args, args);
                if (r < 0)
                        return r;
        }
        r = sd_bus_send(s->bus, m, NULL);
        return r < 0 ? r : 0;
}
