/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-sound.c: <sound> and <redirdev>, the devices a SPICE desktop guest adds */
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_audio_type, VkAudioType, _VK_AUDIO_TYPE_MAX, "none", "spice")
VK_DOMAIN_ENUM_IMPL(vk_sound_model, VkSoundModel, _VK_SOUND_MODEL_MAX, "ich6", "ich9", "ac97",
                    "usb")

VkDomainSound *vk_domain_sound_free(VkDomainSound *s) {
        if (!s)
                return NULL;
        g_free(s->info.alias);
        g_free(s);
        return NULL;
}

VkDomainRedirdev *vk_domain_redirdev_free(VkDomainRedirdev *r) {
        if (!r)
                return NULL;
        g_free(r->info.alias);
        g_free(r);
        return NULL;
}

/*
 * <sound model='ich6|ich9|ac97|usb'/>, with <alias> and <address>. Codecs and a choice of
 * <audio> backend are not supported: the device plays through the domain's one backend
 * (SPICE's with SPICE graphics, else none), with the default codec (hda-duplex), as
 * virt-install's default sound device does under libvirt.
 */
int vk_domain_sound_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainSound) s = g_new0(VkDomainSound, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("model"), VK_STRV("alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "model", vk_sound_model_from_string, VK_XML_REQUIRED, &s->model,
                             reterr);
        if (r < 0)
                return r;
        r = vk_domain_parse_device_info(node, flags, false, &s->info, reterr);
        if (r < 0)
                return r;
        if (s->model == VK_SOUND_USB && s->info.addr.type != VK_ADDRESS_NONE &&
            s->info.addr.type != VK_ADDRESS_USB)
                return vk_xml_error(node, NULL, reterr, "a USB sound device needs a USB address");
        if (s->model != VK_SOUND_USB && s->info.addr.type != VK_ADDRESS_NONE &&
            s->info.addr.type != VK_ADDRESS_PCI)
                return vk_xml_error(node, NULL, reterr, "sound model '%s' needs a PCI address",
                                    vk_sound_model_to_string(s->model));
        VK_DOMAIN_APPEND(def->sounds, def->n_sounds, g_steal_pointer(&s));
        return 0;
}

/*
 * <audio id='N' type='none|spice'/>, as virsh dumpxml shows the backend: one, without the
 * host backends' settings (QEMU gets one -audiodev, audio1: qemu-argv-devices.c).
 */
int vk_domain_audio_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *type = NULL;
        int r;

        if (def->has_audio)
                return vk_xml_error(node, NULL, reterr, "only one <audio> backend is supported");
        r = vk_xml_check_node(node, VK_STRV("id", "type"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "id", VK_XML_REQUIRED | VK_XML_NONZERO, &def->audio_id, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        r = vk_audio_type_from_string(type);
        if (r < 0)
                return vk_xml_error(node, "type", reterr,
                                    "unsupported value '%s' (virtkit supports 'none' and "
                                    "'spice')",
                                    type);
        def->audio_type = r;
        def->has_audio = true;
        return 0;
}

/*
 * The backend libvirt 9.0 writes in at define when a domain names none (QEMU always gets one):
 * <audio id='1'>, SPICE's when the last graphics is SPICE, else 'none' (the host's own audio
 * is never used, as with qemu.conf's defaults).
 */
void vk_domain_audio_post_parse(VkDomainDef *def) {
        if (def->has_audio)
                return;
        def->has_audio = true;
        def->audio_id = 1;
        def->audio_type =
                def->n_graphics > 0 && def->graphics[def->n_graphics - 1]->type == VK_GRAPHICS_SPICE
                        ? VK_AUDIO_SPICE
                        : VK_AUDIO_NONE;
}

void vk_domain_audio_format(VkXmlWriter *w, const VkDomainDef *def) {
        if (!def->has_audio)
                return;
        vk_xml_writer_start(w, "audio");
        vk_xml_writer_attrf(w, "id", "%u", def->audio_id);
        vk_xml_writer_attr(w, "type", vk_audio_type_to_string(def->audio_type));
        vk_xml_writer_end(w);
}

/* <redirdev bus='usb' type='spicevmc'/>, with <alias> and a USB <address>. */
int vk_domain_redirdev_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainRedirdev) rd = g_new0(VkDomainRedirdev, 1);
        g_autofree char *bus = NULL, *type = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("bus", "type"), VK_STRV("alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "bus", 0, &bus, reterr);
        if (r < 0)
                return r;
        if (bus && strcmp(bus, "usb") != 0)
                return vk_xml_error(node, "bus", reterr, "unsupported value '%s' (only 'usb')",
                                    bus);
        r = vk_xml_prop_string(node, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        if (strcmp(type, "spicevmc") != 0)
                return vk_xml_error(node, "type", reterr,
                                    "unsupported value '%s' (only 'spicevmc': USB redirection "
                                    "from the SPICE client)",
                                    type);
        r = vk_domain_parse_device_info(node, flags, false, &rd->info, reterr);
        if (r < 0)
                return r;
        if (rd->info.addr.type != VK_ADDRESS_NONE && rd->info.addr.type != VK_ADDRESS_USB)
                return vk_xml_error(node, NULL, reterr, "a redirdev needs a USB address");
        VK_DOMAIN_APPEND(def->redirdevs, def->n_redirdevs, g_steal_pointer(&rd));
        return 0;
}

void vk_domain_sound_format(VkXmlWriter *w, const VkDomainSound *s, unsigned flags) {
        vk_xml_writer_start(w, "sound");
        vk_xml_writer_attr(w, "model", vk_sound_model_to_string(s->model));
        vk_domain_format_device_info(w, &s->info, flags);
        vk_xml_writer_end(w);
}

void vk_domain_redirdev_format(VkXmlWriter *w, const VkDomainRedirdev *r, unsigned flags) {
        vk_xml_writer_start(w, "redirdev");
        vk_xml_writer_attr(w, "bus", "usb");
        vk_xml_writer_attr(w, "type", "spicevmc");
        vk_domain_format_device_info(w, &r->info, flags);
        vk_xml_writer_end(w);
}
