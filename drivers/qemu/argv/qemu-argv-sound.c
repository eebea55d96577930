/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-sound.c: sound devices and SPICE USB redirection on the command line */
#include <errno.h>

#include "qemu-argv-internal.h"

/*
 * <sound>, after the videos, as libvirt 9.0 builds it: an HDA controller (ich6: intel-hda,
 * ich9: ich9-intel-hda) with an hda-duplex codec, or an AC97 or usb-audio device; each plays
 * through the domain's audio backend "audio1" (-audiodev, qemu-argv-devices.c).
 */
int argv_build_sounds(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_sounds; i++) {
                const VkDomainSound *s = def->sounds[i];
                g_autofree char *alias = argv_alias(&s->info, "sound%zu", i);
                bool hda = s->model == VK_SOUND_ICH6 || s->model == VK_SOUND_ICH9;
                JsonObject *o;
                int r;

                switch (s->model) {
                case VK_SOUND_ICH6:
                        o = argv_device_new("intel-hda");
                        break;
                case VK_SOUND_ICH9:
                        o = argv_device_new("ich9-intel-hda");
                        break;
                case VK_SOUND_AC97:
                        o = argv_device_new("AC97");
                        break;
                case VK_SOUND_USB:
                        o = argv_device_new("usb-audio");
                        break;
                default:
                        return argv_error(b, VK_ERROR_INTERNAL, -EINVAL, "unexpected sound model");
                }
                argv_jset_str(o, "id", alias);
                if (!hda)
                        argv_jset_str(o, "audiodev", "audio1");
                r = argv_add_device_at(b, alias, o, &s->info, alias, 0);
                if (r < 0)
                        return r;
                if (hda) {
                        g_autofree char *codec = g_strdup_printf("%s-codec0", alias);
                        g_autofree char *bus = g_strdup_printf("%s.0", alias);

                        o = argv_device_new("hda-duplex");
                        argv_jset_str(o, "id", codec);
                        argv_jset_str(o, "bus", bus);
                        argv_jset_int(o, "cad", 0);
                        argv_jset_str(o, "audiodev", "audio1");
                        argv_add_device(b, codec, o);
                }
        }
        return 0;
}

/* <redirdev bus='usb' type='spicevmc'>: a spicevmc chardev (usbredir) and a usb-redir device */
int argv_build_redirdevs(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        bool spice = false;

        for (size_t i = 0; i < def->n_graphics; i++)
                spice = spice || def->graphics[i]->type == VK_GRAPHICS_SPICE;
        for (size_t i = 0; i < def->n_redirdevs; i++) {
                const VkDomainRedirdev *rd = def->redirdevs[i];
                g_autofree char *alias = argv_alias(&rd->info, "redir%zu", i);
                g_autofree char *chardev = g_strdup_printf("char%s", alias);
                JsonObject *o;
                int r;

                if (!spice)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "redirdev '%s': type 'spicevmc' needs <graphics "
                                          "type='spice'>",
                                          alias);
                argv_add(b, "-chardev");
                argv_addf(b, "spicevmc,id=%s,name=usbredir", chardev);
                o = argv_device_new("usb-redir");
                argv_jset_str(o, "chardev", chardev);
                argv_jset_str(o, "id", alias);
                r = argv_add_device_at(b, alias, o, &rd->info, alias, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}
