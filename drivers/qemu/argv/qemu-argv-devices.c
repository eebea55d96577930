/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-devices.c: controllers, NICs, character devices, graphics and the other frontends */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/*
 * Device ids follow libvirt's alias scheme ("net0", "serial0", "virtio-serial0", "pci.1"),
 * so QMP answers read the same as under libvirt; a user alias ("ua-*") replaces the id and
 * prefixes the ids derived from it ("char" + id for a chardev, "host" + id for a netdev).
 */

/* ---- controllers ---- */

static int argv_pci_controller(ArgvBuilder *b, const VkDomainController *c, JsonObject **ret) {
        JsonObject *o;

        switch (c->model) {
        case VK_CONTROLLER_MODEL_PCI_ROOT:
        case VK_CONTROLLER_MODEL_PCIE_ROOT:
        case VK_CONTROLLER_MODEL_DEFAULT:
                *ret = NULL; /* the machine's root bus */
                return 0;
        case VK_CONTROLLER_MODEL_PCI_BRIDGE:
                if (argv_need(b, VK_QEMU_CAPS_PCI_BRIDGE, "controller model 'pci-bridge'") < 0)
                        return -EOPNOTSUPP;
                o = argv_device_new("pci-bridge");
                argv_jset_int(o, "chassis_nr", c->index);
                break;
        case VK_CONTROLLER_MODEL_PCIE_ROOT_PORT:
                if (argv_need(b, VK_QEMU_CAPS_PCIE_ROOT_PORT, "controller model 'pcie-root-port'") <
                    0)
                        return -EOPNOTSUPP;
                o = argv_device_new("pcie-root-port");
                if (c->has_target_port)
                        argv_jset_int(o, "port", c->target_port);
                argv_jset_int(o, "chassis", c->target_chassis ? c->target_chassis : c->index);
                break;
        case VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE:
                o = argv_device_new("pcie-pci-bridge");
                break;
        default:
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "PCI controller %u: model '%s' is not supported", c->index,
                                  vk_strempty(vk_controller_model_to_string(c->model)));
        }
        *ret = o;
        return 0;
}

static int argv_other_controller(ArgvBuilder *b, const VkDomainController *c, JsonObject **ret) {
        VkMachineKind kind = b->def->machine_kind;
        VkControllerModel model = c->model;
        JsonObject *o = NULL;

        *ret = NULL;
        switch (c->type) {
        case VK_CONTROLLER_USB:
                if (model == VK_CONTROLLER_MODEL_DEFAULT)
                        model = kind == VK_MACHINE_Q35 ? VK_CONTROLLER_MODEL_QEMU_XHCI
                                                       : VK_CONTROLLER_MODEL_PIIX3_UHCI;
                switch (model) {
                case VK_CONTROLLER_MODEL_USB_NONE:
                        return 0;
                case VK_CONTROLLER_MODEL_PIIX3_UHCI:
                        o = argv_device_new("piix3-usb-uhci");
                        break;
                case VK_CONTROLLER_MODEL_ICH9_EHCI1:
                        o = argv_device_new("ich9-usb-ehci1");
                        break;
                case VK_CONTROLLER_MODEL_ICH9_UHCI1:
                case VK_CONTROLLER_MODEL_ICH9_UHCI2:
                case VK_CONTROLLER_MODEL_ICH9_UHCI3: {
                        g_autofree char *driver = g_strdup_printf(
                                "ich9-usb-%s", vk_controller_model_to_string(model) + 5);
                        g_autofree char *master = argv_usb_bus(b, c->index);

                        /* a companion has no id of its own: it serves the master's bus */
                        o = argv_device_new(driver);
                        argv_jset_str(o, "masterbus", master);
                        argv_jset_int(o, "firstport", c->master_startport);
                        *ret = o;
                        return 0;
                }
                case VK_CONTROLLER_MODEL_QEMU_XHCI:
                        if (argv_need(b, VK_QEMU_CAPS_QEMU_XHCI, "USB model 'qemu-xhci'") < 0)
                                return -EOPNOTSUPP;
                        o = argv_device_new("qemu-xhci");
                        break;
                case VK_CONTROLLER_MODEL_NEC_XHCI:
                        if (argv_need(b, VK_QEMU_CAPS_NEC_USB_XHCI, "USB model 'nec-xhci'") < 0)
                                return -EOPNOTSUPP;
                        o = argv_device_new("nec-usb-xhci");
                        break;
                default:
                        break;
                }
                if (o && c->ports &&
                    (model == VK_CONTROLLER_MODEL_QEMU_XHCI ||
                     model == VK_CONTROLLER_MODEL_NEC_XHCI)) {
                        argv_jset_int(o, "p2", c->ports);
                        argv_jset_int(o, "p3", c->ports);
                }
                break;
        case VK_CONTROLLER_SCSI:
                if (model == VK_CONTROLLER_MODEL_VIRTIO_SCSI) {
                        if (argv_need(b, VK_QEMU_CAPS_VIRTIO_SCSI, "SCSI model 'virtio-scsi'") < 0)
                                return -EOPNOTSUPP;
                        o = argv_device_new("virtio-scsi-pci");
                } else if (model == VK_CONTROLLER_MODEL_LSILOGIC ||
                           model == VK_CONTROLLER_MODEL_DEFAULT)
                        o = argv_device_new("lsi");
                break;
        case VK_CONTROLLER_SATA:
                if (kind == VK_MACHINE_Q35 && c->index == 0)
                        return 0; /* built into the machine */
                /* libvirt's choice on every machine: QEMU's generic AHCI device */
                if (argv_need(b, VK_QEMU_CAPS_ICH9_AHCI, "SATA controller 'ahci'") < 0)
                        return -EOPNOTSUPP;
                o = argv_device_new("ahci");
                break;
        case VK_CONTROLLER_IDE:
                if (kind != VK_MACHINE_PC || c->index != 0)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "IDE controller %u: only the pc machine's built-in "
                                          "IDE controller 0 exists",
                                          c->index);
                return 0;
        case VK_CONTROLLER_FDC:
                return 0; /* the pc machine's built-in floppy controller */
        case VK_CONTROLLER_VIRTIO_SERIAL: {
                g_autofree char *alias = argv_controller_alias(c, b->def->machine_kind);

                /* the id first (argv_emit_controller keeps its place), as libvirt */
                o = argv_device_new("virtio-serial-pci");
                argv_jset_str(o, "id", alias);
                if (c->ports)
                        argv_jset_int(o, "max_ports", c->ports);
                if (c->vectors)
                        argv_jset_int(o, "vectors", c->vectors);
                break;
        }
        case VK_CONTROLLER_CCID:
                /* a USB smartcard reader for <smartcard> */
                o = argv_device_new("usb-ccid");
                break;
        default:
                break;
        }
        if (!o)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "%s controller %u: model '%s' is not supported",
                                  vk_strempty(vk_controller_type_to_string(c->type)), c->index,
                                  vk_strempty(vk_controller_model_to_string(model)));
        *ret = o;
        return 0;
}

static int argv_emit_controller(ArgvBuilder *b, const VkDomainController *c, JsonObject *o) {
        g_autofree char *alias = argv_controller_alias(c, b->def->machine_kind);
        g_autofree char *what = g_strdup_printf("controller '%s'", alias);

        if (c->has_master) {
                /* a USB companion: no id (the alias only names it for qemu:override) */
                g_autofree char *name =
                        g_strdup_printf("%s-%s", alias, vk_controller_model_to_string(c->model));

                return argv_add_device_at(b, name, o, &c->info, what, 0);
        }
        argv_jset_str(o, "id", alias);
        return argv_add_device_at(b, alias, o, &c->info, what, 0);
}

/*
 * PCI controllers first, each after the controller of the bus it plugs into (a bridge may
 * sit behind a root port with a higher index), lowest index first among the ready ones.
 */
/* Controllers other than PCI, in the order libvirt 9.0 puts them on the command line */
static const VkControllerType controller_order[] = {
        VK_CONTROLLER_USB,           VK_CONTROLLER_SCSI, VK_CONTROLLER_IDE,  VK_CONTROLLER_SATA,
        VK_CONTROLLER_VIRTIO_SERIAL, VK_CONTROLLER_FDC,  VK_CONTROLLER_CCID,
};
G_STATIC_ASSERT(G_N_ELEMENTS(controller_order) == _VK_CONTROLLER_MAX - 1);

int argv_build_controllers(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        /* by type and index, whatever the order of <devices> */
        g_autoptr(GPtrArray) ctrls = vk_domain_def_sorted_controllers(def);
        bool done[256] = { [0] = true };
        bool progress = true;
        int r;

        while (progress) {
                progress = false;
                for (unsigned idx = 1; idx < 256; idx++) {
                        const VkDomainController *c =
                                vk_domain_def_find_controller(def, VK_CONTROLLER_PCI, idx);
                        unsigned parent = 0;
                        JsonObject *o = NULL;

                        if (!c || done[idx])
                                continue;
                        if (c->info.addr.type == VK_ADDRESS_PCI)
                                parent = c->info.addr.pci.bus;
                        if (parent >= 256 || !done[parent])
                                continue;
                        done[idx] = true;
                        progress = true;
                        r = argv_pci_controller(b, c, &o);
                        if (r < 0)
                                return r;
                        if (o) {
                                r = argv_emit_controller(b, c, o);
                                if (r < 0)
                                        return r;
                        }
                        break; /* restart at the lowest index */
                }
        }
        for (guint i = 0; i < ctrls->len; i++) {
                const VkDomainController *c = ctrls->pdata[i];

                if (c->type == VK_CONTROLLER_PCI && c->index > 0 &&
                    (c->index >= 256 || !done[c->index]))
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                          "PCI controller %u: its bus is never created "
                                          "(a loop or a missing controller)",
                                          c->index);
        }
        /* the other types in libvirt's order, each in index order */
        for (size_t t = 0; t < G_N_ELEMENTS(controller_order); t++)
                for (guint i = 0; i < ctrls->len; i++) {
                        const VkDomainController *c = ctrls->pdata[i];
                        JsonObject *o = NULL;

                        if (c->type != controller_order[t])
                                continue;
                        r = argv_other_controller(b, c, &o);
                        if (r < 0)
                                return r;
                        if (o) {
                                r = argv_emit_controller(b, c, o);
                                if (r < 0)
                                        return r;
                        }
                }
        return 0;
}

/* ---- network interfaces ---- */

static int argv_build_net(ArgvBuilder *b, size_t i) {
        const VkDomainNet *net = b->def->nets[i];
        g_autofree char *alias = argv_alias(&net->info, "net%zu", i);
        g_autofree char *netdev = g_strdup_printf("host%s", alias);
        char mac[18];
        const char *driver;
        JsonObject *o;

        o = json_object_new();
        if (net->type == VK_NET_TYPE_USER)
                argv_jset_str(o, "type", "user");
        else {
                g_autofree char *fd = NULL;
                int vhost;

                if (b->n_taps >= b->opts->n_tap_fds || !b->opts->tap_fds) {
                        json_object_unref(o);
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EBADF,
                                          "interface '%s' (%s '%s'): no tap fd was passed for "
                                          "it",
                                          alias, vk_strempty(vk_net_type_to_string(net->type)),
                                          vk_strempty(net->source));
                }
                vhost = b->opts->vhost_fds ? b->opts->vhost_fds[b->n_taps] : -1;
                fd = g_strdup_printf("%d", b->opts->tap_fds[b->n_taps++]);
                argv_jset_str(o, "type", "tap");
                argv_jset_str(o, "fd", fd);
                if (vhost >= 0) {
                        g_autofree char *vfd = g_strdup_printf("%d", vhost);

                        argv_jset_bool(o, "vhost", true);
                        argv_jset_str(o, "vhostfd", vfd);
                }
        }
        argv_jset_str(o, "id", netdev);
        argv_add_json(b, "-netdev", o);

        switch (net->model) {
        case VK_NET_MODEL_VIRTIO:
                driver = "virtio-net-pci";
                break;
        case VK_NET_MODEL_E1000:
                driver = "e1000";
                break;
        case VK_NET_MODEL_E1000E:
                driver = "e1000e";
                break;
        default:
                driver = "rtl8139"; /* libvirt's default model on x86 */
                break;
        }
        vk_domain_mac_format(net->mac, mac);
        o = argv_device_new(driver);
        argv_jset_str(o, "netdev", netdev);
        argv_jset_str(o, "id", alias);
        argv_jset_str(o, "mac", mac);
        return argv_add_device_at(b, alias, o, &net->info, alias, b->net_boot[i]);
}

int argv_build_nets(ArgvBuilder *b) {
        for (size_t i = 0; i < b->def->n_nets; i++) {
                int r = argv_build_net(b, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- character devices ---- */

/* -chardev for @chr with id "char" + @alias. @default_name: socket name without a path. */
static bool argv_has_spice(const ArgvBuilder *b) {
        for (size_t i = 0; i < b->def->n_graphics; i++)
                if (b->def->graphics[i]->type == VK_GRAPHICS_SPICE)
                        return true;
        return false;
}

static int argv_chardev(ArgvBuilder *b, const VkDomainChr *chr, const char *alias,
                        const char *default_name) {
        g_autofree char *id = g_strdup_printf("char%s", alias);
        g_autofree char *path = NULL;

        argv_add(b, "-chardev");
        switch (chr->type) {
        case VK_CHR_TYPE_PTY:
                argv_addf(b, "pty,id=%s", id);
                return 0;
        case VK_CHR_TYPE_NULL:
                argv_addf(b, "null,id=%s", id);
                return 0;
        case VK_CHR_TYPE_STDIO:
                argv_addf(b, "stdio,id=%s", id);
                return 0;
        case VK_CHR_TYPE_SPICEVMC:
                if (!argv_has_spice(b))
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "%s: a spicevmc channel needs <graphics type='spice'>",
                                          alias);
                argv_addf(b, "spicevmc,id=%s,name=vdagent", id);
                return 0;
        case VK_CHR_TYPE_FILE:
                if (!chr->path)
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                          "%s: a file character device needs a path", alias);
                path = argv_escape(chr->path);
                argv_addf(b, "file,id=%s,path=%s", id, path);
                return 0;
        case VK_CHR_TYPE_UNIX:
                if (chr->path)
                        path = argv_escape(chr->path);
                else {
                        g_autofree char *p =
                                g_strdup_printf("%s/%s", b->opts->private_dir, default_name);
                        path = argv_escape(p);
                }
                if (chr->mode == VK_CHR_SOURCE_MODE_CONNECT)
                        argv_addf(b, "socket,id=%s,path=%s", id, path);
                else
                        argv_addf(b, "socket,id=%s,path=%s,server=on,wait=off", id, path);
                return 0;
        case VK_CHR_TYPE_TCP: {
                g_autofree char *host = argv_escape(vk_strempty(chr->host));
                g_autofree char *port = argv_escape(vk_strempty(chr->service));

                argv_addf(b, "socket,id=%s,host=%s,port=%s%s%s", id, host, port,
                          chr->protocol == VK_CHR_TCP_TELNET ? ",telnet=on" : "",
                          chr->mode == VK_CHR_SOURCE_MODE_BIND ? ",server=on,wait=off" : "");
                return 0;
        }
        default:
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "%s: character device type '%s' is not supported", alias,
                                  vk_strempty(vk_chr_type_to_string(chr->type)));
        }
}

static char *argv_vserial_bus(const ArgvBuilder *b, const VkDomainChr *chr) {
        unsigned ctrl = 0, bus = 0;
        const VkDomainController *c;
        g_autofree char *calias = NULL;

        if (chr->info.addr.type == VK_ADDRESS_VIRTIO_SERIAL) {
                ctrl = chr->info.addr.vserial.controller;
                bus = chr->info.addr.vserial.bus;
        }
        c = vk_domain_def_find_controller(b->def, VK_CONTROLLER_VIRTIO_SERIAL, ctrl);
        calias = c ? argv_controller_alias(c, b->def->machine_kind)
                   : g_strdup_printf("virtio-serial%u", ctrl);
        return g_strdup_printf("%s.%u", calias, bus);
}

static int argv_build_serial(ArgvBuilder *b, size_t i) {
        const VkDomainChr *chr = b->def->serials[i];
        unsigned port = chr->target_port >= 0 ? (unsigned) chr->target_port : (unsigned) i;
        g_autofree char *alias = argv_alias(&chr->info, "serial%u", port);
        g_autofree char *sock = g_strdup_printf("%s.sock", alias);
        g_autofree char *chardev = g_strdup_printf("char%s", alias);
        JsonObject *o;
        int r;

        r = argv_chardev(b, chr, alias, sock);
        if (r < 0)
                return r;
        switch (chr->target_type) {
        case VK_CHR_TARGET_USB_SERIAL:
                o = argv_device_new("usb-serial");
                break;
        case VK_CHR_TARGET_PCI_SERIAL:
                o = argv_device_new("pci-serial");
                break;
        default:
                o = argv_device_new("isa-serial");
                break;
        }
        argv_jset_str(o, "chardev", chardev);
        argv_jset_str(o, "id", alias);
        if (chr->target_type == VK_CHR_TARGET_ISA_SERIAL ||
            chr->target_type == VK_CHR_TARGET_DEFAULT)
                argv_jset_int(o, "index", port);
        return argv_add_device_at(b, alias, o, &chr->info, alias, 0);
}

static int argv_build_virtio_chr(ArgvBuilder *b, const VkDomainChr *chr, const char *alias,
                                 bool console) {
        g_autofree char *chardev = g_strdup_printf("char%s", alias);
        g_autofree char *bus = NULL;
        g_autofree char *sock = NULL;
        JsonObject *o;
        int r;

        if (!console && chr->target_type != VK_CHR_TARGET_VIRTIO)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "channel '%s': only target type 'virtio' is supported", alias);
        sock = chr->target_name ? g_strdup(chr->target_name) : g_strdup_printf("%s.sock", alias);
        r = argv_chardev(b, chr, alias, sock);
        if (r < 0)
                return r;

        bus = argv_vserial_bus(b, chr);
        o = argv_device_new(console ? "virtconsole" : "virtserialport");
        /* libvirt gives a console no port address: QEMU puts it on the first bus */
        if (!console || chr->info.addr.type == VK_ADDRESS_VIRTIO_SERIAL)
                argv_jset_str(o, "bus", bus);
        if (chr->info.addr.type == VK_ADDRESS_VIRTIO_SERIAL)
                argv_jset_int(o, "nr", chr->info.addr.vserial.port);
        argv_jset_str(o, "chardev", chardev);
        argv_jset_str(o, "id", alias);
        if (chr->target_name)
                argv_jset_str(o, "name", chr->target_name);
        argv_add_device(b, alias, o);
        return 0;
}

int argv_build_chardevs(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        int r;

        for (size_t i = 0; i < def->n_serials; i++) {
                r = argv_build_serial(b, i);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_parallels; i++) {
                const VkDomainChr *chr = def->parallels[i];
                g_autofree char *alias = argv_alias(&chr->info, "parallel%zu", i);
                g_autofree char *sock = g_strdup_printf("%s.sock", alias);
                g_autofree char *chardev = g_strdup_printf("char%s", alias);
                JsonObject *o;

                r = argv_chardev(b, chr, alias, sock);
                if (r < 0)
                        return r;
                o = argv_device_new("isa-parallel");
                argv_jset_str(o, "chardev", chardev);
                argv_jset_str(o, "id", alias);
                argv_add_device(b, alias, o);
        }
        for (size_t i = 0; i < def->n_consoles; i++) {
                const VkDomainChr *chr = def->consoles[i];
                g_autofree char *alias = NULL;

                /* a serial console is serial 0 itself, already emitted above */
                if (chr->implicit || chr->target_type != VK_CHR_TARGET_VIRTIO)
                        continue;
                alias = argv_alias(&chr->info, "console%zu", i);
                r = argv_build_virtio_chr(b, chr, alias, /* console= */ true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_channels; i++) {
                const VkDomainChr *chr = def->channels[i];
                g_autofree char *alias = argv_alias(&chr->info, "channel%zu", i);

                r = argv_build_virtio_chr(b, chr, alias, /* console= */ false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- input ---- */

int argv_build_inputs(ArgvBuilder *b) {
        static const char *const usb[_VK_INPUT_MAX] = {
                [VK_INPUT_MOUSE] = "usb-mouse",
                [VK_INPUT_TABLET] = "usb-tablet",
                [VK_INPUT_KEYBOARD] = "usb-kbd",
        };
        static const char *const virtio[_VK_INPUT_MAX] = {
                [VK_INPUT_MOUSE] = "virtio-mouse-pci",
                [VK_INPUT_TABLET] = "virtio-tablet-pci",
                [VK_INPUT_KEYBOARD] = "virtio-keyboard-pci",
        };
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_inputs; i++) {
                const VkDomainInput *in = def->inputs[i];
                VkInputBus bus = in->bus;
                g_autofree char *alias = argv_alias(&in->info, "input%zu", i);
                const char *driver;
                JsonObject *o;
                int r;

                if (bus == VK_INPUT_BUS_DEFAULT)
                        bus = in->type == VK_INPUT_TABLET ? VK_INPUT_BUS_USB : VK_INPUT_BUS_PS2;
                if (bus == VK_INPUT_BUS_PS2) {
                        if (in->type == VK_INPUT_TABLET)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "input '%s': a tablet cannot be on bus 'ps2'",
                                                  alias);
                        continue; /* the machine's own PS/2 mouse and keyboard */
                }
                driver = bus == VK_INPUT_BUS_USB ? usb[in->type] : virtio[in->type];
                o = argv_device_new(driver);
                argv_jset_str(o, "id", alias);
                r = argv_add_device_at(b, alias, o, &in->info, alias, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- graphics ---- */

static int argv_graphics_port(ArgvBuilder *b, const VkDomainGraphics *g, int auto_port,
                              const char *what, int *ret_port) {
        int port = g->port;

        if (port <= 0 || g->autoport == VK_TRISTATE_YES) {
                if (auto_port <= 0)
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                          "%s graphics: autoport needs a port from the caller",
                                          what);
                port = auto_port;
        }
        *ret_port = port;
        return 0;
}

static char *argv_listen_host(const char *listen) {
        if (strchr(listen, ':'))
                return g_strdup_printf("[%s]", listen);
        return g_strdup(listen);
}

static int argv_build_vnc(ArgvBuilder *b, const VkDomainGraphics *g) {
        g_autoptr(GString) s = g_string_new(NULL);
        int r, port = 0;

        r = argv_need(b, VK_QEMU_CAPS_VNC, "VNC graphics");
        if (r < 0)
                return r;
        if (g->listen_none)
                g_string_append(s, "none"); /* no listener: clients come over QMP */
        else if (!g->listen && b->cfg->vnc_auto_unix_socket) {
                g_autofree char *p = g_strdup_printf("%s/vnc.sock", b->opts->private_dir);
                g_autofree char *e = argv_escape(p);

                g_string_append_printf(s, "unix:%s", e);
        } else {
                g_autofree char *host =
                        argv_listen_host(g->listen ? g->listen : b->cfg->vnc_listen);

                r = argv_graphics_port(b, g, b->opts->vnc_port, "VNC", &port);
                if (r < 0)
                        return r;
                if (port < 5900 || port > 65535)
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ERANGE,
                                          "VNC graphics: port %d is not between 5900 and 65535",
                                          port);
                g_string_append_printf(s, "%s:%d", host, port - 5900);
                if (g->websocket != 0) {
                        int ws = g->websocket > 0 ? g->websocket : b->opts->vnc_websocket_port;

                        if (ws <= 0)
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                  "VNC graphics: websocket='-1' needs a port "
                                                  "from the caller");
                        g_string_append_printf(s, ",websocket=%d", ws);
                }
        }
        /* the password itself is set over QMP, never on the command line */
        if (g->passwd)
                g_string_append(s, ",password=on");
        g_string_append(s, ",audiodev=audio1");
        argv_add_pair(b, "-vnc", s->str);
        if (g->keymap)
                argv_add_pair(b, "-k", g->keymap);
        return 0;
}

static int argv_build_spice(ArgvBuilder *b, const VkDomainGraphics *g) {
        g_autoptr(GString) s = g_string_new(NULL);
        g_autofree char *listen = NULL;
        int r, port = 0;

        r = argv_need(b, VK_QEMU_CAPS_SPICE, "SPICE graphics");
        if (r < 0)
                return r;
        /* tlsPort='-1' (automatic) asks for TLS only where it is configured: nowhere here,
         * so no TLS port, as libvirt without spice_tls */
        if (g->tls_port > 0)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "SPICE graphics: tlsPort is not supported (virtkit has no "
                                  "SPICE TLS configuration)");
        if (g->listen_none)
                /* no listener; QEMU wants a port or a TLS port: 0 is none (as libvirt) */
                g_string_append(s, "port=0");
        else {
                r = argv_graphics_port(b, g, b->opts->spice_port, "SPICE", &port);
                if (r < 0)
                        return r;
                listen = argv_escape(g->listen ? g->listen : b->cfg->spice_listen);
                g_string_append_printf(s, "port=%d,addr=%s", port, listen);
        }
        if (!g->passwd)
                g_string_append(s, ",disable-ticketing=on");
        if (g->image_compression)
                g_string_append_printf(s, ",image-compression=%s", g->image_compression);
        g_string_append(s, ",seamless-migration=on");
        argv_add_pair(b, "-spice", s->str);
        if (g->keymap)
                argv_add_pair(b, "-k", g->keymap);
        return 0;
}

int argv_build_graphics(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        bool have[_VK_GRAPHICS_MAX] = {};
        JsonObject *o;
        int r;

        for (size_t i = 0; i < def->n_graphics; i++) {
                if (have[def->graphics[i]->type])
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "only one <graphics type='%s'> is supported",
                                          vk_graphics_type_to_string(def->graphics[i]->type));
                have[def->graphics[i]->type] = true;
        }

        /* Always an audio backend, as libvirt 9.0: "none" unless SPICE carries the sound (it
         * keeps QEMU from picking one from the host's environment) */
        if (def->has_audio && def->audio_type == VK_AUDIO_SPICE && !have[VK_GRAPHICS_SPICE])
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "<audio type='spice'> needs <graphics type='spice'>");
        o = json_object_new();
        argv_jset_str(o, "id", "audio1");
        if (def->has_audio)
                argv_jset_str(o, "driver", vk_audio_type_to_string(def->audio_type));
        else
                argv_jset_str(o, "driver", have[VK_GRAPHICS_SPICE] ? "spice" : "none");
        argv_add_json(b, "-audiodev", o);

        for (size_t i = 0; i < def->n_graphics; i++) {
                const VkDomainGraphics *g = def->graphics[i];

                r = g->type == VK_GRAPHICS_VNC ? argv_build_vnc(b, g) : argv_build_spice(b, g);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- video ---- */

int argv_build_videos(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_videos; i++) {
                const VkDomainVideo *v = def->videos[i];
                g_autofree char *alias = argv_alias(&v->info, "video%zu", i);
                bool primary = i == 0;
                const char *driver = NULL;
                VkQemuCapsFlag flag;
                JsonObject *o;
                int r;

                switch (v->model) {
                case VK_VIDEO_MODEL_NONE:
                        continue;
                case VK_VIDEO_MODEL_DEFAULT:
                case VK_VIDEO_MODEL_VGA:
                        driver = primary ? "VGA" : NULL;
                        flag = VK_QEMU_CAPS_VGA;
                        break;
                case VK_VIDEO_MODEL_CIRRUS:
                        driver = primary ? "cirrus-vga" : NULL;
                        flag = VK_QEMU_CAPS_CIRRUS_VGA;
                        break;
                case VK_VIDEO_MODEL_QXL:
                        driver = primary ? "qxl-vga" : "qxl";
                        flag = VK_QEMU_CAPS_QXL;
                        break;
                case VK_VIDEO_MODEL_VIRTIO:
                        driver = primary ? "virtio-vga" : "virtio-gpu-pci";
                        flag = VK_QEMU_CAPS_VIRTIO_GPU;
                        break;
                case VK_VIDEO_MODEL_BOCHS:
                        driver = "bochs-display";
                        flag = VK_QEMU_CAPS_BOCHS_DISPLAY;
                        break;
                default:
                        flag = _VK_QEMU_CAPS_FLAG_INVALID;
                        break;
                }
                if (!driver)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "video '%s': model '%s' cannot be a secondary "
                                          "adapter",
                                          alias, vk_strempty(vk_video_model_to_string(v->model)));
                r = argv_need(b, flag, driver);
                if (r < 0)
                        return r;

                o = argv_device_new(driver);
                argv_jset_str(o, "id", alias);
                switch (v->model) {
                case VK_VIDEO_MODEL_QXL:
                        /* libvirt's properties and order; vram64 0: no 64-bit bar */
                        if (v->heads)
                                argv_jset_int(o, "max_outputs", v->heads);
                        argv_jset_int(o, "ram_size", (int64_t) (v->ram ? v->ram : v->vram) * 1024);
                        argv_jset_int(o, "vram_size", (int64_t) v->vram * 1024);
                        argv_jset_int(o, "vram64_size_mb", v->vram64 / 1024);
                        argv_jset_int(o, "vgamem_mb", v->vgamem ? v->vgamem / 1024 : 16);
                        break;
                case VK_VIDEO_MODEL_VIRTIO:
                        if (v->heads)
                                argv_jset_int(o, "max_outputs", v->heads);
                        break;
                case VK_VIDEO_MODEL_BOCHS:
                        if (v->vram)
                                argv_jset_int(o, "vgamem", (int64_t) v->vram * 1024);
                        break;
                case VK_VIDEO_MODEL_CIRRUS:
                        break; /* its video memory is fixed by the model */
                default:
                        if (v->vram)
                                argv_jset_int(o, "vgamem_mb", v->vram / 1024);
                        break;
                }
                r = argv_add_device_at(b, alias, o, &v->info, alias, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- watchdog, balloon, tpm, vmgenid (rng: qemu-argv-platform.c) ---- */

static int argv_build_watchdogs(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        VkWatchdogAction action = VK_WATCHDOG_ACTION_DEFAULT;

        for (size_t i = 0; i < def->n_watchdogs; i++) {
                const VkDomainWatchdog *w = def->watchdogs[i];
                g_autofree char *alias = argv_alias(&w->info, "watchdog%zu", i);
                JsonObject *o;
                int r;

                if (i > 0 && w->action != action)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "watchdogs with different actions are not supported: "
                                          "QEMU has one watchdog action");
                action = w->action;
                switch (w->model) {
                case VK_WATCHDOG_ITCO:
                        if (def->machine_kind != VK_MACHINE_Q35)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "watchdog '%s': model 'itco' needs a q35 "
                                                  "machine",
                                                  alias);
                        /* built into ICH9; it only needs to be allowed to act */
                        argv_add_pair(b, "-global", "ICH9-LPC.noreboot=off");
                        continue;
                case VK_WATCHDOG_IB700:
                        o = argv_device_new("ib700");
                        break;
                default:
                        o = argv_device_new("i6300esb");
                        break;
                }
                argv_jset_str(o, "id", alias);
                r = argv_add_device_at(b, alias, o, &w->info, alias, 0);
                if (r < 0)
                        return r;
        }

        /* libvirt 9.0 always names the action (reset when absent), with the old option */
        if (def->n_watchdogs > 0) {
                const char *a;

                switch (action) {
                case VK_WATCHDOG_ACTION_DEFAULT:
                        a = "reset";
                        break;
                case VK_WATCHDOG_ACTION_DUMP:
                        a = "pause"; /* the driver dumps the paused guest itself */
                        break;
                default:
                        a = vk_watchdog_action_to_string(action);
                        break;
                }
                argv_add_pair(b, "-watchdog-action", a);
        }
        return 0;
}

static int argv_build_tpm(ArgvBuilder *b, size_t i) {
        const VkDomainTpm *t = b->def->tpms[i];
        g_autofree char *alias = argv_alias(&t->info, "tpm%zu", i);
        g_autofree char *tpmdev = g_strdup_printf("tpm-%s", alias);
        JsonObject *o;
        int r;

        if (i > 0)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "only one <tpm> is supported");
        if (t->backend == VK_TPM_BACKEND_PASSTHROUGH) {
                g_autofree char *path = NULL, *base = NULL, *cancel = NULL;

                r = argv_need(b, VK_QEMU_CAPS_TPM_PASSTHROUGH, "TPM backend 'passthrough'");
                if (r < 0)
                        return r;
                if (!t->device_path)
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                          "tpm '%s': passthrough needs <device path=>", alias);
                path = argv_escape(t->device_path);
                base = g_path_get_basename(t->device_path);
                cancel = g_strdup_printf("/sys/class/tpm/%s/device/cancel", base);
                argv_add(b, "-tpmdev");
                argv_addf(b, "passthrough,id=%s,path=%s,cancel-path=%s", tpmdev, path, cancel);
        } else {
                g_autofree char *sock = NULL, *esc = NULL;

                r = argv_need(b, VK_QEMU_CAPS_TPM_EMULATOR, "TPM backend 'emulator'");
                if (r < 0)
                        return r;
                sock = b->opts->tpm_emulator_socket
                               ? g_strdup(b->opts->tpm_emulator_socket)
                               : g_strdup_printf("%s/swtpm.sock", b->opts->private_dir);
                esc = argv_escape(sock);
                argv_add(b, "-chardev");
                argv_addf(b, "socket,id=chrtpm,path=%s", esc);
                argv_add(b, "-tpmdev");
                argv_addf(b, "emulator,id=%s,chardev=chrtpm", tpmdev);
        }

        if (t->model == VK_TPM_MODEL_CRB) {
                r = argv_need(b, VK_QEMU_CAPS_TPM_CRB, "TPM model 'tpm-crb'");
                o = argv_device_new("tpm-crb");
        } else {
                r = argv_need(b, VK_QEMU_CAPS_TPM_TIS, "TPM model 'tpm-tis'");
                o = argv_device_new("tpm-tis");
        }
        if (r < 0) {
                json_object_unref(o);
                return r;
        }
        argv_jset_str(o, "tpmdev", tpmdev);
        argv_jset_str(o, "id", alias);
        argv_add_device(b, alias, o);
        return 0;
}

int argv_build_misc_devices(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        const VkDomainMemballoon *mb = def->memballoon;
        JsonObject *o;
        int r;

        r = argv_build_watchdogs(b);
        if (r < 0)
                return r;
        r = argv_build_redirdevs(b);
        if (r < 0)
                return r;

        /* <stats period=> is set over QMP once QEMU runs (qom-set guest-stats-polling...) */
        if (mb && mb->model == VK_MEMBALLOON_VIRTIO) {
                g_autofree char *alias = argv_alias(&mb->info, "balloon0");

                o = argv_device_new("virtio-balloon-pci");
                argv_jset_str(o, "id", alias);
                if (mb->autodeflate != VK_TRISTATE_ABSENT)
                        argv_jset_bool(o, "deflate-on-oom", mb->autodeflate == VK_TRISTATE_YES);
                r = argv_add_device_at(b, alias, o, &mb->info, alias, 0);
                if (r < 0)
                        return r;
        }

        r = argv_build_rngs(b);
        if (r < 0)
                return r;

        for (size_t i = 0; i < def->n_tpms; i++) {
                r = argv_build_tpm(b, i);
                if (r < 0)
                        return r;
        }

        if (def->has_genid) {
                char buf[VK_UUID_STRING_MAX];
                const char *guid;

                r = argv_need(b, VK_QEMU_CAPS_VMGENID, "<genid>");
                if (r < 0)
                        return r;
                if (def->genid_generated) {
                        guid = b->opts->genid;
                        if (!guid)
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                  "<genid/> without a value needs a generation "
                                                  "ID from the caller");
                } else
                        guid = vk_uuid_format(&def->genid, buf);
                o = argv_device_new("vmgenid");
                argv_jset_str(o, "guid", guid);
                argv_jset_str(o, "id", "vmgenid0");
                argv_add_device(b, "vmgenid0", o);
        }
        return 0;
}
