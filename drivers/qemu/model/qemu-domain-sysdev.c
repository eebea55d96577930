/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-sysdev.c: <memballoon>, <rng>, <watchdog> and <tpm>: parse and free */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* Free @mb; takes NULL, returns NULL. */
VkDomainMemballoon *vk_domain_memballoon_free(VkDomainMemballoon *mb) {
        if (!mb)
                return NULL;
        vk_domain_device_info_clear(&mb->info);
        g_free(mb);
        return NULL;
}

/* Free @w; takes NULL, returns NULL. */
VkDomainWatchdog *vk_domain_watchdog_free(VkDomainWatchdog *w) {
        if (!w)
                return NULL;
        vk_domain_device_info_clear(&w->info);
        g_free(w);
        return NULL;
}

/* Free @rng and what it owns; takes NULL, returns NULL. */
VkDomainRng *vk_domain_rng_free(VkDomainRng *rng) {
        if (!rng)
                return NULL;
        g_free(rng->backend_path);
        vk_domain_device_info_clear(&rng->info);
        g_free(rng);
        return NULL;
}

/* Free @tpm and what it owns; takes NULL, returns NULL. */
VkDomainTpm *vk_domain_tpm_free(VkDomainTpm *tpm) {
        if (!tpm)
                return NULL;
        g_free(tpm->device_path);
        g_free(tpm->version);
        vk_domain_device_info_clear(&tpm->info);
        g_free(tpm);
        return NULL;
}

/* ---- <memballoon>, <rng>, <watchdog>, <tpm> --------------------------------------------- */

int vk_domain_memballoon_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainMemballoon) mb = g_new0(VkDomainMemballoon, 1);
        xmlNode *stats;
        int r;

        if (def->memballoon)
                return vk_xml_error(node, NULL, reterr, "element may appear only once");
        r = vk_xml_check_node(node, VK_STRV("model", "autodeflate"),
                              VK_STRV("stats", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("stats"), reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "model", vk_memballoon_model_from_string, VK_XML_REQUIRED,
                             &mb->model, reterr) < 0 ||
            vk_xml_prop_tristate_switch(node, "autodeflate", 0, &mb->autodeflate, reterr) < 0)
                return -EINVAL;

        stats = vk_xml_child(node, "stats");
        if (stats) {
                r = vk_xml_check_node(stats, VK_STRV("period"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_uint(stats, "period", VK_XML_REQUIRED, &mb->stats_period, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_domain_parse_device_info(node, flags, false, &mb->info, reterr);
        if (r < 0)
                return r;
        if (mb->model == VK_MEMBALLOON_NONE &&
            (mb->autodeflate || stats || mb->info.addr.type != VK_ADDRESS_NONE))
                return vk_xml_error(node, NULL, reterr,
                                    "model='none' takes no other attribute or element");

        def->memballoon = g_steal_pointer(&mb);
        return 0;
}

int vk_domain_rng_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainRng) rng = g_new0(VkDomainRng, 1);
        g_autofree char *model = NULL;
        xmlNode *backend, *rate;
        int r;

        r = vk_xml_check_node(node, VK_STRV("model"),
                              VK_STRV("backend", "rate", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("backend", "rate"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "model", VK_XML_REQUIRED, &model, reterr);
        if (r < 0)
                return r;
        if (strcmp(model, "virtio") != 0)
                return vk_xml_error(node, "model", reterr, "unsupported value '%s' (only 'virtio')",
                                    model);

        backend = vk_xml_child(node, "backend");
        if (!backend)
                return vk_xml_error(node, NULL, reterr, "missing <backend> element");
        r = vk_xml_check_node(backend, VK_STRV("model"), NULL, reterr);
        if (r < 0)
                return r;
        {
                g_autofree char *bmodel = NULL;

                r = vk_xml_prop_string(backend, "model", VK_XML_REQUIRED, &bmodel, reterr);
                if (r < 0)
                        return r;
                /* libvirt's egd (a chardev to an entropy daemon) is not supported */
                rng->backend = vk_rng_backend_from_string(bmodel);
                if ((int) rng->backend < 0)
                        return vk_xml_error(backend, "model", reterr,
                                            "unsupported value '%s' (only 'random' or 'builtin')",
                                            bmodel);
        }
        r = vk_xml_node_text(backend, 0, &rng->backend_path, reterr);
        if (r < 0)
                return r;
        if (rng->backend == VK_RNG_BACKEND_BUILTIN) {
                if (rng->backend_path)
                        return vk_xml_error(backend, NULL, reterr,
                                            "model='builtin' takes no device path");
        } else {
                if (!rng->backend_path) /* libvirt 9.0's default */
                        rng->backend_path = g_strdup("/dev/random");
                r = vk_domain_check_path(backend, NULL, rng->backend_path, reterr);
                if (r < 0)
                        return r;
        }

        rate = vk_xml_child(node, "rate");
        if (rate) {
                r = vk_xml_check_node(rate, VK_STRV("bytes", "period"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(rate, "bytes", VK_XML_REQUIRED | VK_XML_NONZERO,
                                     &rng->rate_bytes, reterr) < 0 ||
                    vk_xml_prop_uint(rate, "period", VK_XML_NONZERO, &rng->rate_period, reterr) < 0)
                        return -EINVAL;
        }

        r = vk_domain_parse_device_info(node, flags, false, &rng->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->rngs, def->n_rngs, g_steal_pointer(&rng));
        return 0;
}

int vk_domain_watchdog_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainWatchdog) w = g_new0(VkDomainWatchdog, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("model", "action"), VK_STRV("alias", "address"),
                              reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "model", vk_watchdog_model_from_string, VK_XML_REQUIRED,
                             &w->model, reterr) < 0 ||
            vk_xml_prop_enum(node, "action", vk_watchdog_action_from_string, VK_XML_NONZERO,
                             &w->action, reterr) < 0)
                return -EINVAL;
        for (size_t i = 0; i < def->n_watchdogs; i++)
                if (def->watchdogs[i]->model == w->model)
                        return vk_xml_error(node, "model", reterr,
                                            "more than one watchdog of model '%s'",
                                            vk_watchdog_model_to_string(w->model));
        r = vk_domain_parse_device_info(node, flags, false, &w->info, reterr);
        if (r < 0)
                return r;
        if (w->action == VK_WATCHDOG_ACTION_DEFAULT)
                w->action = VK_WATCHDOG_ACTION_RESET;
        VK_DOMAIN_APPEND(def->watchdogs, def->n_watchdogs, g_steal_pointer(&w));
        return 0;
}

int vk_domain_tpm_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainTpm) tpm = g_new0(VkDomainTpm, 1);
        xmlNode *backend;
        int r;

        if (def->n_tpms > 0)
                return vk_xml_error(node, NULL, reterr, "only one TPM is supported");
        r = vk_xml_check_node(node, VK_STRV("model"), VK_STRV("backend", "alias", "address"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("backend"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "model", vk_tpm_model_from_string, VK_XML_NONZERO, &tpm->model,
                             reterr);
        if (r < 0)
                return r;

        backend = vk_xml_child(node, "backend");
        if (!backend)
                return vk_xml_error(node, NULL, reterr, "missing <backend> element");
        r = vk_xml_prop_enum(backend, "type", vk_tpm_backend_from_string, VK_XML_REQUIRED,
                             &tpm->backend, reterr);
        if (r < 0)
                return r;
        if (tpm->backend == VK_TPM_BACKEND_EMULATOR) {
                r = vk_xml_check_node(backend, VK_STRV("type", "version"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(backend, "version", 0, &tpm->version, reterr);
                if (r < 0)
                        return r;
                if (tpm->version && strcmp(tpm->version, "2.0") != 0)
                        return vk_xml_error(backend, "version", reterr,
                                            "unsupported value '%s' (only '2.0')", tpm->version);
                if (!tpm->version)
                        tpm->version = g_strdup("2.0");
        } else {
                xmlNode *dev;

                r = vk_xml_check_node(backend, VK_STRV("type"), VK_STRV("device"), reterr);
                if (r < 0)
                        return r;
                r = vk_xml_check_unique(backend, VK_STRV("device"), reterr);
                if (r < 0)
                        return r;
                dev = vk_xml_child(backend, "device");
                if (dev) {
                        r = vk_xml_check_node(dev, VK_STRV("path"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(dev, "path", VK_XML_REQUIRED, &tpm->device_path,
                                               reterr);
                        if (r < 0)
                                return r;
                        r = vk_domain_check_path(dev, "path", tpm->device_path, reterr);
                        if (r < 0)
                                return r;
                } else
                        tpm->device_path = g_strdup("/dev/tpm0");
        }
        if (tpm->model == VK_TPM_MODEL_DEFAULT)
                tpm->model = VK_TPM_MODEL_TIS;

        r = vk_domain_parse_device_info(node, flags, false, &tpm->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->tpms, def->n_tpms, g_steal_pointer(&tpm));
        return 0;
}
