/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-devices.c: <devices>: each child to the parser of its kind; freeing every device */
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

#define FREE_ARRAY(array, count, fn)                                                               \
        do {                                                                                       \
                for (size_t _i = 0; _i < (count); _i++)                                            \
                        fn((array)[_i]);                                                           \
                g_clear_pointer(&(array), g_free);                                                 \
                (count) = 0;                                                                       \
        } while (0)

/* Free every device of @def. */
void vk_domain_devices_free(VkDomainDef *def) {
        FREE_ARRAY(def->disks, def->n_disks, vk_domain_disk_free);
        FREE_ARRAY(def->controllers, def->n_controllers, vk_domain_controller_free);
        FREE_ARRAY(def->nets, def->n_nets, vk_domain_net_free);
        FREE_ARRAY(def->inputs, def->n_inputs, vk_domain_input_free);
        FREE_ARRAY(def->graphics, def->n_graphics, vk_domain_graphics_free);
        FREE_ARRAY(def->videos, def->n_videos, vk_domain_video_free);
        FREE_ARRAY(def->sounds, def->n_sounds, vk_domain_sound_free);
        FREE_ARRAY(def->redirdevs, def->n_redirdevs, vk_domain_redirdev_free);
        FREE_ARRAY(def->serials, def->n_serials, vk_domain_chr_free);
        FREE_ARRAY(def->parallels, def->n_parallels, vk_domain_chr_free);
        FREE_ARRAY(def->consoles, def->n_consoles, vk_domain_chr_free);
        FREE_ARRAY(def->channels, def->n_channels, vk_domain_chr_free);
        FREE_ARRAY(def->watchdogs, def->n_watchdogs, vk_domain_watchdog_free);
        FREE_ARRAY(def->rngs, def->n_rngs, vk_domain_rng_free);
        FREE_ARRAY(def->tpms, def->n_tpms, vk_domain_tpm_free);
        def->memballoon = vk_domain_memballoon_free(def->memballoon);
        FREE_ARRAY(def->filesystems, def->n_filesystems, vk_domain_fs_free);
        FREE_ARRAY(def->smartcards, def->n_smartcards, vk_domain_smartcard_free);
        def->vsock = vk_domain_vsock_free(def->vsock);
        FREE_ARRAY(def->panics, def->n_panics, vk_domain_panic_free);
}

/* ---- <devices> -------------------------------------------------------------------------- */

static size_t devices_count(const VkDomainDef *def, const char *name) {
        if (strcmp(name, "disk") == 0)
                return def->n_disks;
        if (strcmp(name, "controller") == 0)
                return def->n_controllers;
        if (strcmp(name, "interface") == 0)
                return def->n_nets;
        if (strcmp(name, "input") == 0)
                return def->n_inputs;
        if (strcmp(name, "video") == 0)
                return def->n_videos;
        if (strcmp(name, "serial") == 0)
                return def->n_serials;
        if (strcmp(name, "parallel") == 0)
                return def->n_parallels;
        if (strcmp(name, "console") == 0)
                return def->n_consoles;
        if (strcmp(name, "channel") == 0)
                return def->n_channels;
        if (strcmp(name, "rng") == 0)
                return def->n_rngs;
        if (strcmp(name, "sound") == 0)
                return def->n_sounds;
        if (strcmp(name, "redirdev") == 0)
                return def->n_redirdevs;
        if (strcmp(name, "filesystem") == 0)
                return def->n_filesystems;
        if (strcmp(name, "smartcard") == 0)
                return def->n_smartcards;
        if (strcmp(name, "panic") == 0)
                return def->n_panics;
        return 0;
}

/*
 * Parse the children of <devices> into @def's device arrays, in document order per kind.
 *
 *   <devices>
 *     <emulator>/usr/bin/qemu-system-x86_64</emulator>
 *     <disk type='file' device='disk'>...</disk>
 *     <interface type='network'><source network='default'/></interface>
 *     ...
 *   </devices>
 */
int vk_domain_devices_parse(VkDomainDef *def, xmlNode *devices, unsigned flags, VkError *reterr) {
        int r;

        r = vk_xml_check_node(devices, VK_XML_NONE,
                              VK_STRV("emulator", "disk", "controller", "interface", "input",
                                      "graphics", "video", "serial", "parallel", "console",
                                      "channel", "memballoon", "rng", "watchdog", "tpm", "sound",
                                      "audio", "redirdev", "hostdev", "filesystem", "smartcard",
                                      "vsock", "panic"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(devices, VK_STRV("emulator", "memballoon"), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(devices); c; c = vk_xml_next_element(c)) {
                const char *name = (const char *) c->name;

                if (devices_count(def, name) >= VK_DOMAIN_DEVICES_MAX)
                        return vk_xml_error(c, NULL, reterr, "more than %d <%s> devices",
                                            VK_DOMAIN_DEVICES_MAX, name);

                if (strcmp(name, "emulator") == 0) {
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r >= 0)
                                r = vk_xml_node_text(c, VK_XML_REQUIRED, &def->emulator, reterr);
                        if (r >= 0)
                                r = vk_domain_check_path(c, NULL, def->emulator, reterr);
                } else if (strcmp(name, "disk") == 0)
                        r = vk_domain_disk_parse(def, c, flags, reterr);
                else if (strcmp(name, "controller") == 0)
                        r = vk_domain_controller_parse(def, c, flags, reterr);
                else if (strcmp(name, "interface") == 0)
                        r = vk_domain_net_parse(def, c, flags, reterr);
                else if (strcmp(name, "input") == 0)
                        r = vk_domain_input_parse(def, c, flags, reterr);
                else if (strcmp(name, "graphics") == 0)
                        r = vk_domain_graphics_parse(def, c, flags, reterr);
                else if (strcmp(name, "video") == 0)
                        r = vk_domain_video_parse(def, c, flags, reterr);
                else if (strcmp(name, "serial") == 0)
                        r = vk_domain_chr_parse(def, VK_CHR_SERIAL, c, flags, reterr);
                else if (strcmp(name, "parallel") == 0)
                        r = vk_domain_chr_parse(def, VK_CHR_PARALLEL, c, flags, reterr);
                else if (strcmp(name, "console") == 0)
                        r = vk_domain_chr_parse(def, VK_CHR_CONSOLE, c, flags, reterr);
                else if (strcmp(name, "channel") == 0)
                        r = vk_domain_chr_parse(def, VK_CHR_CHANNEL, c, flags, reterr);
                else if (strcmp(name, "memballoon") == 0)
                        r = vk_domain_memballoon_parse(def, c, flags, reterr);
                else if (strcmp(name, "rng") == 0)
                        r = vk_domain_rng_parse(def, c, flags, reterr);
                else if (strcmp(name, "watchdog") == 0)
                        r = vk_domain_watchdog_parse(def, c, flags, reterr);
                else if (strcmp(name, "tpm") == 0)
                        r = vk_domain_tpm_parse(def, c, flags, reterr);
                else if (strcmp(name, "sound") == 0)
                        r = vk_domain_sound_parse(def, c, flags, reterr);
                else if (strcmp(name, "audio") == 0)
                        r = vk_domain_audio_parse(def, c, reterr);
                else if (strcmp(name, "redirdev") == 0)
                        r = vk_domain_redirdev_parse(def, c, flags, reterr);
                else if (strcmp(name, "filesystem") == 0)
                        r = vk_domain_fs_parse(def, c, flags, reterr);
                else if (strcmp(name, "smartcard") == 0)
                        r = vk_domain_smartcard_parse(def, c, flags, reterr);
                else if (strcmp(name, "vsock") == 0)
                        r = vk_domain_vsock_parse(def, c, flags, reterr);
                else if (strcmp(name, "panic") == 0)
                        r = vk_domain_panic_parse(def, c, flags, reterr);
                else
                        r = vk_xml_error(c, NULL, reterr,
                                         "host device assignment (<hostdev>) is not supported "
                                         "yet");
                if (r < 0)
                        return r;
        }
        return 0;
}
