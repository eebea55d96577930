/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-domain.c: org.libvirt.Domain, one object per domain at .../domain/_<uuid> */
#include <string.h>

#include "libvirt-internal.h"
#include "log.h"
#include "qemu-keycodes.h"
#include "sd-glue.h"
#include "xml.h"

/* virDomainGetXMLFlags */
enum {
        XML_SECURE = 1 << 0,
        XML_INACTIVE = 1 << 1,
};

/* libvirt's virDomainState: our enum has the same numbers. */
int vk_libvirt_state_number(VkDomainState state) {
        return (int) state;
}

/* libvirt's reason number of @reason in @state (the virDomain<State>Reason enums). */
int vk_libvirt_reason_number(VkDomainState state, VkDomainReason reason) {
        switch (state) {
        case VK_DOMAIN_STATE_RUNNING:
                return reason == VK_DOMAIN_REASON_BOOTED     ? 1
                       : reason == VK_DOMAIN_REASON_UNPAUSED ? 5
                                                             : 0;
        case VK_DOMAIN_STATE_PAUSED:
                return reason == VK_DOMAIN_REASON_USER          ? 1
                       : reason == VK_DOMAIN_REASON_IOERROR     ? 2
                       : reason == VK_DOMAIN_REASON_WATCHDOG    ? 3
                       : reason == VK_DOMAIN_REASON_SHUTDOWN    ? 8
                       : reason == VK_DOMAIN_REASON_CRASHED     ? 10
                       : reason == VK_DOMAIN_REASON_STARTING_UP ? 11
                                                                : 0;
        case VK_DOMAIN_STATE_SHUTOFF:
                return reason == VK_DOMAIN_REASON_SHUTDOWN    ? 1
                       : reason == VK_DOMAIN_REASON_DESTROYED ? 2
                       : reason == VK_DOMAIN_REASON_CRASHED   ? 3
                       : reason == VK_DOMAIN_REASON_FAILED    ? 6
                                                              : 0;
        case VK_DOMAIN_STATE_CRASHED:
                return reason == VK_DOMAIN_REASON_CRASHED ? 1 : 0;
        default:
                return 0;
        }
}

/* The domain the call's object path names; else the call is answered "Domain not found". */
int vk_libvirt_domain_of_call(VkCall *call, VkQemud *q, VkDomainObj **ret) {
        const char *path = sd_bus_message_get_path(vk_call_get_bus_message(call));
        g_autofree char *uuid = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;

        if (vk_libvirt_domain_uuid(path, &uuid) >= 0 &&
            vk_qemu_driver_lookup_by(q->driver, NULL, uuid, 0, ret, NULL) >= 0)
                return 0;
        vk_error_set(&e, "NoSuchDomain", -ENOENT, "no domain with matching uuid '%s'",
                     uuid ? uuid : path);
        (void) vk_libvirt_fail(call, &e);
        return -ENOENT;
}

static int domain_reply(VkCall *call, const char *types, ...) {
        g_autoptr(sd_bus_message) reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(reply, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/* Domain methods that take flags and then only need the domain. */
static int domain_with_flags(VkCall *call, VkQemud *q, uint32_t *ret_flags, VkDomainObj **ret) {
        int r;

        if (ret_flags) {
                r = vk_libvirt_read(call, "u", ret_flags);
                if (r < 0)
                        return r;
        }
        return vk_libvirt_domain_of_call(call, q, ret) < 0 ? 1 : 0;
}

#define DOMAIN_PREAMBLE(flagsp)                                                                    \
        VkQemud *q = userdata;                                                                     \
        VkDomainObj *obj;                                                                          \
        int r = domain_with_flags(call, q, flagsp, &obj);                                          \
        if (r != 0)                                                                                \
        return r > 0 ? 0 : r

static int domain_get_xml_desc(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        g_autofree char *xml = NULL;
        DOMAIN_PREAMBLE(&flags);

        r = vk_qemu_driver_get_xml(q->driver, obj->uuid_str,
                                   (flags & XML_INACTIVE ? VK_QEMU_XML_INACTIVE : 0) |
                                           (flags & XML_SECURE ? VK_QEMU_XML_SECURE : 0),
                                   &xml, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "s", xml);
}

static int domain_get_state(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        return domain_reply(call, "(ii)", vk_libvirt_state_number(obj->state),
                            vk_libvirt_reason_number(obj->state, obj->reason));
}

static int domain_create(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        /* VIR_DOMAIN_START_PAUSED */
        return vk_libvirt_async(call, vk_qemu_driver_start(q->driver, obj->uuid_str, flags & 1,
                                                           vk_libvirt_on_done, call,
                                                           vk_call_error(call)));
}

static int domain_destroy(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        /* VIR_DOMAIN_DESTROY_GRACEFUL */
        return vk_libvirt_async(call, vk_qemu_driver_destroy(q->driver, obj->uuid_str, flags & 1,
                                                             vk_libvirt_on_done, call,
                                                             vk_call_error(call)));
}

static int domain_op(VkCall *call, VkQemud *q, VkDomainObj *obj, VkQemuDomainOp op) {
        return vk_libvirt_async(call, vk_qemu_driver_domain_op(q->driver, obj->uuid_str, op,
                                                               vk_libvirt_on_done, call,
                                                               vk_call_error(call)));
}

static int domain_shutdown(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        return domain_op(call, q, obj, VK_QEMU_OP_SHUTDOWN);
}

static int domain_reboot(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        return domain_op(call, q, obj, VK_QEMU_OP_REBOOT);
}

static int domain_reset(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        return domain_op(call, q, obj, VK_QEMU_OP_RESET);
}

static int domain_suspend(VkCall *call, void *params, void *userdata) {
        DOMAIN_PREAMBLE(NULL);

        return domain_op(call, q, obj, VK_QEMU_OP_SUSPEND);
}

static int domain_resume(VkCall *call, void *params, void *userdata) {
        DOMAIN_PREAMBLE(NULL);

        return domain_op(call, q, obj, VK_QEMU_OP_RESUME);
}

static int domain_undefine(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        /* virDomainUndefineFlagsValues: NVRAM = 4, KEEP_NVRAM = 8; managed save, snapshot,
         * checkpoint and TPM state (1, 2, 16, 32, 64) have nothing here to remove */
        if (flags & ~UINT32_C(0x7f)) {
                (void) vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "unsupported flags (0x%x)", flags & ~UINT32_C(0x7f));
                return vk_libvirt_fail(call, vk_call_error(call));
        }
        r = vk_qemu_driver_undefine(q->driver, obj->uuid_str,
                                    ((flags & 4) ? VK_QEMU_UNDEFINE_NVRAM : 0) |
                                            ((flags & 8) ? VK_QEMU_UNDEFINE_KEEP_NVRAM : 0),
                                    vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "");
}

/* virDomainModificationImpact and virDomainMemoryModFlags */
enum {
        AFFECT_LIVE = 1 << 0,
        AFFECT_CONFIG = 1 << 1,
        MEM_MAXIMUM = 1 << 2,
};

/* Sets the text of @root's child @name (made after @after when missing) to @kib KiB. */
static void memory_set_element(xmlNode *root, const char *name, const char *after,
                               unsigned long long kib) {
        char text[32];
        xmlNode *node = vk_xml_child(root, name);

        g_snprintf(text, sizeof(text), "%llu", kib);
        if (!node) {
                xmlNode *prev = vk_xml_child(root, after);

                node = xmlNewNode(NULL, (const xmlChar *) name);
                if (prev)
                        xmlAddNextSibling(prev, node);
                else
                        xmlAddChild(root, node);
        }
        xmlNodeSetContent(node, (const xmlChar *) text);
        xmlSetProp(node, (const xmlChar *) "unit", (const xmlChar *) "KiB");
}

/* The persistent config @xml with <memory> @max_kib and <currentMemory> @cur_kib. */
static int memory_edit_xml(const char *xml, unsigned long long max_kib, unsigned long long cur_kib,
                           char **ret_xml, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        xmlChar *out = NULL;
        int len = 0;
        int r;

        r = vk_xml_read_string(xml, "domain.xml", &doc, reterr);
        if (r < 0)
                return r;
        memory_set_element(xmlDocGetRootElement(doc), "memory", "uuid", max_kib);
        memory_set_element(xmlDocGetRootElement(doc), "currentMemory", "memory", cur_kib);
        xmlDocDumpMemory(doc, &out, &len);
        if (!out)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOMEM,
                                    "cannot format the domain XML");
        *ret_xml = g_strndup((const char *) out, len);
        xmlFree(out);
        return 0;
}

/* SetMemory(memory KiB, flags) like libvirt's, on the persistent config (AFFECT_CONFIG, or
 * AFFECT_CURRENT of a shut off domain): <currentMemory>, or with MEM_MAXIMUM <memory> (and
 * <currentMemory> lowered to it). The running guest's balloon (AFFECT_LIVE) is not changed
 * here yet: that is an error, never silently skipped. */
static int domain_set_memory(VkCall *call, void *params, void *userdata) {
        uint64_t kib;
        uint32_t flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        g_autofree char *xml = NULL, *edited = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        unsigned long long max_kib, cur_kib;
        bool active;
        int r;

        r = vk_libvirt_read(call, "tu", &kib, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        active = vk_domain_obj_is_active(obj);
        if (!(flags & (AFFECT_LIVE | AFFECT_CONFIG)))
                flags |= active ? AFFECT_LIVE : AFFECT_CONFIG;
        if ((flags & ~(uint32_t) (AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM)) != 0)
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unsupported flags (0x%x)",
                             flags & ~(uint32_t) (AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM));
        else if ((flags & AFFECT_LIVE) && !active)
                vk_error_set(&e, VK_ERROR_OPERATION_INVALID, -EINVAL, "domain is not running");
        else if (flags & AFFECT_LIVE)
                vk_error_set(&e, VK_LIBVIRT_ERROR, -EOPNOTSUPP,
                             "this function is not supported by the connection driver: "
                             "virDomainSetMemoryFlags with VIR_DOMAIN_AFFECT_LIVE");
        else if (!obj->persistent)
                vk_error_set(&e, VK_ERROR_OPERATION_INVALID, -EINVAL,
                             "cannot change persistent config of a transient domain");
        else if (kib == 0)
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "memory must not be 0");
        if (vk_error_is_set(&e))
                return vk_libvirt_fail(call, &e);

        max_kib = obj->def->memory_kib;
        cur_kib = obj->def->current_memory_kib ? obj->def->current_memory_kib : max_kib;
        if (flags & MEM_MAXIMUM) {
                max_kib = kib;
                cur_kib = MIN(cur_kib, kib);
        } else if (kib > max_kib) {
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "cannot set memory higher than max memory");
                return vk_libvirt_fail(call, &e);
        } else
                cur_kib = kib;

        r = vk_qemu_driver_get_xml(q->driver, obj->uuid_str,
                                   VK_QEMU_XML_INACTIVE | VK_QEMU_XML_SECURE, &xml,
                                   vk_call_error(call));
        if (r >= 0)
                r = memory_edit_xml(xml, max_kib, cur_kib, &edited, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return vk_libvirt_async(call, vk_qemu_driver_define(q->driver, edited, vk_libvirt_on_done,
                                                            call, vk_call_error(call)));
}

/* An error for flags a member does not know (libvirt's virCheckFlags()); 0: none. */
static int domain_check_flags(VkCall *call, uint32_t flags, uint32_t known) {
        g_auto(VkError) e = VK_ERROR_INIT;

        if (!(flags & ~known))
                return 0;
        vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unsupported flags (0x%x)",
                     flags & ~known);
        (void) vk_libvirt_fail(call, &e);
        return 1;
}

static int domain_inject_nmi(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        if (domain_check_flags(call, flags, 0))
                return 0;
        return domain_op(call, q, obj, VK_QEMU_OP_INJECT_NMI);
}

/* SendKey(codeset, holdtime, keycodes, flags): libvirt's virKeycodeSet numbers. */
static int domain_send_key(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        uint32_t codeset, holdtime, flags;
        const uint32_t *codes = NULL;
        size_t size = 0, n;
        g_auto(GStrv) keys = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = sd_bus_message_read(msg, "uu", &codeset, &holdtime);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'u', (const void **) &codes, &size);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0) {
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "SendKey: bad arguments");
                return vk_libvirt_fail(call, &e);
        }
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0 || domain_check_flags(call, flags, 0))
                return 0;
        n = size / sizeof(uint32_t);
        if (!vk_keycode_set_to_string((VkKeycodeSet) codeset))
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unknown codeset %u", codeset);
        else if (n == 0 || n > VK_KEYCODE_SEND_MAX)
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "nkeycodes must be between 1 and %d", VK_KEYCODE_SEND_MAX);
        if (vk_error_is_set(&e))
                return vk_libvirt_fail(call, &e);
        keys = g_new0(char *, n + 1);
        for (size_t i = 0; i < n; i++)
                keys[i] = g_strdup_printf("%" PRIu32, codes[i]);
        return vk_libvirt_async(
                call,
                vk_qemu_driver_send_key(q->driver, obj->uuid_str,
                                        vk_keycode_set_to_string((VkKeycodeSet) codeset), holdtime,
                                        keys, vk_libvirt_on_done, call, vk_call_error(call)));
}

static int domain_rename(VkCall *call, void *params, void *userdata) {
        const char *name;
        uint32_t flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = vk_libvirt_read(call, "su", &name, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0 || domain_check_flags(call, flags, 0))
                return 0;
        r = vk_qemu_driver_rename(q->driver, obj->uuid_str, name, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "");
}

/* GetMetadata(type, uri, flags): virDomainMetadataType; "" stands for a NULL uri. */
static int domain_get_metadata(VkCall *call, void *params, void *userdata) {
        int32_t type;
        const char *uri;
        uint32_t flags;
        g_autofree char *text = NULL;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = vk_libvirt_read(call, "isu", &type, &uri, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0 ||
            domain_check_flags(call, flags, AFFECT_LIVE | AFFECT_CONFIG))
                return 0;
        r = vk_qemu_driver_get_metadata(q->driver, obj->uuid_str, type, *uri ? uri : NULL, flags,
                                        &text, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "s", text);
}

/* SetMetadata(type, metadata, key, uri, flags); "" stands for NULL in the strings. */
static int domain_set_metadata(VkCall *call, void *params, void *userdata) {
        int32_t type;
        const char *metadata, *key, *uri;
        uint32_t flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = vk_libvirt_read(call, "isssu", &type, &metadata, &key, &uri, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0 ||
            domain_check_flags(call, flags, AFFECT_LIVE | AFFECT_CONFIG))
                return 0;
        r = vk_qemu_driver_set_metadata(q->driver, obj->uuid_str, type, *metadata ? metadata : NULL,
                                        *key ? key : NULL, *uri ? uri : NULL, flags,
                                        vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "");
}

/* The addresses as libvirt's virDomainInterface list: one entry per interface. */
static void domain_on_addresses(const VkQemudIfAddr *addrs, size_t n, const VkError *error,
                                void *userdata) {
        VkCall *call = userdata;
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        if (error) {
                (void) vk_libvirt_fail(call, error);
                vk_call_unref(call);
                return;
        }
        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssa(isu))");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                /* an interface's addresses come one after another */
                if (i == 0 || strcmp(addrs[i].hwaddr, addrs[i - 1].hwaddr) != 0) {
                        for (int k = 0; r >= 0 && i > 0 && k < 2; k++)
                                r = sd_bus_message_close_container(reply); /* a(isu), ( ) */
                        if (r >= 0)
                                r = sd_bus_message_open_container(reply, 'r', "ssa(isu)");
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "ss", addrs[i].name,
                                                          addrs[i].hwaddr);
                        if (r >= 0)
                                r = sd_bus_message_open_container(reply, 'a', "(isu)");
                }
                /* VIR_IP_ADDR_TYPE_IPV4 0, IPV6 1 */
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(isu)",
                                                  strcmp(addrs[i].type, "ipv6") == 0 ? 1 : 0,
                                                  addrs[i].addr, (uint32_t) addrs[i].prefix);
        }
        for (int k = 0; r >= 0 && n > 0 && k < 2; k++)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                (void) vk_call_reply_message(call, reply);
        else {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set_errno(&e, r, "cannot build the addresses");
                (void) vk_libvirt_fail(call, &e);
        }
        vk_call_unref(call);
}

/*
 * virDomainInterfaceAddresses: VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE (0), the DHCP leases
 * networkd's dnsmasq gave the running domain's type='network' interfaces; the guest agent
 * (1) and the ARP table (2) are not sources here.
 */
static int domain_interface_addresses(VkCall *call, void *params, void *userdata) {
        uint32_t source, flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = vk_libvirt_read(call, "uu", &source, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        if (source != 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                             "interface address source %u (only the DHCP leases, 0)", source);
                return vk_libvirt_fail(call, &e);
        }
        r = vk_qemud_ifaddr_query(q, obj, domain_on_addresses, vk_call_ref(call),
                                  vk_call_error(call));
        if (r < 0) {
                (void) vk_libvirt_fail(call, vk_call_error(call));
                vk_call_unref(call);
        }
        return 0;
}

static int domain_list_snapshots(VkCall *call, void *params, void *userdata) {
        uint32_t flags;
        DOMAIN_PREAMBLE(&flags);

        return vk_libvirt_reply_strv(call, NULL);
}

/* Properties.Set of Autostart (intercepted: it changes state, so it is authorised). */
static int domain_set_autostart(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        const char *iface, *name;
        int enabled;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        int r;

        r = sd_bus_message_read(msg, "ss", &iface, &name);
        if (r >= 0)
                r = sd_bus_message_enter_container(msg, 'v', "b");
        if (r >= 0)
                r = sd_bus_message_read(msg, "b", &enabled);
        if (r < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "Autostart: the value must be a boolean");
                return vk_libvirt_fail(call, &e);
        }
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        r = vk_qemu_driver_set_autostart(q->driver, obj->uuid_str, enabled, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        return domain_reply(call, "");
}

static const VkMethod domain_set_autostart_method = {
        "Set", NULL, NULL, domain_set_autostart, VK_AUTH_MANAGE, 0, NULL,
};

/* The Properties.Set call @msg on a domain: Autostart is ours, the rest sd-bus refuses. */
int vk_libvirt_domain_set_autostart(VkLibvirt *lv, sd_bus_message *msg) {
        const char *iface, *name;

        if (sd_bus_message_read(msg, "ss", &iface, &name) < 0 ||
            sd_bus_message_rewind(msg, true) < 0 || strcmp(name, "Autostart") != 0)
                return 0;
        return vk_service_dispatch_raw(lv->service, &vk_libvirt_auth_interface,
                                       &domain_set_autostart_method, msg, VK_LIBVIRT_ERROR);
}

/* ---- properties ---- */

static VkDomainObj *domain_of_path(VkLibvirt *lv, const char *path, sd_bus_error *ret_error) {
        g_autofree char *uuid = NULL;
        VkDomainObj *obj;

        if (vk_libvirt_domain_uuid(path, &uuid) < 0 ||
            vk_qemu_driver_lookup_by(lv->q->driver, NULL, uuid, 0, &obj, NULL) < 0) {
                sd_bus_error_setf(ret_error, VK_LIBVIRT_ERROR,
                                  "Domain not found: no domain with matching uuid '%s'",
                                  uuid ? uuid : path);
                return NULL;
        }
        return obj;
}

static int domain_get_property(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *ret_error) {
        VkDomainObj *obj = domain_of_path(userdata, path, ret_error);
        bool active;

        if (!obj)
                return -ENOENT;
        active = vk_domain_obj_is_active(obj);
        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", obj->name);
        if (strcmp(property, "UUID") == 0)
                return sd_bus_message_append(reply, "s", obj->uuid_str);
        if (strcmp(property, "Id") == 0) /* libvirt-dbus: 0 when shut off */
                return sd_bus_message_append(reply, "u", (uint32_t) (obj->id < 0 ? 0 : obj->id));
        if (strcmp(property, "Active") == 0)
                return sd_bus_message_append(reply, "b", active);
        if (strcmp(property, "Persistent") == 0)
                return sd_bus_message_append(reply, "b", obj->persistent);
        if (strcmp(property, "Autostart") == 0)
                return sd_bus_message_append(reply, "b", obj->autostart);
        if (strcmp(property, "OSType") == 0)
                return sd_bus_message_append(
                        reply, "s", obj->def && obj->def->os_type ? obj->def->os_type : "hvm");
        if (strcmp(property, "Updated") == 0) /* no live changes to the config yet */
                return sd_bus_message_append(reply, "b", false);
        if (strcmp(property, "SchedulerType") == 0) {
                /* like libvirt's QEMU driver: an error while shut off */
                if (!active)
                        return sd_bus_error_setf(ret_error, VK_LIBVIRT_ERROR,
                                                 "Requested operation is not valid: domain is "
                                                 "not running");
                /* no scheduler parameters are settable here (yet) */
                return sd_bus_message_append(reply, "(si)", "posix", 0);
        }
        return -ENOENT;
}

static int domain_set_property(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *value, void *userdata,
                               sd_bus_error *ret_error) {
        /* not reached: libvirt.c intercepts Set to authorise it */
        return sd_bus_error_set(ret_error, SD_BUS_ERROR_ACCESS_DENIED, "not authorised");
}

#define DOMAIN_METHOD(name, handler, auth, in, out, names)                                         \
        { { name, NULL, NULL, handler, auth, 0, NULL }, in, out, names }

static const VkRawMethod domain_methods[] = {
        DOMAIN_METHOD("GetXMLDesc", domain_get_xml_desc, VK_AUTH_READ, "u", "s", "flags\0xml\0"),
        DOMAIN_METHOD("GetState", domain_get_state, VK_AUTH_READ, "u", "(ii)", "flags\0state\0"),
        DOMAIN_METHOD("GetStats", vk_libvirt_domain_get_stats, VK_AUTH_READ, "uu", "a{sv}",
                      "stats\0flags\0records\0"),
        DOMAIN_METHOD("InterfaceAddresses", domain_interface_addresses, VK_AUTH_READ, "uu",
                      "a(ssa(isu))", "source\0flags\0ifaces\0"),
        DOMAIN_METHOD("ListDomainSnapshots", domain_list_snapshots, VK_AUTH_READ, "u", "ao",
                      "flags\0domainSnapshots\0"),
        DOMAIN_METHOD("Create", domain_create, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("Shutdown", domain_shutdown, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("Destroy", domain_destroy, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("Reboot", domain_reboot, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("Reset", domain_reset, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("Suspend", domain_suspend, VK_AUTH_MANAGE, "", "", ""),
        DOMAIN_METHOD("Resume", domain_resume, VK_AUTH_MANAGE, "", "", ""),
        DOMAIN_METHOD("Undefine", domain_undefine, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("InjectNMI", domain_inject_nmi, VK_AUTH_MANAGE, "u", "", "flags\0"),
        DOMAIN_METHOD("SendKey", domain_send_key, VK_AUTH_MANAGE, "uuauu", "",
                      "codeset\0holdtime\0keycodes\0flags\0"),
        DOMAIN_METHOD("GetMetadata", domain_get_metadata, VK_AUTH_READ, "isu", "s",
                      "type\0uri\0flags\0metadata\0"),
        DOMAIN_METHOD("SetMetadata", domain_set_metadata, VK_AUTH_MANAGE, "isssu", "",
                      "type\0metadata\0key\0uri\0flags\0"),
        DOMAIN_METHOD("SetMemory", domain_set_memory, VK_AUTH_MANAGE, "tu", "", "memory\0flags\0"),
        DOMAIN_METHOD("Rename", domain_rename, VK_AUTH_MANAGE, "su", "", "name\0flags\0"),
        DOMAIN_METHOD("GetVcpuPinInfo", vk_libvirt_domain_get_vcpu_pin_info, VK_AUTH_READ, "u",
                      "aab", "flags\0vcpuPinInfo\0"),
        DOMAIN_METHOD("PinVcpu", vk_libvirt_domain_pin_vcpu, VK_AUTH_MANAGE, "uabu", "",
                      "vcpu\0cpumap\0flags\0"),
        DOMAIN_METHOD("GetEmulatorPinInfo", vk_libvirt_domain_get_emulator_pin_info, VK_AUTH_READ,
                      "u", "ab", "flags\0cpumap\0"),
        DOMAIN_METHOD("PinEmulator", vk_libvirt_domain_pin_emulator, VK_AUTH_MANAGE, "abu", "",
                      "cpumap\0flags\0"),
        DOMAIN_METHOD("GetVcpus", vk_libvirt_domain_get_vcpus, VK_AUTH_READ, "u", "u",
                      "flags\0vcpus\0"),
        DOMAIN_METHOD("AttachDevice", vk_libvirt_domain_attach_device, VK_AUTH_MANAGE, "su", "",
                      "xml\0flags\0"),
        DOMAIN_METHOD("DetachDevice", vk_libvirt_domain_detach_device, VK_AUTH_MANAGE, "su", "",
                      "xml\0flags\0"),
        DOMAIN_METHOD("UpdateDevice", vk_libvirt_domain_update_device, VK_AUTH_MANAGE, "su", "",
                      "xml\0flags\0"),
        {},
};

/* GetXMLDesc with VIR_DOMAIN_XML_SECURE: the secrets in the XML need manage rights. */
static const VkMethod domain_get_xml_secure_method = {
        "GetXMLDesc", NULL, NULL, domain_get_xml_desc, VK_AUTH_MANAGE, 0, NULL,
};

static const VkRawProperty domain_properties[] = {
        { "Active", "b", domain_get_property },
        { "Autostart", "b", domain_get_property, domain_set_property },
        { "Id", "u", domain_get_property },
        { "Name", "s", domain_get_property },
        { "OSType", "s", domain_get_property },
        { "Persistent", "b", domain_get_property },
        { "SchedulerType", "(si)", domain_get_property },
        { "UUID", "s", domain_get_property },
        { "Updated", "b", domain_get_property },
        {},
};

/* the domain signals (libvirt-events.c sends them; DiskChange never: no startupPolicy) */
static const VkRawSignal domain_signals[] = {
        { "BalloonChange", "t", "actual\0" },
        { "ControlError", "", "" },
        { "DeviceAdded", "s", "device\0" },
        { "DeviceRemoved", "s", "device\0" },
        { "DiskChange", "sssi", "oldSrcPath\0newSrcPath\0device\0reason\0" },
        { "IOError", "ssis", "srcPath\0device\0action\0reason\0" },
        { "MetadataChange", "is", "type\0nsuri\0" },
        { "RTCChange", "x", "utcoffset\0" },
        { "Reboot", "", "" },
        { "TrayChange", "si", "device\0reason\0" },
        { "Watchdog", "i", "action\0" },
        {},
};

const VkRawInterface vk_libvirt_domain_interface = {
        .bus_interface = "org.libvirt.Domain",
        .methods = domain_methods,
        .properties = domain_properties,
        .signals = domain_signals,
};

int vk_libvirt_domain_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        const VkRawMethod *m;
        const VkMethod *method;
        uint32_t flags = 0;

        m = vk_raw_interface_find(&vk_libvirt_domain_interface, sd_bus_message_get_member(msg));
        if (!m)
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s",
                                                  sd_bus_message_get_member(msg));
        method = &m->method;
        if (method->handler == domain_get_xml_desc && sd_bus_message_read(msg, "u", &flags) >= 0 &&
            sd_bus_message_rewind(msg, true) >= 0 && (flags & XML_SECURE))
                method = &domain_get_xml_secure_method;
        return vk_service_dispatch_raw(lv->service, &vk_libvirt_auth_interface, method, msg,
                                       VK_LIBVIRT_ERROR);
}

/* sd-bus's question whether @path is a domain object now. */
int vk_libvirt_domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **ret_found, sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        g_autofree char *uuid = NULL;
        VkDomainObj *obj;

        if (vk_libvirt_domain_uuid(path, &uuid) < 0 ||
            vk_qemu_driver_lookup_by(lv->q->driver, NULL, uuid, 0, &obj, NULL) < 0)
                return 0;
        *ret_found = lv;
        return 1;
}

/* The domain objects, for introspection and busctl tree. */
int vk_libvirt_domain_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                                sd_bus_error *ret_error) {
        VkLibvirt *lv = userdata;
        g_autoptr(GPtrArray) objs = NULL;
        GPtrArray *paths;
        int r;

        r = vk_qemu_driver_list(lv->q->driver, /* flags= */ 0, &objs);
        if (r < 0)
                return r;
        paths = g_ptr_array_new();
        for (guint i = 0; i < objs->len; i++)
                g_ptr_array_add(paths,
                                vk_libvirt_domain_path(((VkDomainObj *) objs->pdata[i])->uuid_str));
        g_ptr_array_add(paths, NULL);
        /* sd-bus frees the vector with free(): GLib allocates with malloc() */
        *ret_nodes = (char **) g_ptr_array_free(paths, false);
        return 0;
}
