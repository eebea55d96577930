/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-security.c: a domain described to the security stack: config, labels, files, ACL */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-security.h"

/* The two sides name models and label types with the same strings (libvirt's). */
static VkSecurityModel security_model(VkSeclabelModel m) {
        return vk_security_model_from_string(vk_seclabel_model_to_string(m));
}

static VkSeclabelModel seclabel_model(VkSecurityModel m) {
        return vk_seclabel_model_from_string(vk_security_model_to_string(m));
}

static VkSecurityLabelType security_label_type(VkSeclabelType t) {
        return vk_security_label_type_from_string(vk_seclabel_type_to_string(t));
}

static VkSeclabelType seclabel_type(VkSecurityLabelType t) {
        return vk_seclabel_type_from_string(vk_security_label_type_to_string(t));
}

/*
 * The security stack of a driver instance from qemu.conf (@cfg): see
 * vk_security_manager_new() for @privileged and @opts (may be NULL).
 */
int vk_qemu_security_manager_new(const VkQemuConfig *cfg, bool privileged,
                                 const VkSecurityManagerOptions *opts, VkSecurityManager **ret,
                                 VkError *reterr) {
        VkSecurityConfig sc = {
                .drivers = (const char *const *) cfg->security_driver,
                .user = cfg->user,
                .group = cfg->group,
                .dynamic_ownership = cfg->dynamic_ownership,
                .remember_owner = cfg->remember_owner,
                .default_confined = cfg->security_default_confined,
                .require_confined = cfg->security_require_confined,
                .clear_emulator_capabilities = cfg->clear_emulator_capabilities,
        };

        assert(cfg);
        return vk_security_manager_new(&sc, privileged, opts, ret, reterr);
}

/*
 * The <secmodel> entries of the host capabilities: the stack's, in its order (MAC, then DAC),
 * led by libvirt's "none" model when the stack has no MAC driver. The strings belong to @mgr.
 * Fills at most 3; returns how many.
 */
size_t vk_qemu_security_secmodels(VkSecurityManager *mgr, VkQemuSecModel ret[static 3]) {
        const VkSecurityModelInfo *stack = NULL;
        size_t n = 0, k = 0;

        assert(mgr);
        (void) vk_security_manager_get_secmodels(mgr, &stack, &n);
        if (!vk_security_manager_mac_model(mgr))
                ret[k++] = (VkQemuSecModel){ .model = "none", .doi = "0" };
        for (size_t i = 0; i < n && k < 3; i++)
                ret[k++] = (VkQemuSecModel){ .model = stack[i].model,
                                             .doi = stack[i].doi,
                                             .baselabels = stack[i].baselabels };
        return k;
}

/*
 * Choose the labels of @def for one start (vk_security_manager_prepare()) from its
 * <seclabel>s, its name, UUID and virt type.
 */
int vk_qemu_security_prepare(VkSecurityManager *mgr, const VkDomainDef *def,
                             VkSecurityState **ret_state, VkError *reterr) {
        g_autofree VkSecurityLabelRequest *labels =
                g_new0(VkSecurityLabelRequest, def->n_seclabels);
        VkSecurityDomain dom = {
                .name = def->name,
                .uuid = def->uuid,
                .tcg = def->virt_type != VK_DOMAIN_VIRT_KVM,
                .labels = labels,
                .n_labels = def->n_seclabels,
        };

        assert(mgr);
        assert(def);

        for (size_t i = 0; i < def->n_seclabels; i++) {
                const VkSeclabel *l = &def->seclabels[i];

                labels[i] = (VkSecurityLabelRequest){
                        .model = security_model(l->model),
                        .has_model = l->has_model,
                        .type = security_label_type(l->type),
                        .relabel = l->relabel == VK_TRISTATE_YES,
                        .label = l->label,
                        .imagelabel = l->imagelabel,
                        .baselabel = l->baselabel,
                };
        }
        return vk_security_manager_prepare(mgr, &dom, ret_state, reterr);
}

static void resource_add(GArray *res, const char *path, VkSecurityResourceKind kind, bool readonly,
                         bool shared, bool optional, bool relabel) {
        VkSecurityResource r = {
                .path = path,
                .kind = kind,
                .readonly = readonly,
                .shared = shared,
                .optional = optional,
                .relabel = relabel,
        };

        if (!vk_isempty(path))
                g_array_append_val(res, r);
}

/*
 * A disk's image, then each of its backing images: read-only, and shared (other domains may
 * use the same base image, so each is counted on the file when remembering, and never given
 * back when it cannot be counted), as libvirt labels a chain.
 */
static void resource_add_disk(GArray *res, const VkDomainDisk *d) {
        resource_add(res, d->src_path, VK_SECURITY_RESOURCE_IMAGE,
                     d->readonly || d->device == VK_DISK_DEVICE_CDROM, d->shareable, false, true);
        for (size_t i = 0; d->src_path && i < d->n_backing; i++)
                resource_add(res, d->backing[i].path, VK_SECURITY_RESOURCE_IMAGE, true, true, false,
                             true);
}

static void resource_add_chrs(GArray *res, VkDomainChr *const *chrs, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (chrs[i]->type == VK_CHR_TYPE_FILE || chrs[i]->type == VK_CHR_TYPE_UNIX)
                        resource_add(res, chrs[i]->path, VK_SECURITY_RESOURCE_CHARDEV, false, false,
                                     true, true);
}

/* Every file of @def the stack handles, in a fixed order (so profiles are deterministic). */
static GArray *domain_resources(const VkDomainDef *def, const char *const *extra_paths,
                                GPtrArray *owned) {
        GArray *res = g_array_new(false, true, sizeof(VkSecurityResource));

        for (size_t i = 0; i < def->n_disks; i++)
                resource_add_disk(res, def->disks[i]);
        /* shared firmware code (/usr/share/OVMF/...): read-only, in the profile but never
         * relabelled, as libvirt: chowning a system file to each domain's user would leave it
         * so when the owner cannot be remembered or a daemon dies; a writable loader is the
         * domain's own */
        resource_add(res, def->loader_path, VK_SECURITY_RESOURCE_IMAGE,
                     def->loader_readonly != VK_TRISTATE_NO, true, false,
                     def->loader_readonly == VK_TRISTATE_NO);
        resource_add(res, def->nvram_path, VK_SECURITY_RESOURCE_NVRAM, false, false, true, true);
        resource_add(res, def->kernel, VK_SECURITY_RESOURCE_BOOT, true, false, false, true);
        resource_add(res, def->initrd, VK_SECURITY_RESOURCE_BOOT, true, false, false, true);
        resource_add_chrs(res, def->serials, def->n_serials);
        resource_add_chrs(res, def->parallels, def->n_parallels);
        resource_add_chrs(res, def->consoles, def->n_consoles);
        resource_add_chrs(res, def->channels, def->n_channels);
        for (size_t i = 0; i < def->n_rngs; i++)
                resource_add(res, def->rngs[i]->backend_path, VK_SECURITY_RESOURCE_DEVICE, true,
                             true, false, false);
        for (size_t i = 0; i < def->n_tpms; i++)
                resource_add(res, def->tpms[i]->device_path, VK_SECURITY_RESOURCE_DEVICE, false,
                             false, false, true);
        for (size_t i = 0; extra_paths && extra_paths[i]; i++) {
                size_t len = strlen(extra_paths[i]);
                char *path;

                if (len < 2 || extra_paths[i][len - 1] != '/') {
                        resource_add(res, extra_paths[i], VK_SECURITY_RESOURCE_PRIVATE, false,
                                     false, true, true);
                        continue;
                }
                /* "DIR/": a directory QEMU owns with everything it creates below it */
                path = g_strndup(extra_paths[i], len - 1);
                g_ptr_array_add(owned, path);
                resource_add(res, path, VK_SECURITY_RESOURCE_PRIVATE, false, false, true, true);
                g_array_index(res, VkSecurityResource, res->len - 1).dir = true;
        }
        return res;
}

/*
 * Label every file of @def for the stack: disk images and their backing images, cdroms, firmware
 * and NVRAM, kernel and initrd, chardev files and sockets, RNG and TPM devices, and @extra_paths
 * (the domain's private dirs, its QMP socket: QEMU may create them later, so they are optional; a
 * path ending in '/' is a directory, and the profile grants everything below it). See
 * vk_security_manager_label_resources(): undone itself on failure.
 */
int vk_qemu_security_label_domain(VkSecurityManager *mgr, VkSecurityState *state,
                                  const VkDomainDef *def, const char *const *extra_paths,
                                  VkError *reterr) {
        g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) res = NULL;

        assert(def);

        res = domain_resources(def, extra_paths, owned);
        return vk_security_manager_label_resources(
                mgr, state, (const VkSecurityResource *) res->data, res->len, reterr);
}

static void acl_add_device(GArray *dev, const char *path, bool readonly) {
        VkSecurityResource r = { .path = path,
                                 .kind = VK_SECURITY_RESOURCE_DEVICE,
                                 .readonly = readonly };

        if (path)
                g_array_append_val(dev, r);
}

/*
 * The device ACL of @def's scope (vk_security_device_acl()): qemu.conf's cgroup_device_acl
 * (the default /dev/null, /dev/full, /dev/zero, /dev/random, /dev/urandom, /dev/ptmx,
 * /dev/kvm), then the domain's block-device disks ("r" when readonly or a cdrom) and backing
 * images ("r"), RNG
 * backends and TPM passthrough devices. Caller frees with vk_security_device_rules_free().
 */
int vk_qemu_security_device_acl(const VkQemuConfig *cfg, const VkDomainDef *def,
                                VkSecurityDeviceRule **ret_rules, size_t *ret_n, VkError *reterr) {
        g_autoptr(GArray) dev = g_array_new(false, true, sizeof(VkSecurityResource));

        assert(cfg);
        assert(def);

        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];
                if (d->type == VK_DISK_TYPE_BLOCK)
                        acl_add_device(dev, d->src_path,
                                       d->readonly || d->device == VK_DISK_DEVICE_CDROM);
                for (size_t k = 0; d->src_path && k < d->n_backing; k++)
                        if (d->backing[k].type == VK_DISK_TYPE_BLOCK)
                                acl_add_device(dev, d->backing[k].path, true);
        }
        for (size_t i = 0; i < def->n_rngs; i++)
                acl_add_device(dev, def->rngs[i]->backend_path, false);
        for (size_t i = 0; i < def->n_tpms; i++)
                acl_add_device(dev, def->tpms[i]->device_path, false);
        return vk_security_device_acl((const char *const *) cfg->cgroup_device_acl,
                                      (const VkSecurityResource *) dev->data, dev->len, ret_rules,
                                      ret_n, reterr);
}

/*
 * The assigned labels as <seclabel> elements for the live XML (2-space indent, one per
 * driver in stack order), e.g.
 *
 *   <seclabel type='dynamic' model='selinux' relabel='yes'>
 *     <label>system_u:system_r:svirt_t:s0:c12,c345</label>
 *     <imagelabel>system_u:object_r:svirt_image_t:s0:c12,c345</imagelabel>
 *   </seclabel>
 *
 * Caller frees. Returns 0.
 */
int vk_qemu_security_format_live_seclabels(const VkSecurityState *state, char **ret_xml) {
        g_autoptr(GString) out = g_string_new(NULL);
        VkSecurityLiveLabel l[2];
        size_t n;

        assert(state);
        assert(ret_xml);

        n = vk_security_state_live_labels(state, l);
        for (size_t i = 0; i < n; i++) {
                g_autofree char *label = l[i].label ? g_markup_escape_text(l[i].label, -1) : NULL;
                g_autofree char *image =
                        l[i].imagelabel ? g_markup_escape_text(l[i].imagelabel, -1) : NULL;

                g_clear_pointer(&l[i].label, g_free);
                g_clear_pointer(&l[i].imagelabel, g_free);
                g_string_append_printf(out, "<seclabel type='%s' model='%s'",
                                       vk_security_label_type_to_string(l[i].type),
                                       vk_security_model_to_string(l[i].model));
                if (l[i].type != VK_SECURITY_LABEL_NONE)
                        g_string_append_printf(out, " relabel='%s'", l[i].relabel ? "yes" : "no");
                if (!label) {
                        g_string_append(out, "/>\n");
                        continue;
                }
                g_string_append_printf(out, ">\n  <label>%s</label>\n", label);
                if (image && l[i].relabel)
                        g_string_append_printf(out, "  <imagelabel>%s</imagelabel>\n", image);
                g_string_append(out, "</seclabel>\n");
        }
        *ret_xml = g_string_free(g_steal_pointer(&out), false);
        return 0;
}

/*
 * Put the assigned labels into @def's <seclabel> list (one per driver of the stack, replacing
 * the config's), so vk_domain_def_format(..., VK_DOMAIN_DEF_FORMAT_LIVE) shows them. Base
 * labels of the config are kept. Returns 0.
 */
int vk_qemu_security_set_live_seclabels(const VkSecurityState *state, VkDomainDef *def) {
        VkSeclabel *labels;
        VkSecurityLiveLabel l[2];
        size_t n;

        assert(state);
        assert(def);

        n = vk_security_state_live_labels(state, l);
        labels = g_new0(VkSeclabel, n);
        for (size_t i = 0; i < n; i++) {
                labels[i].model = seclabel_model(l[i].model);
                labels[i].has_model = true;
                labels[i].type = seclabel_type(l[i].type);
                labels[i].relabel = l[i].type == VK_SECURITY_LABEL_NONE ? VK_TRISTATE_ABSENT
                                    : l[i].relabel                      ? VK_TRISTATE_YES
                                                                        : VK_TRISTATE_NO;
                labels[i].label = l[i].label;
                labels[i].imagelabel = l[i].relabel ? l[i].imagelabel : NULL;
                if (!l[i].relabel)
                        g_free(l[i].imagelabel);
                for (size_t j = 0; j < def->n_seclabels; j++)
                        if (def->seclabels[j].has_model &&
                            def->seclabels[j].model == labels[i].model &&
                            l[i].type == VK_SECURITY_LABEL_DYNAMIC)
                                labels[i].baselabel = g_strdup(def->seclabels[j].baselabel);
        }
        for (size_t i = 0; i < def->n_seclabels; i++) {
                g_free(def->seclabels[i].label);
                g_free(def->seclabels[i].imagelabel);
                g_free(def->seclabels[i].baselabel);
        }
        g_free(def->seclabels);
        def->seclabels = labels;
        def->n_seclabels = n;
        return 0;
}

/*
 * Hot-plug, or a medium changed live (qemu-driver-device.c, qemu-driver-media.c): label
 * @disk's image and backing images for the running domain of @state as a start labels them
 * (vk_qemu_security_label_domain()); undone itself on failure.
 */
int vk_qemu_security_label_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                const VkDomainDisk *disk, VkError *reterr) {
        g_autoptr(GArray) res = g_array_new(false, true, sizeof(VkSecurityResource));

        assert(disk);

        resource_add_disk(res, disk);
        return vk_security_manager_label_resources(
                mgr, state, (const VkSecurityResource *) res->data, res->len, reterr);
}

/*
 * Hot-unplug, a failed hotplug or a medium gone: give back what
 * vk_qemu_security_label_disk() labelled,
 * the disk's own image first. Keeps going past errors and returns the first.
 */
int vk_qemu_security_restore_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                  const VkDomainDisk *disk, VkError *reterr) {
        g_autoptr(GArray) res = g_array_new(false, true, sizeof(VkSecurityResource));
        int ret = 0;

        assert(disk);

        resource_add_disk(res, disk);
        for (guint i = 0; i < res->len; i++) {
                int r = vk_security_manager_restore_path(
                        mgr, state, g_array_index(res, VkSecurityResource, i).path,
                        ret < 0 ? NULL : reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
