/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-builder.c: the argv builder's emitters, the bottom layer of the qemu-argv*.c files */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "qemu-argv-internal.h"

/*
 * Arguments, -device placeholders, JSON properties, aliases, bus names and addresses. The
 * files above (qemu-argv-disk.c, qemu-argv-devices.c, then qemu-argv.c) call down into this
 * one; nothing here calls up.
 */

void argv_add(ArgvBuilder *b, const char *arg) {
        g_ptr_array_add(b->args, g_strdup(arg));
}

void argv_addf(ArgvBuilder *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_ptr_array_add(b->args, g_strdup_vprintf(fmt, ap));
        va_end(ap);
}

void argv_add_pair(ArgvBuilder *b, const char *opt, const char *value) {
        argv_add(b, opt);
        argv_add(b, value);
}

char *argv_json_to_string(JsonObject *o) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(node, o);
        return vk_json_to_string(node, false);
}

/* Add "@opt JSON" and drop the caller's reference on @o. */
void argv_add_json(ArgvBuilder *b, const char *opt, JsonObject *o) {
        argv_add(b, opt);
        g_ptr_array_add(b->args, argv_json_to_string(o));
        json_object_unref(o);
}

JsonObject *argv_device_new(const char *driver) {
        JsonObject *o = json_object_new();

        argv_jset_str(o, "driver", driver);
        return o;
}

/*
 * Add "-device JSON" for the frontend @alias. The JSON is written at the end of the build,
 * after qemu:override had its say. Takes over @o.
 */
void argv_add_device(ArgvBuilder *b, const char *alias, JsonObject *o) {
        ArgvDevice *d = g_new0(ArgvDevice, 1);

        argv_add(b, "-device");
        d->alias = g_strdup(alias);
        d->props = o;
        d->index = b->args->len;
        g_ptr_array_add(b->args, NULL);
        g_ptr_array_add(b->devices, d);
}

void argv_jset_str(JsonObject *o, const char *key, const char *value) {
        json_object_set_string_member(o, key, value);
}

void argv_jset_int(JsonObject *o, const char *key, int64_t value) {
        json_object_set_int_member(o, key, value);
}

void argv_jset_bool(JsonObject *o, const char *key, bool value) {
        json_object_set_boolean_member(o, key, value);
}

bool argv_has(const ArgvBuilder *b, VkQemuCapsFlag flag) {
        return flag >= 0 && flag < _VK_QEMU_CAPS_FLAG_MAX && b->flags[flag];
}

/* 0 when the emulator has @flag, else a NotSupported error naming @what, the binary and it */
int argv_need(ArgvBuilder *b, VkQemuCapsFlag flag, const char *what) {
        if (argv_has(b, flag))
                return 0;
        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                          "%s is not supported by %s (no capability '%s')", what,
                          vk_strempty(vk_qemu_caps_get_binary(b->caps)),
                          vk_strempty(vk_qemu_caps_flag_to_string(flag)));
}

int argv_error(ArgvBuilder *b, const char *name, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vk_error_setv(b->reterr, name, error, fmt, ap);
        va_end(ap);
        return r;
}

/* The id= of a device: its user alias ("ua-*") if it has one, else the generated name. */
char *argv_alias(const VkDeviceInfo *info, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (info && info->alias)
                return g_strdup(info->alias);
        va_start(ap, fmt);
        s = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return s;
}

/* Bus 0 is the root bus QEMU names after the machine; others are our controllers' ids. */
const char *argv_pci_bus_name(const ArgvBuilder *b, unsigned bus, char buf[32]) {
        if (bus == 0)
                return b->def->machine_kind == VK_MACHINE_Q35 ? "pcie.0" : "pci.0";
        (void) snprintf(buf, 32, "pci.%u", bus);
        return buf;
}

char *argv_usb_bus(const ArgvBuilder *b, unsigned bus) {
        const VkDomainController *c = vk_domain_def_find_controller(b->def, VK_CONTROLLER_USB, bus);
        g_autofree char *alias = NULL;

        if (c)
                alias = argv_controller_alias(c, b->def->machine_kind);
        else
                alias = bus == 0 ? g_strdup("usb") : g_strdup_printf("usb%u", bus);
        return g_strdup_printf("%s.0", alias);
}

/*
 * "bus"/"addr" (PCI) or "bus"/"port" (USB) of a frontend from its assigned address. Drive
 * and virtio-serial addresses are the callers' business. @what names the device in errors.
 */
int argv_set_address(ArgvBuilder *b, JsonObject *o, const VkDeviceInfo *info, const char *what) {
        char buf[32];

        switch (info->addr.type) {
        case VK_ADDRESS_PCI: {
                const VkPciAddress *a = &info->addr.pci;
                g_autofree char *addr = NULL;

                if (a->domain != 0)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "%s: PCI domain 0x%04x is not supported (only 0)", what,
                                          a->domain);
                argv_jset_str(o, "bus", argv_pci_bus_name(b, a->bus, buf));
                if (a->multifunction == VK_TRISTATE_YES)
                        argv_jset_bool(o, "multifunction", true);
                else if (a->multifunction == VK_TRISTATE_NO)
                        argv_jset_bool(o, "multifunction", false);
                if (a->function != 0)
                        addr = g_strdup_printf("0x%x.0x%x", a->slot, a->function);
                else
                        addr = g_strdup_printf("0x%x", a->slot);
                argv_jset_str(o, "addr", addr);
                return 0;
        }
        case VK_ADDRESS_USB: {
                g_autofree char *bus = argv_usb_bus(b, info->addr.usb.bus);

                argv_jset_str(o, "bus", bus);
                if (info->addr.usb.port > 0) {
                        g_autofree char *port = g_strdup_printf("%u", info->addr.usb.port);
                        argv_jset_str(o, "port", port);
                }
                return 0;
        }
        case VK_ADDRESS_NONE:
                return 0;
        default:
                return argv_error(b, VK_ERROR_INTERNAL, -EINVAL, "%s: unexpected %s address", what,
                                  vk_strempty(vk_address_type_to_string(info->addr.type)));
        }
}

/* QEMU's option parser: a comma inside a value is written as two commas. */
char *argv_escape(const char *s) {
        GString *out = g_string_new(NULL);

        for (const char *p = s; *p; p++) {
                if (*p == ',')
                        g_string_append_c(out, ',');
                g_string_append_c(out, *p);
        }
        return g_string_free(out, FALSE);
}

/*
 * Place the frontend @o at @info's address ("bus"/"addr"/"port"), then "bootindex" when
 * @bootindex > 0, and add it as "-device" @alias. Takes over @o, also on error. @what names
 * the device in errors.
 */
int argv_add_device_at(ArgvBuilder *b, const char *alias, JsonObject *o, const VkDeviceInfo *info,
                       const char *what, unsigned bootindex) {
        int r;

        r = argv_set_address(b, o, info, what);
        if (r < 0) {
                json_object_unref(o);
                return r;
        }
        if (bootindex > 0)
                argv_jset_int(o, "bootindex", bootindex);
        argv_add_device(b, alias, o);
        return 0;
}

/* The id of a controller's device, and so the prefix of its bus names. */
char *argv_controller_alias(const VkDomainController *c, VkMachineKind kind) {
        if (c->info.alias)
                return g_strdup(c->info.alias);
        switch (c->type) {
        case VK_CONTROLLER_PCI:
                if (c->index == 0)
                        return g_strdup(kind == VK_MACHINE_Q35 ? "pcie.0" : "pci.0");
                return g_strdup_printf("pci.%u", c->index);
        case VK_CONTROLLER_USB:
                return c->index == 0 ? g_strdup("usb") : g_strdup_printf("usb%u", c->index);
        case VK_CONTROLLER_SATA:
                /* q35's built-in AHCI is what QEMU calls "ide" */
                if (kind == VK_MACHINE_Q35 && c->index == 0)
                        return g_strdup("ide");
                return g_strdup_printf("sata%u", c->index);
        case VK_CONTROLLER_IDE:
                return g_strdup("ide");
        case VK_CONTROLLER_FDC:
                return g_strdup_printf("fdc%u", c->index);
        case VK_CONTROLLER_SCSI:
                return g_strdup_printf("scsi%u", c->index);
        case VK_CONTROLLER_VIRTIO_SERIAL:
                return g_strdup_printf("virtio-serial%u", c->index);
        case VK_CONTROLLER_CCID:
                return g_strdup_printf("ccid%u", c->index);
        default:
                return g_strdup_printf("controller%u", c->index);
        }
}
