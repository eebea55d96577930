/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt.c: the org.libvirt façade on qemud's bus: setup, the name, properties (events:
 * libvirt-events.c) */
#include <string.h>

#include "conf.h"
#include "libvirt-internal.h"
#include "log.h"
#include "sd-glue.h"

#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

/*
 * Whether qemu.conf (@config_file, which may be missing) turns the façade on: the key
 * "libvirt_dbus" (0 or 1), by default on unless the build turned it off.
 */
int vk_libvirt_read_config(const char *config_file, bool *ret_enabled, VkError *reterr) {
        g_autoptr(VkConf) conf = NULL;
        bool enabled = VK_LIBVIRT_DBUS_DEFAULT;
        int r;

        r = vk_conf_parse_file(config_file, VK_CONF_ALLOW_MISSING, &conf, reterr);
        if (r < 0)
                return r;
        r = vk_conf_get_bool(conf, "libvirt_dbus", &enabled, reterr);
        if (r < 0)
                return r;
        *ret_enabled = enabled;
        return 0;
}

/* The properties of @ri on @path into @reply as a{sv}, each value a variant in a variant. */
static int libvirt_append_all(VkLibvirt *lv, const VkRawInterface *ri, const char *path,
                              sd_bus_message *reply) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        for (const VkRawProperty *p = ri->properties; p && p->name; p++) {
                g_autoptr(sd_bus_message) one = NULL;
                g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;

                /* into a scratch message first: like libvirt-dbus, leave out what fails */
                r = sd_bus_message_new_method_call(lv->bus, &one, NULL, "/", NULL, "P");
                if (r < 0)
                        return r;
                if (p->get(lv->bus, path, ri->bus_interface, p->name, one, lv, &error) < 0 ||
                    sd_bus_error_is_set(&error))
                        continue;
                r = sd_bus_message_seal(one, 1, 0);
                if (r >= 0)
                        r = sd_bus_message_rewind(one, true);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", p->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', "v");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', p->type);
                if (r >= 0)
                        r = sd_bus_message_copy(reply, one, true);
                for (int i = 0; r >= 0 && i < 3; i++)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/*
 * Properties calls on our objects before sd-bus answers them: GetAll as libvirt-dbus does
 * (each value a variant inside the variant, which clients such as Cockpit unwrap), and the
 * writable Autostart, whose change needs an authorised (asynchronous) call. Returns 0 for
 * anything else: sd-bus answers it from the vtables.
 */
static int libvirt_on_properties(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        const char *path = sd_bus_message_get_path(msg), *iface = NULL;
        const VkRawInterface *ri = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *uuid = NULL;
        VkDomainObj *obj;
        int r;

        if (!sd_bus_message_is_method_call(msg, PROPERTIES_INTERFACE, NULL))
                return 0;
        if (sd_bus_message_read(msg, "s", &iface) < 0 || sd_bus_message_rewind(msg, true) < 0)
                return 0; /* sd-bus answers the bad call */
        if (strcmp(path, VK_LIBVIRT_PATH) == 0 &&
            strcmp(iface, vk_libvirt_connect_interface.bus_interface) == 0)
                ri = &vk_libvirt_connect_interface;
        else if (strcmp(iface, vk_libvirt_domain_interface.bus_interface) == 0 &&
                 vk_libvirt_domain_uuid(path, &uuid) >= 0) {
                if (vk_qemu_driver_lookup_by(lv->q->driver, NULL, uuid, 0, &obj, NULL) < 0)
                        return 0; /* sd-bus finds no object: UnknownObject */
                ri = &vk_libvirt_domain_interface;
        }
        if (!ri)
                return 0;

        if (sd_bus_message_is_method_call(msg, NULL, "Set") && ri == &vk_libvirt_domain_interface)
                return vk_libvirt_domain_set_autostart(lv, msg);
        if (!sd_bus_message_is_method_call(msg, NULL, "GetAll") ||
            strcmp(sd_bus_message_get_signature(msg, true), "s") != 0)
                return 0;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = libvirt_append_all(lv, ri, path, reply);
        if (r < 0)
                return sd_bus_reply_method_errnof(msg, r, "GetAll failed: %m");
        return sd_bus_message_send(reply);
}

/*
 * Serve org.libvirt.Connect on /org/libvirt/QEMU, org.libvirt.Domain on every domain's
 * object and the network, storage pool, volume and secret objects (libvirt-objects.c) on @bus, the
 * bus connection of @service, with @q's driver, and ask for the name org.libvirt unless someone
 * owns it (vk_service_add_bus_name(): never replacing it, never queueing for it, given up with the
 * service's own name before an idle exit). Set q->libvirt to the result so the handlers find it.
 * Runs on the loop.
 */
int vk_libvirt_new(VkQemud *q, VkService *service, sd_bus *bus, VkLibvirt **ret, VkError *reterr) {
        g_autoptr(VkLibvirt) lv = g_new0(VkLibvirt, 1);
        int r;

        lv->q = q;
        lv->service = service;
        lv->bus = sd_bus_ref(bus);
        lv->connect_vtable =
                vk_raw_vtable_new(&vk_libvirt_connect_interface, vk_libvirt_connect_on_method);
        lv->domain_vtable =
                vk_raw_vtable_new(&vk_libvirt_domain_interface, vk_libvirt_domain_on_method);

        /* sd-bus asks the longest prefix first: the domains' own, then the root's */
        r = sd_bus_add_fallback(bus, &lv->properties_slot, VK_LIBVIRT_PATH, libvirt_on_properties,
                                lv);
        if (r >= 0)
                r = sd_bus_add_fallback(bus, &lv->domain_properties_slot, VK_LIBVIRT_DOMAIN_PATH,
                                        libvirt_on_properties, lv);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, &lv->connect_slot, VK_LIBVIRT_PATH,
                                             vk_libvirt_connect_interface.bus_interface,
                                             lv->connect_vtable, lv);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, &lv->domain_slot, VK_LIBVIRT_DOMAIN_PATH,
                                               vk_libvirt_domain_interface.bus_interface,
                                               lv->domain_vtable, vk_libvirt_domain_find, lv);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, &lv->enumerator_slot, VK_LIBVIRT_DOMAIN_PATH,
                                               vk_libvirt_domain_enumerate, lv);
        if (r >= 0)
                r = vk_libvirt_objects_new(lv);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot export org.libvirt on the bus");
        r = vk_service_add_bus_name(service, VK_LIBVIRT_BUS_NAME);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot request the bus name %s",
                                          VK_LIBVIRT_BUS_NAME);
        q->libvirt = lv;
        *ret = g_steal_pointer(&lv);
        return 0;
}

/* Stop serving org.libvirt (the name goes with the connection). Takes NULL. */
VkLibvirt *vk_libvirt_free(VkLibvirt *lv) {
        if (!lv)
                return NULL;
        if (lv->q && lv->q->libvirt == lv)
                lv->q->libvirt = NULL;
        vk_libvirt_objects_free(lv);
        sd_bus_slot_unref(lv->enumerator_slot);
        sd_bus_slot_unref(lv->domain_slot);
        sd_bus_slot_unref(lv->connect_slot);
        sd_bus_slot_unref(lv->domain_properties_slot);
        sd_bus_slot_unref(lv->properties_slot);
        g_free(lv->domain_vtable);
        g_free(lv->connect_vtable);
        sd_bus_unref(lv->bus);
        g_free(lv);
        return NULL;
}
