/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-display.c: <graphics>, <video> and <input>: parse and free */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* Free @input; takes NULL, returns NULL. */
VkDomainInput *vk_domain_input_free(VkDomainInput *input) {
        if (!input)
                return NULL;
        vk_domain_device_info_clear(&input->info);
        g_free(input);
        return NULL;
}

/* Free @g and what it owns (the password is wiped first); takes NULL, returns NULL. */
VkDomainGraphics *vk_domain_graphics_free(VkDomainGraphics *g) {
        if (!g)
                return NULL;
        g_free(g->listen);
        g_free(g->keymap);
        g_free(g->image_compression);
        if (g->passwd)
                memset(g->passwd, 0, strlen(g->passwd));
        g_free(g->passwd);
        g_free(g);
        return NULL;
}

/* Free @video; takes NULL, returns NULL. */
VkDomainVideo *vk_domain_video_free(VkDomainVideo *video) {
        if (!video)
                return NULL;
        vk_domain_device_info_clear(&video->info);
        g_free(video);
        return NULL;
}

/* ---- <graphics> ------------------------------------------------------------------------- */

static int graphics_parse_port(xmlNode *node, const char *attr, int *ret, VkError *reterr) {
        int r, v = 0;

        r = vk_xml_prop_int(node, attr, 0, &v, reterr);
        if (r <= 0)
                return r;
        if (v != -1 && (v < 1 || v > 65535))
                return vk_xml_error(node, attr, reterr, "value %d out of range (-1, 1-65535)", v);
        *ret = v;
        return 1;
}

/* SPICE's <image compression='auto_glz|auto_lz|quic|glz|lz|off'/> */
static int graphics_parse_image(xmlNode *node, VkDomainGraphics *g, VkError *reterr) {
        static const char *const modes[] = { "auto_glz", "auto_lz", "quic", "glz", "lz", "off" };
        xmlNode *image = vk_xml_child(node, "image");
        g_autofree char *mode = NULL;
        int r;

        if (!image)
                return 0;
        r = vk_xml_check_node(image, VK_STRV("compression"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(image, "compression", VK_XML_REQUIRED, &mode, reterr);
        if (r < 0)
                return r;
        if (!g_strv_contains(modes, mode))
                return vk_xml_error(image, "compression", reterr,
                                    "unsupported value '%s' (auto_glz, auto_lz, quic, glz, lz "
                                    "or off)",
                                    mode);
        g->image_compression = g_steal_pointer(&mode);
        return 0;
}

int vk_domain_graphics_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainGraphics) g = g_new0(VkDomainGraphics, 1);
        xmlNode *listen;
        int r;

        r = vk_xml_prop_enum(node, "type", vk_graphics_type_from_string, VK_XML_REQUIRED, &g->type,
                             reterr);
        if (r < 0)
                return r;
        if (g->type == VK_GRAPHICS_VNC)
                r = vk_xml_check_node(node,
                                      VK_STRV("type", "port", "autoport", "websocket", "listen",
                                              "keymap", "passwd"),
                                      VK_STRV("listen"), reterr);
        else
                r = vk_xml_check_node(node,
                                      VK_STRV("type", "port", "tlsPort", "autoport", "listen",
                                              "keymap", "passwd"),
                                      VK_STRV("listen", "image"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("listen", "image"), reterr);
        if (r < 0)
                return r;

        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i]->type == g->type)
                        return vk_xml_error(node, NULL, reterr,
                                            "only one <graphics type='%s'> is supported",
                                            vk_graphics_type_to_string(g->type));

        if (graphics_parse_port(node, "port", &g->port, reterr) < 0 ||
            graphics_parse_port(node, "tlsPort", &g->tls_port, reterr) < 0 ||
            graphics_parse_port(node, "websocket", &g->websocket, reterr) < 0 ||
            vk_xml_prop_tristate_bool(node, "autoport", 0, &g->autoport, reterr) < 0 ||
            vk_xml_prop_string(node, "listen", VK_XML_NONZERO, &g->listen, reterr) < 0 ||
            vk_xml_prop_string(node, "keymap", VK_XML_NONZERO, &g->keymap, reterr) < 0 ||
            vk_xml_prop_string(node, "passwd", 0, &g->passwd, reterr) < 0)
                return -EINVAL;

        r = graphics_parse_image(node, g, reterr);
        if (r < 0)
                return r;

        listen = vk_xml_child(node, "listen");
        if (listen) {
                g_autofree char *type = NULL, *address = NULL;

                r = vk_xml_check_node(listen, VK_STRV("type", "address"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(listen, "type", VK_XML_REQUIRED, &type, reterr);
                if (r < 0)
                        return r;
                if (strcmp(type, "none") == 0) {
                        /* no listener: a local client reaches it through QMP (add_client) */
                        r = vk_xml_check_node(listen, VK_STRV("type"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        if (g->listen)
                                return vk_xml_error(node, "listen", reterr,
                                                    "not allowed with <listen type='none'>");
                        g->listen_none = true;
                        VK_DOMAIN_APPEND(def->graphics, def->n_graphics, g_steal_pointer(&g));
                        return 0;
                }
                if (strcmp(type, "address") != 0)
                        return vk_xml_error(listen, "type", reterr,
                                            "unsupported value '%s' (only 'address' or 'none')",
                                            type);
                r = vk_xml_prop_string(listen, "address", VK_XML_NONZERO, &address, reterr);
                if (r < 0)
                        return r;
                if (g->listen && address && strcmp(g->listen, address) != 0)
                        return vk_xml_error(listen, "address", reterr,
                                            "'%s' does not match the listen='%s' attribute",
                                            address, g->listen);
                if (!g->listen)
                        g->listen = g_steal_pointer(&address);
        }

        /* libvirt's normalisation: no port, port='-1' and autoport='yes' all mean automatic;
         * the live XML of a running domain shows the port that was picked */
        if (g->autoport == VK_TRISTATE_YES && g->port > 0 && (flags & VK_DOMAIN_DEF_PARSE_LIVE))
                ;
        else if (g->autoport == VK_TRISTATE_YES || g->port == -1 ||
                 (g->port == 0 && g->autoport == VK_TRISTATE_ABSENT)) {
                if (g->autoport == VK_TRISTATE_NO)
                        return vk_xml_error(node, "autoport", reterr, "autoport='no' needs a port");
                g->port = -1;
                g->autoport = VK_TRISTATE_YES;
                if (g->tls_port > 0 && g->type == VK_GRAPHICS_SPICE)
                        g->tls_port = -1;
        } else if (g->port == 0)
                return vk_xml_error(node, "autoport", reterr, "autoport='no' needs a port");
        else
                g->autoport = VK_TRISTATE_NO;

        VK_DOMAIN_APPEND(def->graphics, def->n_graphics, g_steal_pointer(&g));
        return 0;
}

/* ---- <video> ---------------------------------------------------------------------------- */

/* qxl's own sizes (KiB): ram= (its RAM bar), vram64= (the 64-bit bar), vgamem= (VGA mode) */
static int video_parse_qxl_sizes(xmlNode *model, VkDomainVideo *v, VkError *reterr) {
        static const char *const names[] = { "ram", "vram64", "vgamem" };
        unsigned *fields[] = { &v->ram, &v->vram64, &v->vgamem };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                int r = vk_xml_prop_uint(model, names[i], VK_XML_NONZERO, fields[i], reterr);

                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (v->model != VK_VIDEO_MODEL_QXL)
                        return vk_xml_error(model, names[i], reterr,
                                            "only allowed with type='qxl'");
                if (*fields[i] > 1024 * 1024 * 1024)
                        return vk_xml_error(model, names[i], reterr, "value %u too large",
                                            *fields[i]);
        }
        if (v->vgamem && (v->vgamem < 1024 || (v->vgamem & (v->vgamem - 1)) != 0))
                return vk_xml_error(model, "vgamem", reterr,
                                    "value %u must be a power of two of at least 1024 (KiB)",
                                    v->vgamem);
        return 0;
}

int vk_domain_video_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainVideo) v = g_new0(VkDomainVideo, 1);
        xmlNode *model;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("model", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("model"), reterr);
        if (r < 0)
                return r;

        model = vk_xml_child(node, "model");
        if (model) {
                VkTristate primary = VK_TRISTATE_ABSENT;

                r = vk_xml_check_node(
                        model,
                        VK_STRV("type", "ram", "vram", "vram64", "vgamem", "heads", "primary"),
                        VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_enum(model, "type", vk_video_model_from_string,
                                     VK_XML_REQUIRED | VK_XML_NONZERO, &v->model, reterr) < 0 ||
                    vk_xml_prop_uint(model, "vram", VK_XML_NONZERO, &v->vram, reterr) < 0 ||
                    video_parse_qxl_sizes(model, v, reterr) < 0 ||
                    vk_xml_prop_uint(model, "heads", VK_XML_NONZERO, &v->heads, reterr) < 0 ||
                    vk_xml_prop_tristate_bool(model, "primary", 0, &primary, reterr) < 0)
                        return -EINVAL;
                if (v->heads > 16)
                        return vk_xml_error(model, "heads", reterr, "value %u out of range (1-16)",
                                            v->heads);
                if (v->vram > 1024 * 1024)
                        return vk_xml_error(model, "vram", reterr, "value %u too large", v->vram);
                if (v->model == VK_VIDEO_MODEL_NONE && (v->vram || v->heads))
                        return vk_xml_error(model, NULL, reterr,
                                            "vram and heads are not allowed with type='none'");
                if (v->model == VK_VIDEO_MODEL_VIRTIO && v->vram)
                        return vk_xml_error(model, "vram", reterr,
                                            "not allowed with type='virtio'");
                v->primary = primary == VK_TRISTATE_YES;
                for (size_t i = 0; v->primary && i < def->n_videos; i++)
                        if (def->videos[i]->primary)
                                return vk_xml_error(model, "primary", reterr,
                                                    "only one video device can be primary");
        }

        r = vk_domain_parse_device_info(node, flags, false, &v->info, reterr);
        if (r < 0)
                return r;

        /* libvirt keeps the primary video first */
        if (v->primary && def->n_videos > 0) {
                def->videos = g_renew(VkDomainVideo *, def->videos, def->n_videos + 1);
                memmove(def->videos + 1, def->videos, def->n_videos * sizeof(VkDomainVideo *));
                def->videos[0] = g_steal_pointer(&v);
                def->n_videos++;
                return 0;
        }
        VK_DOMAIN_APPEND(def->videos, def->n_videos, g_steal_pointer(&v));
        return 0;
}

/* ---- <input> ---------------------------------------------------------------------------- */

int vk_domain_input_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainInput) in = g_new0(VkDomainInput, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "bus"), VK_STRV("alias", "address"), reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "type", vk_input_type_from_string, VK_XML_REQUIRED, &in->type,
                             reterr) < 0 ||
            vk_xml_prop_enum(node, "bus", vk_input_bus_from_string, VK_XML_NONZERO, &in->bus,
                             reterr) < 0)
                return -EINVAL;
        if (in->type == VK_INPUT_TABLET && in->bus == VK_INPUT_BUS_PS2)
                return vk_xml_error(node, "bus", reterr, "a tablet cannot use the ps2 bus");
        r = vk_domain_parse_device_info(node, flags, false, &in->info, reterr);
        if (r < 0)
                return r;

        VK_DOMAIN_APPEND(def->inputs, def->n_inputs, g_steal_pointer(&in));
        return 0;
}
