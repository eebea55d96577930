/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-format.c: VkDomainDef back to libvirt domain XML, libvirt's element order */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"
#include "xml-metadata.h"

static void format_empty(VkXmlWriter *w, const char *name) {
        vk_xml_writer_start(w, name);
        vk_xml_writer_end(w);
}

static void format_uint_attr(VkXmlWriter *w, const char *name, unsigned v) {
        if (v)
                vk_xml_writer_attrf(w, name, "%u", v);
}

/* ---- devices ---------------------------------------------------------------------------- */

static void format_encryption(VkXmlWriter *w, const VkDomainDisk *d) {
        vk_xml_writer_start(w, "encryption");
        vk_xml_writer_attr(w, "format", "luks");
        vk_xml_writer_start(w, "secret");
        vk_xml_writer_attr(w, "type", "passphrase");
        vk_xml_writer_attr(w, "uuid", d->secret_uuid);
        vk_xml_writer_end(w);
        vk_xml_writer_end(w);
}

/* The chain below a disk, nested as libvirt writes it; an end closes it with <backingStore/>. */
static void format_backing(VkXmlWriter *w, const VkDomainDisk *d) {
        for (size_t i = 0; i < d->n_backing; i++) {
                const VkDomainDiskBacking *l = &d->backing[i];

                vk_xml_writer_start(w, "backingStore");
                vk_xml_writer_attr(w, "type", vk_disk_type_to_string(l->type));
                vk_xml_writer_start(w, "format");
                vk_xml_writer_attr(w, "type", vk_image_format_to_string(l->format));
                vk_xml_writer_end(w);
                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, l->type == VK_DISK_TYPE_FILE ? "file" : "dev", l->path);
                vk_xml_writer_end(w);
        }
        if (d->backing_end)
                format_empty(w, "backingStore");
        for (size_t i = 0; i < d->n_backing; i++)
                vk_xml_writer_end(w);
}

static void format_disk(VkXmlWriter *w, const VkDomainDisk *d, unsigned flags) {
        bool in_source = d->encrypted && d->encryption_in_source;

        vk_xml_writer_start(w, "disk");
        vk_xml_writer_attr(w, "type", vk_disk_type_to_string(d->type));
        vk_xml_writer_attr(w, "device", vk_disk_device_to_string(d->device));

        if (d->driver_name || d->format || d->cache || d->io || d->discard || d->detect_zeroes) {
                vk_xml_writer_start(w, "driver");
                vk_xml_writer_attr(w, "name", d->driver_name);
                if (d->format)
                        vk_xml_writer_attr(w, "type", vk_disk_format_to_string(d->format));
                if (d->cache)
                        vk_xml_writer_attr(w, "cache", vk_disk_cache_to_string(d->cache));
                if (d->io)
                        vk_xml_writer_attr(w, "io", vk_disk_io_to_string(d->io));
                if (d->discard)
                        vk_xml_writer_attr(w, "discard", vk_disk_discard_to_string(d->discard));
                if (d->detect_zeroes)
                        vk_xml_writer_attr(w, "detect_zeroes",
                                           vk_disk_detect_zeroes_to_string(d->detect_zeroes));
                vk_xml_writer_end(w);
        }

        if (d->src_path || d->src_pool || in_source) {
                vk_xml_writer_start(w, "source");
                if (d->type == VK_DISK_TYPE_FILE)
                        vk_xml_writer_attr(w, "file", d->src_path);
                else if (d->type == VK_DISK_TYPE_BLOCK)
                        vk_xml_writer_attr(w, "dev", d->src_path);
                else {
                        vk_xml_writer_attr(w, "pool", d->src_pool);
                        vk_xml_writer_attr(w, "volume", d->src_volume);
                }
                if (in_source)
                        format_encryption(w, d);
                vk_xml_writer_end(w);
        }
        format_backing(w, d);

        vk_xml_writer_start(w, "target");
        vk_xml_writer_attr(w, "dev", d->target_dev);
        if (d->bus)
                vk_xml_writer_attr(w, "bus", vk_disk_bus_to_string(d->bus));
        vk_xml_writer_end(w);

        if (d->readonly)
                format_empty(w, "readonly");
        if (d->shareable)
                format_empty(w, "shareable");
        vk_xml_writer_text_element(w, "serial", d->serial);
        if (d->encrypted && !in_source)
                format_encryption(w, d);
        vk_domain_format_device_info(w, &d->info, flags);
        vk_xml_writer_end(w);
}

static void format_controller(VkXmlWriter *w, const VkDomainController *c, unsigned flags) {
        const char *model_name = NULL;

        vk_xml_writer_start(w, "controller");
        vk_xml_writer_attr(w, "type", vk_controller_type_to_string(c->type));
        vk_xml_writer_attrf(w, "index", "%u", c->index);
        if (c->model)
                vk_xml_writer_attr(w, "model", vk_controller_model_to_string(c->model));
        format_uint_attr(w, "ports", c->ports);
        format_uint_attr(w, "vectors", c->vectors);

        switch (c->model) {
        case VK_CONTROLLER_MODEL_PCIE_ROOT_PORT:
                model_name = "pcie-root-port";
                break;
        case VK_CONTROLLER_MODEL_PCI_BRIDGE:
                model_name = "pci-bridge";
                break;
        case VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE:
                model_name = "pcie-pci-bridge";
                break;
        default:
                break;
        }
        if (model_name) {
                vk_xml_writer_start(w, "model");
                vk_xml_writer_attr(w, "name", model_name);
                vk_xml_writer_end(w);
        }
        if (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT &&
            (c->target_chassis || c->has_target_port)) {
                vk_xml_writer_start(w, "target");
                vk_xml_writer_attrf(w, "chassis", "%u", c->target_chassis);
                if (c->has_target_port)
                        vk_xml_writer_attrf(w, "port", "0x%x", c->target_port);
                vk_xml_writer_end(w);
        } else if (c->model == VK_CONTROLLER_MODEL_PCI_BRIDGE && c->target_chassis) {
                vk_xml_writer_start(w, "target");
                vk_xml_writer_attrf(w, "chassisNr", "%u", c->target_chassis);
                vk_xml_writer_end(w);
        }
        if (c->has_master) {
                vk_xml_writer_start(w, "master");
                vk_xml_writer_attrf(w, "startport", "%u", c->master_startport);
                vk_xml_writer_end(w);
        }
        vk_domain_format_device_info(w, &c->info, flags);
        vk_xml_writer_end(w);
}

static void format_net(VkXmlWriter *w, const VkDomainNet *n, unsigned flags) {
        char mac[18];

        vk_xml_writer_start(w, "interface");
        vk_xml_writer_attr(w, "type", vk_net_type_to_string(n->type));

        vk_domain_mac_format(n->mac, mac);
        vk_xml_writer_start(w, "mac");
        vk_xml_writer_attr(w, "address", mac);
        vk_xml_writer_end(w);

        if (n->source && n->type == VK_NET_TYPE_DIRECT) {
                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, "dev", n->source);
                vk_xml_writer_attr(w, "mode", vk_net_direct_mode_to_string(n->direct_mode));
                vk_xml_writer_end(w);
        } else if (n->source) {
                bool live = flags & VK_DOMAIN_DEF_FORMAT_LIVE;

                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, n->type == VK_NET_TYPE_NETWORK ? "network" : "bridge",
                                   n->source);
                if (live && n->port_id)
                        vk_xml_writer_attr(w, "portid", n->port_id);
                if (live && n->live_bridge && n->type == VK_NET_TYPE_NETWORK)
                        vk_xml_writer_attr(w, "bridge", n->live_bridge);
                if (live && n->live_dev && n->type == VK_NET_TYPE_NETWORK) {
                        vk_xml_writer_attr(w, "dev", n->live_dev);
                        vk_xml_writer_attr(w, "mode", vk_net_direct_mode_to_string(n->live_mode));
                }
                vk_xml_writer_end(w);
        }
        if (n->target_dev) {
                vk_xml_writer_start(w, "target");
                vk_xml_writer_attr(w, "dev", n->target_dev);
                vk_xml_writer_end(w);
        }
        if (n->model) {
                vk_xml_writer_start(w, "model");
                vk_xml_writer_attr(w, "type", vk_net_model_to_string(n->model));
                vk_xml_writer_end(w);
        }
        vk_domain_format_device_info(w, &n->info, flags);
        vk_xml_writer_end(w);
}

static void format_chr(VkXmlWriter *w, const VkDomainChr *c, unsigned flags) {
        vk_xml_writer_start(w, vk_chr_kind_to_string(c->kind));
        vk_xml_writer_attr(w, "type", vk_chr_type_to_string(c->type));

        if (c->type == VK_CHR_TYPE_TCP) {
                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, "mode", vk_chr_source_mode_to_string(c->mode));
                vk_xml_writer_attr(w, "host", c->host);
                vk_xml_writer_attr(w, "service", c->service);
                vk_xml_writer_end(w);
                vk_xml_writer_start(w, "protocol");
                vk_xml_writer_attr(w, "type", vk_chr_tcp_protocol_to_string(c->protocol));
                vk_xml_writer_end(w);
        } else if (c->path && (c->type != VK_CHR_TYPE_PTY || (flags & VK_DOMAIN_DEF_FORMAT_LIVE))) {
                vk_xml_writer_start(w, "source");
                if (c->mode)
                        vk_xml_writer_attr(w, "mode", vk_chr_source_mode_to_string(c->mode));
                vk_xml_writer_attr(w, "path", c->path);
                vk_xml_writer_end(w);
        } else if (c->mode && c->type != VK_CHR_TYPE_UNIX) {
                /* a UNIX socket without a path gets one at start: libvirt shows no <source> */
                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, "mode", vk_chr_source_mode_to_string(c->mode));
                vk_xml_writer_end(w);
        }

        vk_xml_writer_start(w, "target");
        if (c->target_type)
                vk_xml_writer_attr(w, "type", vk_chr_target_type_to_string(c->target_type));
        vk_xml_writer_attr(w, "name", c->target_name);
        if (c->target_port >= 0)
                vk_xml_writer_attrf(w, "port", "%d", c->target_port);
        if (c->kind == VK_CHR_SERIAL && c->target_type >= VK_CHR_TARGET_ISA_SERIAL &&
            c->target_type <= VK_CHR_TARGET_PCI_SERIAL) {
                vk_xml_writer_start(w, "model");
                vk_xml_writer_attr(w, "name", vk_chr_target_type_to_string(c->target_type));
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);

        vk_domain_format_device_info(w, &c->info, flags);
        vk_xml_writer_end(w);
}

static void format_input(VkXmlWriter *w, const VkDomainInput *in, unsigned flags) {
        vk_xml_writer_start(w, "input");
        vk_xml_writer_attr(w, "type", vk_input_type_to_string(in->type));
        if (in->bus)
                vk_xml_writer_attr(w, "bus", vk_input_bus_to_string(in->bus));
        vk_domain_format_device_info(w, &in->info, flags);
        vk_xml_writer_end(w);
}

static void format_tpm(VkXmlWriter *w, const VkDomainTpm *t, unsigned flags) {
        vk_xml_writer_start(w, "tpm");
        if (t->model)
                vk_xml_writer_attr(w, "model", vk_tpm_model_to_string(t->model));
        vk_xml_writer_start(w, "backend");
        vk_xml_writer_attr(w, "type", vk_tpm_backend_to_string(t->backend));
        vk_xml_writer_attr(w, "version", t->version);
        if (t->backend == VK_TPM_BACKEND_PASSTHROUGH && t->device_path) {
                vk_xml_writer_start(w, "device");
                vk_xml_writer_attr(w, "path", t->device_path);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
        vk_domain_format_device_info(w, &t->info, flags);
        vk_xml_writer_end(w);
}

static void format_graphics(VkXmlWriter *w, const VkDomainGraphics *g, unsigned flags) {
        vk_xml_writer_start(w, "graphics");
        vk_xml_writer_attr(w, "type", vk_graphics_type_to_string(g->type));
        /* as libvirt: an automatic SPICE port is not shown until it is picked, VNC's is -1 */
        if (g->port && (g->port > 0 || g->type == VK_GRAPHICS_VNC))
                vk_xml_writer_attrf(w, "port", "%d", g->port);
        if (g->tls_port > 0)
                vk_xml_writer_attrf(w, "tlsPort", "%d", g->tls_port);
        vk_xml_writer_attr(w, "autoport", vk_tristate_bool_to_string(g->autoport));
        if (g->websocket)
                vk_xml_writer_attrf(w, "websocket", "%d", g->websocket);
        vk_xml_writer_attr(w, "listen", g->listen);
        vk_xml_writer_attr(w, "keymap", g->keymap);
        if (flags & VK_DOMAIN_DEF_FORMAT_SECURE)
                vk_xml_writer_attr(w, "passwd", g->passwd);
        if (g->listen_none) {
                vk_xml_writer_start(w, "listen");
                vk_xml_writer_attr(w, "type", "none");
                vk_xml_writer_end(w);
        } else { /* as libvirt: <listen type='address'/> even without an address */
                vk_xml_writer_start(w, "listen");
                vk_xml_writer_attr(w, "type", "address");
                vk_xml_writer_attr(w, "address", g->listen);
                vk_xml_writer_end(w);
        }
        if (g->image_compression) {
                vk_xml_writer_start(w, "image");
                vk_xml_writer_attr(w, "compression", g->image_compression);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_video(VkXmlWriter *w, const VkDomainVideo *v, unsigned flags) {
        vk_xml_writer_start(w, "video");
        if (v->model) {
                vk_xml_writer_start(w, "model");
                vk_xml_writer_attr(w, "type", vk_video_model_to_string(v->model));
                format_uint_attr(w, "ram", v->ram);
                format_uint_attr(w, "vram", v->vram);
                format_uint_attr(w, "vram64", v->vram64);
                format_uint_attr(w, "vgamem", v->vgamem);
                format_uint_attr(w, "heads", v->heads);
                if (v->primary)
                        vk_xml_writer_attr(w, "primary", "yes");
                vk_xml_writer_end(w);
        }
        vk_domain_format_device_info(w, &v->info, flags);
        vk_xml_writer_end(w);
}

static void format_watchdog(VkXmlWriter *w, const VkDomainWatchdog *wd, unsigned flags) {
        vk_xml_writer_start(w, "watchdog");
        vk_xml_writer_attr(w, "model", vk_watchdog_model_to_string(wd->model));
        if (wd->action)
                vk_xml_writer_attr(w, "action", vk_watchdog_action_to_string(wd->action));
        vk_domain_format_device_info(w, &wd->info, flags);
        vk_xml_writer_end(w);
}

static void format_memballoon(VkXmlWriter *w, const VkDomainMemballoon *mb, unsigned flags) {
        vk_xml_writer_start(w, "memballoon");
        vk_xml_writer_attr(w, "model", vk_memballoon_model_to_string(mb->model));
        vk_xml_writer_attr(w, "autodeflate", vk_tristate_switch_to_string(mb->autodeflate));
        if (mb->stats_period) {
                vk_xml_writer_start(w, "stats");
                vk_xml_writer_attrf(w, "period", "%u", mb->stats_period);
                vk_xml_writer_end(w);
        }
        vk_domain_format_device_info(w, &mb->info, flags);
        vk_xml_writer_end(w);
}

static void format_rng(VkXmlWriter *w, const VkDomainRng *rng, unsigned flags) {
        vk_xml_writer_start(w, "rng");
        vk_xml_writer_attr(w, "model", "virtio");
        if (rng->rate_bytes) {
                vk_xml_writer_start(w, "rate");
                vk_xml_writer_attrf(w, "bytes", "%u", rng->rate_bytes);
                format_uint_attr(w, "period", rng->rate_period);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_start(w, "backend");
        vk_xml_writer_attr(w, "model", vk_rng_backend_to_string(rng->backend));
        vk_xml_writer_text(w, rng->backend_path);
        vk_xml_writer_end(w);
        vk_domain_format_device_info(w, &rng->info, flags);
        vk_xml_writer_end(w);
}

/* Write <devices> in libvirt's order of device kinds. */
void vk_domain_devices_format(VkXmlWriter *w, const VkDomainDef *def, unsigned flags) {
        vk_xml_writer_start(w, "devices");
        vk_xml_writer_text_element(w, "emulator", def->emulator);
        for (size_t i = 0; i < def->n_disks; i++)
                format_disk(w, def->disks[i], flags);
        for (size_t i = 0; i < def->n_controllers; i++)
                format_controller(w, def->controllers[i], flags);
        for (size_t i = 0; i < def->n_filesystems; i++)
                vk_domain_fs_format(w, def->filesystems[i], flags);
        for (size_t i = 0; i < def->n_nets; i++)
                format_net(w, def->nets[i], flags);
        for (size_t i = 0; i < def->n_smartcards; i++)
                vk_domain_smartcard_format(w, def->smartcards[i], flags);
        for (size_t i = 0; i < def->n_serials; i++)
                format_chr(w, def->serials[i], flags);
        for (size_t i = 0; i < def->n_parallels; i++)
                format_chr(w, def->parallels[i], flags);
        for (size_t i = 0; i < def->n_consoles; i++)
                format_chr(w, def->consoles[i], flags);
        for (size_t i = 0; i < def->n_channels; i++)
                format_chr(w, def->channels[i], flags);
        for (size_t i = 0; i < def->n_inputs; i++)
                format_input(w, def->inputs[i], flags);
        for (size_t i = 0; i < def->n_tpms; i++)
                format_tpm(w, def->tpms[i], flags);
        for (size_t i = 0; i < def->n_graphics; i++)
                format_graphics(w, def->graphics[i], flags);
        for (size_t i = 0; i < def->n_sounds; i++)
                vk_domain_sound_format(w, def->sounds[i], flags);
        vk_domain_audio_format(w, def);
        for (size_t i = 0; i < def->n_videos; i++)
                format_video(w, def->videos[i], flags);
        for (size_t i = 0; i < def->n_redirdevs; i++)
                vk_domain_redirdev_format(w, def->redirdevs[i], flags);
        for (size_t i = 0; i < def->n_watchdogs; i++)
                format_watchdog(w, def->watchdogs[i], flags);
        if (def->memballoon)
                format_memballoon(w, def->memballoon, flags);
        for (size_t i = 0; i < def->n_rngs; i++)
                format_rng(w, def->rngs[i], flags);
        for (size_t i = 0; i < def->n_panics; i++)
                vk_domain_panic_format(w, def->panics[i], flags);
        if (def->vsock)
                vk_domain_vsock_format(w, def->vsock, flags);
        vk_xml_writer_end(w);
}

/* ---- domain-wide elements --------------------------------------------------------------- */

static void format_memory(VkXmlWriter *w, const char *name, unsigned long long kib,
                          unsigned slots) {
        vk_xml_writer_start(w, name);
        format_uint_attr(w, "slots", slots);
        vk_xml_writer_attr(w, "unit", "KiB");
        {
                g_autofree char *v = g_strdup_printf("%llu", kib);

                vk_xml_writer_text(w, v);
        }
        vk_xml_writer_end(w);
}

static void format_os(VkXmlWriter *w, const VkDomainDef *def) {
        vk_xml_writer_start(w, "os");
        vk_xml_writer_attr(w, "firmware", vk_os_firmware_to_string(def->os_firmware));

        vk_xml_writer_start(w, "type");
        vk_xml_writer_attr(w, "arch", vk_domain_arch_to_string(def->arch));
        vk_xml_writer_attr(w, "machine", def->machine);
        vk_xml_writer_text(w, def->os_type);
        vk_xml_writer_end(w);

        vk_domain_os_firmware_format(w, def);
        vk_xml_writer_text_element(w, "kernel", def->kernel);
        vk_xml_writer_text_element(w, "initrd", def->initrd);
        vk_xml_writer_text_element(w, "cmdline", def->cmdline);
        for (size_t i = 0; i < def->n_boot; i++) {
                vk_xml_writer_start(w, "boot");
                vk_xml_writer_attr(w, "dev", vk_boot_dev_to_string(def->boot[i]));
                vk_xml_writer_end(w);
        }
        if (def->bootmenu) {
                vk_xml_writer_start(w, "bootmenu");
                vk_xml_writer_attr(w, "enable", vk_tristate_bool_to_string(def->bootmenu));
                if (def->has_bootmenu_timeout)
                        vk_xml_writer_attrf(w, "timeout", "%u", def->bootmenu_timeout);
                vk_xml_writer_end(w);
        }
        if (def->smbios_mode) {
                vk_xml_writer_start(w, "smbios");
                vk_xml_writer_attr(w, "mode", vk_smbios_mode_to_string(def->smbios_mode));
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_features(VkXmlWriter *w, const VkDomainDef *def) {
        bool any = false;

        for (int f = 0; f < _VK_FEATURE_MAX; f++)
                any = any || def->features[f] != VK_TRISTATE_ABSENT;
        if (!any && !def->hyperv.present && !def->kvm.present)
                return;

        vk_xml_writer_start(w, "features");
        for (int f = 0; f < _VK_FEATURE_MAX; f++) {
                /* libvirt's order: acpi, apic, pae, hap, hyperv, kvm, pmu, vmport, smm */
                if (f == VK_FEATURE_PMU) {
                        vk_domain_hyperv_format(w, &def->hyperv);
                        vk_domain_kvm_format(w, &def->kvm);
                }
                if (def->features[f] == VK_TRISTATE_ABSENT)
                        continue;
                vk_xml_writer_start(w, vk_feature_to_string(f));
                if (f == VK_FEATURE_HAP || f == VK_FEATURE_PMU || f == VK_FEATURE_VMPORT ||
                    f == VK_FEATURE_SMM)
                        vk_xml_writer_attr(w, "state",
                                           vk_tristate_switch_to_string(def->features[f]));
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_clock(VkXmlWriter *w, const VkDomainDef *def) {
        vk_xml_writer_start(w, "clock");
        vk_xml_writer_attr(w, "offset", vk_clock_offset_to_string(def->clock_offset));
        if (def->clock_offset == VK_CLOCK_OFFSET_VARIABLE) {
                vk_xml_writer_attrf(w, "adjustment", "%lld", def->clock_adjustment);
                vk_xml_writer_attr(w, "basis", vk_clock_basis_to_string(def->clock_basis));
        }
        for (size_t i = 0; i < def->n_timers; i++) {
                const VkDomainTimer *t = &def->timers[i];

                vk_xml_writer_start(w, "timer");
                vk_xml_writer_attr(w, "name", vk_timer_name_to_string(t->name));
                vk_xml_writer_attr(w, "present", vk_tristate_bool_to_string(t->present));
                if (t->tickpolicy)
                        vk_xml_writer_attr(w, "tickpolicy",
                                           vk_timer_tickpolicy_to_string(t->tickpolicy));
                if (t->track)
                        vk_xml_writer_attr(w, "track", vk_timer_track_to_string(t->track));
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_seclabel(VkXmlWriter *w, const VkSeclabel *s, unsigned flags) {
        bool live = flags & VK_DOMAIN_DEF_FORMAT_LIVE;
        bool show_assigned = s->type != VK_SECLABEL_DYNAMIC || live;

        vk_xml_writer_start(w, "seclabel");
        vk_xml_writer_attr(w, "type", vk_seclabel_type_to_string(s->type));
        if (s->has_model)
                vk_xml_writer_attr(w, "model", vk_seclabel_model_to_string(s->model));
        vk_xml_writer_attr(w, "relabel", vk_tristate_bool_to_string(s->relabel));
        if (show_assigned)
                vk_xml_writer_text_element(w, "label", s->label);
        if (show_assigned)
                vk_xml_writer_text_element(w, "imagelabel", s->imagelabel);
        vk_xml_writer_text_element(w, "baselabel", s->baselabel);
        vk_xml_writer_end(w);
}

/*
 * Format @def as libvirt domain XML (2-space indentation, libvirt's element order). @flags:
 * VK_DOMAIN_DEF_FORMAT_LIVE adds runtime data (id=, runtime aliases, assigned labels, pty
 * paths); VK_DOMAIN_DEF_FORMAT_SECURE includes graphics passwords. Output is a pure function of
 * @def. On success the caller owns *ret_xml (g_free). Never fails on a valid model; returns 0.
 */
int vk_domain_def_format(const VkDomainDef *def, unsigned flags, char **ret_xml, VkError *reterr) {
        g_auto(VkXmlWriter) w = {};
        char uuid[VK_UUID_STRING_MAX];

        assert(def);
        assert(ret_xml);

        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "domain");
        vk_xml_writer_attr(&w, "type", vk_domain_virt_to_string(def->virt_type));
        if ((flags & VK_DOMAIN_DEF_FORMAT_LIVE) && def->id >= 0)
                vk_xml_writer_attrf(&w, "id", "%d", def->id);
        if (vk_domain_ns_in_use(def))
                vk_xml_writer_attr(&w, "xmlns:qemu", VK_QEMU_NS_HREF);

        vk_xml_writer_text_element(&w, "name", def->name);
        vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->uuid, uuid));
        if (def->has_genid) {
                if (def->genid_generated)
                        format_empty(&w, "genid");
                else
                        vk_xml_writer_text_element(&w, "genid", vk_uuid_format(&def->genid, uuid));
        }
        vk_xml_writer_text_element(&w, "title", def->title);
        vk_xml_writer_text_element(&w, "description", def->description);
        vk_xml_writer_metadata(&w, def->metadata);

        if (def->max_memory_kib)
                format_memory(&w, "maxMemory", def->max_memory_kib, def->max_memory_slots);
        format_memory(&w, "memory", def->memory_kib, 0);
        format_memory(&w, "currentMemory", def->current_memory_kib, 0);
        vk_domain_tune_format_memory(&w, def);

        vk_xml_writer_start(&w, "vcpu");
        vk_xml_writer_attr(&w, "placement", vk_vcpu_placement_to_string(def->vcpu_placement));
        vk_xml_writer_attr(&w, "cpuset", def->vcpu_cpuset);
        format_uint_attr(&w, "current", def->vcpus_current);
        {
                g_autofree char *v = g_strdup_printf("%u", def->vcpus);

                vk_xml_writer_text(&w, v);
        }
        vk_xml_writer_end(&w);
        vk_domain_tune_format_threads(&w, def);
        vk_domain_sysinfo_format(&w, &def->sysinfo);

        format_os(&w, def);
        format_features(&w, def);
        vk_domain_cpu_format(&w, &def->cpu);
        format_clock(&w, def);
        vk_xml_writer_text_element(&w, "on_poweroff",
                                   vk_lifecycle_action_to_string(def->on_poweroff));
        vk_xml_writer_text_element(&w, "on_reboot", vk_lifecycle_action_to_string(def->on_reboot));
        vk_xml_writer_text_element(&w, "on_crash", vk_lifecycle_action_to_string(def->on_crash));

        if (def->pm_suspend_to_mem || def->pm_suspend_to_disk) {
                vk_xml_writer_start(&w, "pm");
                if (def->pm_suspend_to_mem) {
                        vk_xml_writer_start(&w, "suspend-to-mem");
                        vk_xml_writer_attr(&w, "enabled",
                                           vk_tristate_bool_to_string(def->pm_suspend_to_mem));
                        vk_xml_writer_end(&w);
                }
                if (def->pm_suspend_to_disk) {
                        vk_xml_writer_start(&w, "suspend-to-disk");
                        vk_xml_writer_attr(&w, "enabled",
                                           vk_tristate_bool_to_string(def->pm_suspend_to_disk));
                        vk_xml_writer_end(&w);
                }
                vk_xml_writer_end(&w);
        }

        vk_domain_devices_format(&w, def, flags);
        for (size_t i = 0; i < def->n_seclabels; i++)
                format_seclabel(&w, &def->seclabels[i], flags);
        vk_domain_ns_format(&w, def);
        vk_xml_writer_end(&w);

        *ret_xml = vk_xml_writer_steal(&w);
        return 0;
}
