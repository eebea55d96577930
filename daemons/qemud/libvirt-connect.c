/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-connect.c: org.libvirt.Connect on /org/libvirt/QEMU, the name, the properties */
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "libvirt-internal.h"
#include "log.h"
#include "sd-glue.h"

/* libvirt's number of the version whose API we answer for (9.0.0, Debian 12's) */
#define LIBVIRT_API_VERSION UINT64_C(9000000)

/* virConnectListAllDomainsFlags */
enum {
        LIST_ACTIVE = 1 << 0,
        LIST_INACTIVE = 1 << 1,
        LIST_PERSISTENT = 1 << 2,
        LIST_TRANSIENT = 1 << 3,
        LIST_RUNNING = 1 << 4,
        LIST_PAUSED = 1 << 5,
        LIST_SHUTOFF = 1 << 6,
        LIST_OTHER = 1 << 7,
        LIST_AUTOSTART = 1 << 10,
        LIST_NO_AUTOSTART = 1 << 11,
};

/* Authorisation of org.libvirt calls: our polkit actions (io.virtkit.qemu.manage). */
const VkInterface vk_libvirt_auth_interface = {
        .varlink_name = "org.libvirt",
        .bus_name = VK_LIBVIRT_BUS_NAME,
        .bus_path = VK_LIBVIRT_PATH,
        .bus_interface = "org.libvirt.Connect",
        .polkit_prefix = "io.virtkit.qemu",
};

/*
 * Answer @call with org.libvirt.Error and a message the way libvirt words it (clients match
 * the start: "Domain not found: ..."). Returns 0.
 */
int vk_libvirt_fail(VkCall *call, const VkError *error) {
        static const struct {
                const char *name, *prefix;
        } prefixes[] = {
                { "NoSuchDomain", "Domain not found: " },
                { "NoDomainMetadata", "metadata not found: " },
                { VK_ERROR_INVALID_XML, "XML error: " },
                { VK_ERROR_INVALID_ARGUMENT, "invalid argument: " },
                { VK_ERROR_OPERATION_INVALID, "Requested operation is not valid: " },
                { VK_ERROR_NOT_SUPPORTED, "this function is not supported: " },
                { VK_ERROR_PERMISSION_DENIED, "access denied: " },
        };
        g_auto(VkError) e = VK_ERROR_INIT;
        const char *prefix = "";

        for (size_t i = 0; error->name && i < G_N_ELEMENTS(prefixes); i++)
                if (g_str_has_suffix(error->name, prefixes[i].name))
                        prefix = prefixes[i].prefix;
        vk_error_set(&e, VK_LIBVIRT_ERROR, error->error ? error->error : -EIO, "%s%s", prefix,
                     error->message ? error->message : "internal error");
        (void) vk_call_reply_error(call, &e);
        return 0;
}

/* The completion of an asynchronous driver call whose reply is empty (Create, Destroy, ...). */
void vk_libvirt_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                        void *userdata) {
        VkCall *call = userdata;
        g_autoptr(sd_bus_message) reply = NULL;

        if (error)
                (void) vk_libvirt_fail(call, error);
        else if (sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply) >= 0)
                (void) vk_call_reply_message(call, reply);
        vk_call_unref(call);
}

/* The completion of an asynchronous driver call that replies with its string result. */
static void connect_on_string(VkQemuDriver *drv, const char *result, const VkError *error,
                              void *userdata) {
        VkCall *call = userdata;
        g_autoptr(sd_bus_message) reply = NULL;

        if (error)
                (void) vk_libvirt_fail(call, error);
        else if (sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply) >= 0 &&
                 sd_bus_message_append(reply, "s", result ? result : "") >= 0)
                (void) vk_call_reply_message(call, reply);
        vk_call_unref(call);
}

/* Hand @call to an asynchronous driver operation that returned @r. */
int vk_libvirt_async(VkCall *call, int r) {
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        vk_call_ref(call); /* the completion replies and unrefs */
        return 0;
}

/* Reply with the object path of the domain @uuid ("o"). */
int vk_libvirt_reply_path(VkCall *call, const char *uuid) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = vk_libvirt_domain_path(uuid);
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "o", path);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/* Reply with a list of object paths ("ao"; NULL: empty). */
int vk_libvirt_reply_strv(VkCall *call, const char *const *paths) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (const char *const *p = paths; r >= 0 && p && *p; p++)
                r = sd_bus_message_append_basic(reply, 'o', *p);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/* Read the call's arguments (sd_bus_message_read() types). */
int vk_libvirt_read(VkCall *call, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_message_readv(vk_call_get_bus_message(call), types, ap);
        va_end(ap);
        return r;
}

static bool connect_list_match(const VkDomainObj *obj, unsigned flags) {
        bool active = obj->state != VK_DOMAIN_STATE_SHUTOFF;

        if ((flags & (LIST_ACTIVE | LIST_INACTIVE)) &&
            !((flags & LIST_ACTIVE && active) || (flags & LIST_INACTIVE && !active)))
                return false;
        if ((flags & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
            !((flags & LIST_PERSISTENT && obj->persistent) ||
              (flags & LIST_TRANSIENT && !obj->persistent)))
                return false;
        if (flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) {
                unsigned want = obj->state == VK_DOMAIN_STATE_RUNNING   ? LIST_RUNNING
                                : obj->state == VK_DOMAIN_STATE_PAUSED  ? LIST_PAUSED
                                : obj->state == VK_DOMAIN_STATE_SHUTOFF ? LIST_SHUTOFF
                                                                        : LIST_OTHER;
                if (!(flags & want))
                        return false;
        }
        if ((flags & (LIST_AUTOSTART | LIST_NO_AUTOSTART)) &&
            !((flags & LIST_AUTOSTART && obj->autostart) ||
              (flags & LIST_NO_AUTOSTART && !obj->autostart)))
                return false;
        return true;
}

static int connect_list_domains(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;
        g_autoptr(GPtrArray) objs = NULL;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "u", &flags);
        if (r < 0)
                return r;
        r = vk_qemu_driver_list(q->driver, /* flags= */ 0, &objs);
        if (r < 0)
                return r;
        for (guint i = 0; i < objs->len; i++)
                if (connect_list_match(objs->pdata[i], flags))
                        g_ptr_array_add(paths, vk_libvirt_domain_path(
                                                       ((VkDomainObj *) objs->pdata[i])->uuid_str));
        g_ptr_array_add(paths, NULL);
        return vk_libvirt_reply_strv(call, (const char *const *) paths->pdata);
}

static int connect_lookup(VkCall *call, VkQemud *q, const char *name, const char *uuid) {
        g_auto(VkError) e = VK_ERROR_INIT;
        VkDomainObj *obj;

        if (vk_qemu_driver_lookup_by(q->driver, name, uuid, 0, &obj, NULL) < 0) {
                vk_error_set(&e, "NoSuchDomain", -ENOENT, "no domain with matching %s '%s'",
                             name ? "name" : "uuid", name ? name : uuid);
                return vk_libvirt_fail(call, &e);
        }
        return vk_libvirt_reply_path(call, obj->uuid_str);
}

static int connect_lookup_by_name(VkCall *call, void *params, void *userdata) {
        const char *name;
        int r;

        r = vk_libvirt_read(call, "s", &name);
        if (r < 0)
                return r;
        return connect_lookup(call, userdata, name, NULL);
}

static int connect_lookup_by_uuid(VkCall *call, void *params, void *userdata) {
        const char *uuid;
        VkUuid u;
        int r;

        r = vk_libvirt_read(call, "s", &uuid);
        if (r < 0)
                return r;
        if (vk_uuid_parse(uuid, &u) < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "invalid UUID '%s'", uuid);
                return vk_libvirt_fail(call, &e);
        }
        return connect_lookup(call, userdata, NULL, uuid);
}

/* DomainDefineXML and DomainCreateXML: reply with the path of the domain @result names. */
static void connect_on_defined(VkQemuDriver *drv, const char *result, const VkError *error,
                               void *userdata) {
        VkCall *call = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainObj *obj = NULL;

        if (!error && vk_qemu_driver_lookup(drv, result, &obj, &err) < 0)
                error = &err; /* gone again already (QEMU ended at once) */
        if (error)
                (void) vk_libvirt_fail(call, error);
        else
                (void) vk_libvirt_reply_path(call, obj->uuid_str);
        vk_call_unref(call);
}

static int connect_define_xml(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;
        const char *xml;
        int r;

        r = vk_libvirt_read(call, "s", &xml);
        if (r < 0)
                return r;
        r = vk_qemu_driver_define(q->driver, xml, connect_on_defined, call, vk_call_error(call));
        return vk_libvirt_async(call, r);
}

static int connect_create_xml(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;
        const char *xml;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "su", &xml, &flags);
        if (r < 0)
                return r;
        /* VIR_DOMAIN_START_PAUSED */
        r = vk_qemu_driver_create(q->driver, xml, flags & 1, connect_on_defined, call,
                                  vk_call_error(call));
        return vk_libvirt_async(call, r);
}

static int connect_get_capabilities(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;

        return vk_libvirt_async(call, vk_qemu_driver_get_capabilities(q->driver, connect_on_string,
                                                                      call, vk_call_error(call)));
}

static int connect_get_domain_capabilities(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;
        const char *emulator, *arch, *machine, *virttype;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "ssssu", &emulator, &arch, &machine, &virttype, &flags);
        if (r < 0)
                return r;
        /* libvirt-dbus passes "" on as NULL: the default */
        r = vk_qemu_driver_get_domain_capabilities(q->driver, *emulator ? emulator : NULL,
                                                   *arch ? arch : NULL, *machine ? machine : NULL,
                                                   *virttype ? virttype : NULL, connect_on_string,
                                                   call, vk_call_error(call));
        return vk_libvirt_async(call, r);
}

/* virNodeGetMemoryStats for all cells: "total", "free", "buffers", "cached" in KiB. */
static int connect_node_memory_stats(VkCall *call, void *params, void *userdata) {
        static const char *const keys[][2] = {
                { "MemTotal:", "total" },
                { "MemFree:", "free" },
                { "Buffers:", "buffers" },
                { "Cached:", "cached" },
        };
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        int32_t cell;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "iu", &cell, &flags);
        if (r < 0)
                return r;
        if (cell != -1) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "NUMA cell %d: only all cells (-1) are reported", cell);
                return vk_libvirt_fail(call, &e);
        }
        if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
                return -EIO;
        lines = g_strsplit(text, "\n", -1);
        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{st}");
        for (size_t k = 0; r >= 0 && k < G_N_ELEMENTS(keys); k++)
                for (char **l = lines; *l; l++) {
                        if (!g_str_has_prefix(*l, keys[k][0]))
                                continue;
                        r = sd_bus_message_append(
                                reply, "{st}", keys[k][1],
                                g_ascii_strtoull(*l + strlen(keys[k][0]), NULL, 10));
                        break;
                }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/*
 * A member of libvirt-dbus's API this façade has no implementation for: libvirt's answer for
 * a function its driver lacks, naming the libvirt function (virDomainSendKey, ...).
 */
int vk_libvirt_unsupported(VkCall *call, void *params, void *userdata) {
        const char *iface = sd_bus_message_get_interface(vk_call_get_bus_message(call));
        g_auto(VkError) e = VK_ERROR_INIT;

        /* org.libvirt.StorageVol.Wipe: virStorageVolWipe; Connect's members: vir<member> */
        if (g_str_has_prefix(iface, "org.libvirt.") && strcmp(iface, "org.libvirt.Connect") != 0)
                iface += strlen("org.libvirt.");
        else
                iface = "";
        vk_error_set(&e, VK_LIBVIRT_ERROR, -EOPNOTSUPP,
                     "this function is not supported by the connection driver: vir%s%s", iface,
                     vk_call_method(call)->name);
        return vk_libvirt_fail(call, &e);
}

/* Interfaces, node devices: not served here (yet), an empty list. */
static int connect_list_empty(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "u", &flags);
        if (r < 0)
                return r;
        return vk_libvirt_reply_strv(call, NULL);
}

/* ---- properties ---- */

static int connect_get_version(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *ret_error) {
        /* LibVersion: the libvirt API level; Version: the hypervisor's, which libvirt only
         * knows after probing QEMU; 0 is what libvirt answers when it does not know it */
        return sd_bus_message_append(reply, "t",
                                     strcmp(property, "LibVersion") == 0 ? LIBVIRT_API_VERSION
                                                                         : UINT64_C(0));
}

static int connect_get_hostname(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *ret_error) {
        return sd_bus_message_append(reply, "s", g_get_host_name());
}

static int connect_get_bool(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *ret_error) {
        /* a local bus connection: not encrypted, but secure (libvirt's meaning for UNIX
         * sockets) */
        return sd_bus_message_append(reply, "b", strcmp(property, "Secure") == 0);
}

#define CONNECT_METHOD(name, handler, auth, in, out, names)                                        \
        { { name, NULL, NULL, handler, auth, 0, NULL }, in, out, names }

static const VkRawMethod connect_methods[] = {
        CONNECT_METHOD("ListDomains", connect_list_domains, VK_AUTH_READ, "u", "ao",
                       "flags\0domains\0"),
        CONNECT_METHOD("DomainLookupByName", connect_lookup_by_name, VK_AUTH_READ, "s", "o",
                       "name\0domain\0"),
        CONNECT_METHOD("DomainLookupByUUID", connect_lookup_by_uuid, VK_AUTH_READ, "s", "o",
                       "uuid\0domain\0"),
        CONNECT_METHOD("DomainDefineXML", connect_define_xml, VK_AUTH_MANAGE, "s", "o",
                       "xml\0domain\0"),
        CONNECT_METHOD("DomainCreateXML", connect_create_xml, VK_AUTH_MANAGE, "su", "o",
                       "xml\0flags\0domain\0"),
        CONNECT_METHOD("GetCapabilities", connect_get_capabilities, VK_AUTH_READ, "", "s",
                       "capabilities\0"),
        CONNECT_METHOD("GetDomainCapabilities", connect_get_domain_capabilities, VK_AUTH_READ,
                       "ssssu", "s",
                       "emulatorbin\0arch\0machine\0virttype\0flags\0domCapabilities\0"),
        CONNECT_METHOD("NodeGetMemoryStats", connect_node_memory_stats, VK_AUTH_READ, "iu", "a{st}",
                       "cellNum\0flags\0stats\0"),
        CONNECT_METHOD("ListInterfaces", connect_list_empty, VK_AUTH_READ, "u", "ao",
                       "flags\0interfaces\0"),
        CONNECT_METHOD("ListNodeDevices", connect_list_empty, VK_AUTH_READ, "u", "ao",
                       "flags\0devs\0"),
        /* networkd, storaged, secretd: authorised with their actions (libvirt-objects.c) */
        CONNECT_METHOD("ListNetworks", vk_libvirt_list_networks, VK_AUTH_READ, "u", "ao",
                       "flags\0networks\0"),
        CONNECT_METHOD("NetworkLookupByName", vk_libvirt_network_lookup_by_name, VK_AUTH_READ, "s",
                       "o", "name\0network\0"),
        CONNECT_METHOD("NetworkLookupByUUID", vk_libvirt_network_lookup_by_uuid, VK_AUTH_READ, "s",
                       "o", "uuid\0network\0"),
        CONNECT_METHOD("NetworkDefineXML", vk_libvirt_network_define_xml, VK_AUTH_MANAGE, "s", "o",
                       "xml\0network\0"),
        CONNECT_METHOD("NetworkCreateXML", vk_libvirt_network_create_xml, VK_AUTH_MANAGE, "s", "o",
                       "xml\0network\0"),
        CONNECT_METHOD("ListStoragePools", vk_libvirt_list_storage_pools, VK_AUTH_READ, "u", "ao",
                       "flags\0storagePools\0"),
        CONNECT_METHOD("StoragePoolLookupByName", vk_libvirt_pool_lookup_by_name, VK_AUTH_READ, "s",
                       "o", "name\0storagePool\0"),
        CONNECT_METHOD("StoragePoolLookupByUUID", vk_libvirt_pool_lookup_by_uuid, VK_AUTH_READ, "s",
                       "o", "uuid\0storagePool\0"),
        CONNECT_METHOD("StoragePoolDefineXML", vk_libvirt_pool_define_xml, VK_AUTH_MANAGE, "su",
                       "o", "xml\0flags\0storagePool\0"),
        CONNECT_METHOD("StoragePoolCreateXML", vk_libvirt_pool_create_xml, VK_AUTH_MANAGE, "su",
                       "o", "xml\0flags\0storagePool\0"),
        CONNECT_METHOD("StorageVolLookupByPath", vk_libvirt_vol_lookup_by_path, VK_AUTH_READ, "s",
                       "o", "path\0storageVol\0"),
        CONNECT_METHOD("StorageVolLookupByKey", vk_libvirt_vol_lookup_by_key, VK_AUTH_READ, "s",
                       "o", "key\0storageVol\0"),
        CONNECT_METHOD("ListSecrets", vk_libvirt_list_secrets, VK_AUTH_READ, "u", "ao",
                       "flags\0secrets\0"),
        CONNECT_METHOD("SecretLookupByUUID", vk_libvirt_secret_lookup_by_uuid, VK_AUTH_READ, "s",
                       "o", "uuid\0secret\0"),
        CONNECT_METHOD("SecretLookupByUsage", vk_libvirt_secret_lookup_by_usage, VK_AUTH_READ, "is",
                       "o", "usageType\0usageID\0secret\0"),
        CONNECT_METHOD("SecretDefineXML", vk_libvirt_secret_define_xml, VK_AUTH_MANAGE, "su", "o",
                       "xml\0flags\0secret\0"),
        {},
};

static const VkRawProperty connect_properties[] = {
        { "Encrypted", "b", connect_get_bool },     { "Hostname", "s", connect_get_hostname },
        { "LibVersion", "t", connect_get_version }, { "Secure", "b", connect_get_bool },
        { "Version", "t", connect_get_version },    {},
};

static const VkRawSignal connect_signals[] = {
        { "DomainEvent", "oii", "domain\0event\0detail\0" },
        /* from networkd's, storaged's and secretd's events (libvirt-objects.c) */
        { "NetworkEvent", "oi", "network\0event\0" },
        { "SecretEvent", "oii", "secret\0event\0detail\0" },
        { "StoragePoolEvent", "oii", "storagePool\0event\0detail\0" },
        {},
};

const VkRawInterface vk_libvirt_connect_interface = {
        .bus_interface = "org.libvirt.Connect",
        .methods = connect_methods,
        .properties = connect_properties,
        .signals = connect_signals,
};

int vk_libvirt_connect_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        const VkRawMethod *m;

        m = vk_raw_interface_find(&vk_libvirt_connect_interface, sd_bus_message_get_member(msg));
        if (!m) /* sd-bus only calls us for members of the vtable */
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s",
                                                  sd_bus_message_get_member(msg));
        return vk_service_dispatch_raw(lv->service, vk_libvirt_auth_of_member(m->method.name),
                                       &m->method, msg, VK_LIBVIRT_ERROR);
}
