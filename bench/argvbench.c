/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argvbench.c: parse + format + argv of a domain with 30 devices; capabilities cache load */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qemu-argv.h"
#include "qemu-caps.h"
#include "qemu-conf.h"
#include "qemu-domain-def.h"

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* 6 virtio disks, 2 IDE cdroms, 6 NICs, 4 serials, 2 channels, 3 inputs, video, balloon,
 * rng, watchdog, VNC and 2 controllers: 30 devices. */
static char *domain_xml(void) {
        GString *s = g_string_new("<domain type='kvm'>\n  <name>bench30</name>\n"
                                  "  <memory unit='MiB'>512</memory>\n  <vcpu>2</vcpu>\n"
                                  "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                                  "  <devices>\n");

        for (int i = 0; i < 6; i++)
                g_string_append_printf(s,
                                       "    <disk type='file' device='disk'><driver name='qemu' "
                                       "type='qcow2' cache='none'/><source file='/var/lib/vm/d%d."
                                       "qcow2'/><target dev='vd%c' bus='virtio'/></disk>\n",
                                       i, 'a' + i);
        for (int i = 0; i < 2; i++)
                g_string_append_printf(s,
                                       "    <disk type='file' device='cdrom'><target dev='hd%c' "
                                       "bus='ide'/><readonly/></disk>\n",
                                       'a' + i);
        for (int i = 0; i < 6; i++)
                g_string_append_printf(s,
                                       "    <interface type='user'><mac "
                                       "address='52:54:00:00:00:%02x'/><model type='%s'/>"
                                       "</interface>\n",
                                       i, i % 2 ? "e1000" : "virtio");
        for (int i = 0; i < 4; i++)
                g_string_append_printf(s, "    <serial type='pty'><target port='%d'/></serial>\n",
                                       i);
        g_string_append(s, "    <channel type='unix'><target type='virtio' "
                           "name='org.qemu.guest_agent.0'/></channel>\n"
                           "    <channel type='pty'><target type='virtio' name='org.example.0'/>"
                           "</channel>\n"
                           "    <input type='tablet' bus='usb'/>\n"
                           "    <input type='keyboard' bus='virtio'/>\n"
                           "    <input type='mouse' bus='virtio'/>\n"
                           "    <video><model type='vga'/></video>\n"
                           "    <memballoon model='virtio'/>\n"
                           "    <rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                           "</rng>\n"
                           "    <watchdog model='i6300esb' action='reset'/>\n"
                           "    <graphics type='vnc' autoport='yes'/>\n"
                           "    <controller type='usb' model='qemu-xhci'/>\n"
                           "    <controller type='virtio-serial'/>\n"
                           "  </devices>\n</domain>\n");
        return g_string_free(s, false);
}

int main(int argc, char **argv) {
        int n = argc > 2 ? atoi(argv[2]) : 2000;
        g_autofree char *replies = NULL, *xml = domain_xml();
        g_autofree uint64_t *t = g_new0(uint64_t, n);
        g_autoptr(VkQemuCaps) caps = NULL;
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuArgvOptions opts = { .private_dir = "/run/virtkit/qemu/domain-1-bench30",
                                   .vnc_port = 5900,
                                   .now = 1700000000 };
        size_t n_devices = 0;

        if (argc < 2 || !g_file_get_contents(argv[1], &replies, NULL, NULL)) {
                fprintf(stderr, "usage: argvbench tests/data/qemucaps/caps_7.2.0_x86_64.replies "
                                "[N]\n");
                return 2;
        }
        if (vk_qemu_caps_new_from_replies(replies, "/usr/bin/qemu-system-x86_64", NULL, &caps,
                                          &err) < 0) {
                fprintf(stderr, "argvbench: %s\n", err.message);
                return 1;
        }
        for (int i = -200; i < n; i++) {
                g_autoptr(VkDomainDef) def = NULL;
                g_autoptr(VkQemuCommand) cmd = NULL;
                g_autofree char *out = NULL;
                uint64_t s = now_ns();

                if (vk_domain_def_parse_string(xml, 0, &def, &err) < 0 ||
                    vk_domain_def_format(def, 0, &out, &err) < 0 ||
                    vk_qemu_build_command(def, caps, cfg, &opts, &cmd, &err) < 0) {
                        fprintf(stderr, "argvbench: %s\n", err.message);
                        return 1;
                }
                if (i >= 0)
                        t[i] = now_ns() - s;
                n_devices = def->n_disks + def->n_nets + def->n_serials + def->n_channels +
                            def->n_inputs + def->n_videos + def->n_rngs + def->n_watchdogs +
                            def->n_graphics + def->n_controllers + (def->memballoon ? 1 : 0);
        }
        qsort(t, (size_t) n, sizeof(*t), cmp_u64);
        printf("{\"figure\":\"parse + format + argv, %zu devices after defaults\",\"unit\":\"us\","
               "\"median\":%.1f,\"min\":%.1f,\"p99\":%.1f,\"n\":%d}\n",
               n_devices, t[n / 2] / 1e3, t[0] / 1e3, t[(n * 99) / 100] / 1e3, n);
        return 0;
}
