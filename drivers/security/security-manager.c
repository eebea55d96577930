/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-manager.c: the security stack of the QEMU driver (DAC, caps, SELinux, AppArmor) */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "security-apparmor-profile.h"
#include "security-apparmor.h"
#include "security-caps.h"
#include "security-dac.h"
#include "security-internal.h"
#include "security-manager.h"
#include "security-selinux.h"

static const char *const caps_table[_VK_SECURITY_CAPS_MAX] = {
        [VK_SECURITY_CAPS_KEEP] = "keep",
        [VK_SECURITY_CAPS_CLEAR] = "clear",
};

/* "keep", "clear"; NULL for a value out of range. */
const char *vk_security_caps_to_string(VkSecurityCaps c) {
        return c >= 0 && c < _VK_SECURITY_CAPS_MAX ? caps_table[c] : NULL;
}

/* The inverse of vk_security_caps_to_string(); _VK_SECURITY_CAPS_INVALID when unknown. */
VkSecurityCaps vk_security_caps_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECURITY_CAPS_MAX; i++)
                if (g_str_equal(caps_table[i], s))
                        return i;
        return _VK_SECURITY_CAPS_INVALID;
}

/* ---- records and MCS pairs -------------------------------------------------------------- */

VkSecurityRecord *security_record_free(VkSecurityRecord *rec) {
        if (!rec)
                return NULL;
        g_free(rec->path);
        g_free(rec->orig);
        g_free(rec);
        return NULL;
}

void security_record_add(VkSecurityState *s, VkSeclabelModel model, const char *path,
                         const char *orig, bool remembered) {
        VkSecurityRecord *rec = g_new0(VkSecurityRecord, 1);

        rec->model = model;
        rec->path = g_strdup(path);
        rec->orig = g_strdup(orig);
        rec->remembered = remembered;
        g_ptr_array_add(s->records, rec);
}

static void record_destroy(gpointer p) {
        security_record_free(p);
}

bool security_records_contain(const VkSecurityState *s, VkSeclabelModel model, const char *path) {
        for (size_t i = 0; i < s->records->len; i++) {
                const VkSecurityRecord *rec = s->records->pdata[i];
                if (rec->model == model && g_str_equal(rec->path, path))
                        return true;
        }
        return false;
}

static gpointer mcs_key(int a, int b) {
        return GUINT_TO_POINTER(((unsigned) a << 16) | (unsigned) b);
}

/* Reserve the pair (@a, @b), a < b: -EINVAL out of range, -EEXIST already in use. */
int security_mcs_reserve(VkSecurityManager *m, int a, int b) {
        if (a < 0 || b >= VK_SELINUX_MCS_MAX || a >= b)
                return -EINVAL;
        if (!g_hash_table_add(m->mcs_reserved, mcs_key(a, b)))
                return -EEXIST;
        return 0;
}

void security_mcs_release(VkSecurityManager *m, int a, int b) {
        if (a >= 0 && b >= 0)
                (void) g_hash_table_remove(m->mcs_reserved, mcs_key(a, b));
}

/*
 * A free pair, drawn at random like libvirt's (so a label says nothing about start order);
 * after many collisions a scan finds the first free one. -ENOSPC when all 523776 are in use.
 */
int security_mcs_allocate(VkSecurityManager *m, int *ret_a, int *ret_b) {
        for (unsigned tries = 0; tries < 1000; tries++) {
                int a = m->random() % VK_SELINUX_MCS_MAX, b = m->random() % VK_SELINUX_MCS_MAX;
                if (a == b)
                        continue;
                if (a > b) {
                        int t = a;
                        a = b;
                        b = t;
                }
                if (security_mcs_reserve(m, a, b) == 0) {
                        *ret_a = a;
                        *ret_b = b;
                        return 0;
                }
        }
        for (int a = 0; a < VK_SELINUX_MCS_MAX; a++)
                for (int b = a + 1; b < VK_SELINUX_MCS_MAX; b++)
                        if (security_mcs_reserve(m, a, b) == 0) {
                                *ret_a = a;
                                *ret_b = b;
                                return 0;
                        }
        return -ENOSPC;
}

static uint32_t default_random(void) {
        return g_random_int();
}

/* ---- the manager ------------------------------------------------------------------------ */

static const char *model_name(VkSeclabelModel model) {
        return vk_seclabel_model_to_string(model);
}

static int manager_pick_mac(VkSecurityManager *m, const VkQemuConfig *cfg, VkError *reterr) {
        bool probe = !(m->flags & VK_SECURITY_MANAGER_NO_PROBE);

        for (size_t i = 0; cfg->security_driver && cfg->security_driver[i]; i++) {
                const char *name = cfg->security_driver[i];

                if (g_str_equal(name, "none"))
                        return 0;
                if (g_str_equal(name, "selinux") && vk_selinux_supported() &&
                    (!probe || vk_selinux_enabled())) {
                        m->stack[m->n_stack++] = &vk_security_driver_selinux;
                        return 0;
                }
                if (g_str_equal(name, "apparmor") && vk_apparmor_supported() &&
                    (!probe || vk_apparmor_enabled())) {
                        m->stack[m->n_stack++] = &vk_security_driver_apparmor;
                        return 0;
                }
        }
        return 0;
}

static int manager_selinux_contexts(VkSecurityManager *m) {
        if (!(m->flags & VK_SECURITY_MANAGER_NO_HOST_POLICY) &&
            vk_selinux_policy_contexts(&m->se_domain_kvm, &m->se_domain_tcg, &m->se_image,
                                       &m->se_content) >= 0)
                return 0;
        m->se_domain_kvm = g_strdup(VK_SELINUX_DEFAULT_DOMAIN_KVM);
        m->se_domain_tcg = g_strdup(VK_SELINUX_DEFAULT_DOMAIN_TCG);
        m->se_image = g_strdup(VK_SELINUX_DEFAULT_IMAGE);
        m->se_content = g_strdup(VK_SELINUX_DEFAULT_CONTENT);
        return 0;
}

static void manager_fill_secmodels(VkSecurityManager *m) {
        for (size_t i = 0; i < m->n_stack; i++) {
                VkQemuSecModel *sm = &m->secmodels[i];
                char **bl = m->secmodel_baselabels[i];

                sm->model = model_name(m->stack[i]->model);
                sm->doi = "0";
                switch (m->stack[i]->model) {
                case VK_SECLABEL_MODEL_SELINUX:
                        bl[0] = g_strdup("kvm");
                        bl[1] = g_strdup(m->se_domain_kvm);
                        bl[2] = g_strdup("qemu");
                        bl[3] = g_strdup(m->se_domain_tcg);
                        break;
                case VK_SECLABEL_MODEL_DAC:
                        bl[0] = g_strdup("kvm");
                        bl[1] = g_strdup(m->dac_baselabel);
                        bl[2] = g_strdup("qemu");
                        bl[3] = g_strdup(m->dac_baselabel);
                        break;
                default:
                        break;
                }
                sm->baselabels = bl[0] ? (const char *const *) bl : NULL;
        }
}

/*
 * Build the stack of one driver instance from @cfg: the MAC driver named first in
 * security_driver that is built in and (unless VK_SECURITY_MANAGER_NO_PROBE) enabled on the
 * host, then DAC. @privileged: the system instance, where QEMU runs as cfg->user/group and
 * files change owner; otherwise QEMU runs as we do and DAC changes nothing. @opts may be NULL.
 * Resolves user and group names (NSS) once, here. On success *ret holds one reference.
 * Runs anywhere (no loop needed).
 */
int vk_security_manager_new(const VkQemuConfig *cfg, bool privileged,
                            const VkSecurityManagerOptions *opts, VkSecurityManager **ret,
                            VkError *reterr) {
        g_autoptr(VkSecurityManager) m = NULL;
        int r;

        assert(cfg);
        assert(ret);

        m = g_new0(VkSecurityManager, 1);
        m->n_ref = 1;
        m->privileged = privileged;
        m->dynamic_ownership = cfg->dynamic_ownership;
        m->remember_owner = cfg->remember_owner;
        m->default_confined = cfg->security_default_confined;
        m->require_confined = cfg->security_require_confined;
        m->clear_emulator_capabilities = cfg->clear_emulator_capabilities;
        m->mcs_reserved = g_hash_table_new(g_direct_hash, g_direct_equal);
        m->flags = opts ? opts->flags : 0;
        m->random = opts && opts->random ? opts->random : default_random;
        m->aa_helper = g_strdup(opts && opts->aa_helper ? opts->aa_helper
                                                        : VK_LIBEXECDIR "/virtkit-aa-helper");
        m->aa_helper_args = g_strdupv(opts && opts->aa_helper_args ? (char **) opts->aa_helper_args
                                                                   : (char *[]){ NULL });

        if (privileged) {
                r = vk_security_dac_parse_user(cfg->user, &m->uid, reterr);
                if (r < 0)
                        return r;
                r = vk_security_dac_parse_group(cfg->group, &m->gid, reterr);
                if (r < 0)
                        return r;
                (void) vk_security_dac_user_groups(m->uid, m->gid, &m->groups, &m->n_groups);
        } else {
                m->uid = getuid();
                m->gid = getgid();
        }
        m->dac_baselabel = vk_security_dac_format_label(m->uid, m->gid);

        r = manager_pick_mac(m, cfg, reterr);
        if (r < 0)
                return r;
        manager_selinux_contexts(m);
        m->stack[m->n_stack++] = &vk_security_driver_dac;
        manager_fill_secmodels(m);

        vk_log_debug("security: stack %s%sdac, QEMU as %s",
                     m->n_stack > 1 ? model_name(m->stack[0]->model) : "",
                     m->n_stack > 1 ? "+" : "", m->dac_baselabel);
        *ret = g_steal_pointer(&m);
        return 0;
}

/* Take a reference on @mgr; returns @mgr. */
VkSecurityManager *vk_security_manager_ref(VkSecurityManager *mgr) {
        assert(mgr);
        mgr->n_ref++;
        return mgr;
}

/* Drop a reference; the last one frees. Each VkSecurityState holds one. Returns NULL. */
VkSecurityManager *vk_security_manager_unref(VkSecurityManager *mgr) {
        if (!mgr || --mgr->n_ref > 0)
                return NULL;
        g_free(mgr->groups);
        g_free(mgr->aa_helper);
        g_strfreev(mgr->aa_helper_args);
        g_free(mgr->se_domain_kvm);
        g_free(mgr->se_domain_tcg);
        g_free(mgr->se_image);
        g_free(mgr->se_content);
        g_free(mgr->dac_baselabel);
        for (size_t i = 0; i < G_N_ELEMENTS(mgr->secmodel_baselabels); i++)
                for (size_t j = 0; j < G_N_ELEMENTS(mgr->secmodel_baselabels[i]); j++)
                        g_free(mgr->secmodel_baselabels[i][j]);
        if (mgr->mcs_reserved)
                g_hash_table_destroy(mgr->mcs_reserved);
        g_free(mgr);
        return NULL;
}

/* "selinux", "apparmor", or NULL when the stack has no MAC driver. */
const char *vk_security_manager_mac_model(const VkSecurityManager *mgr) {
        assert(mgr);
        return mgr->n_stack > 1 ? model_name(mgr->stack[0]->model) : NULL;
}

/*
 * The host capabilities' <secmodel> entries, one per driver in stack order (MAC, then DAC),
 * with the base labels of KVM and TCG domains. The array is owned by @mgr. Returns 0.
 */
int vk_security_manager_get_secmodels(VkSecurityManager *mgr, const VkQemuSecModel **ret,
                                      size_t *ret_n) {
        assert(mgr);
        assert(ret);
        assert(ret_n);
        *ret = mgr->secmodels;
        *ret_n = mgr->n_stack;
        return 0;
}

/* ---- per domain ------------------------------------------------------------------------- */

VkSecurityState *security_state_new(VkSecurityManager *m, const VkDomainDef *def) {
        VkSecurityState *s = g_new0(VkSecurityState, 1);

        s->mgr = vk_security_manager_ref(m);
        s->mcs[0] = s->mcs[1] = -1;
        s->se_type = s->aa_type = VK_SECLABEL_NONE;
        s->dac_type = VK_SECLABEL_DYNAMIC;
        s->uid = m->uid;
        s->gid = m->gid;
        s->aa_rules = g_ptr_array_new_with_free_func(g_free);
        s->records = g_ptr_array_new_with_free_func(record_destroy);
        if (def) {
                s->uuid = def->uuid;
                s->tcg = def->virt_type != VK_DOMAIN_VIRT_KVM;
        }
        return s;
}

/*
 * Free @state. Its MCS pair, if still reserved, is released; nothing on disk is touched
 * (that is vk_security_manager_restore()). Returns NULL.
 */
VkSecurityState *vk_security_state_free(VkSecurityState *state) {
        if (!state)
                return NULL;
        security_mcs_release(state->mgr, state->mcs[0], state->mcs[1]);
        g_free(state->mac_model);
        g_free(state->se_label);
        g_free(state->se_imagelabel);
        g_free(state->aa_profile);
        g_ptr_array_unref(state->aa_rules);
        g_ptr_array_unref(state->records);
        vk_security_manager_unref(state->mgr);
        g_free(state);
        return NULL;
}

/* The <seclabel> of @def for the driver at @index of the stack: a model-less one belongs to
 * the first driver (libvirt's rule). */
static const VkSeclabel *domain_seclabel(const VkSecurityManager *m, const VkDomainDef *def,
                                         size_t index) {
        for (size_t i = 0; i < def->n_seclabels; i++) {
                const VkSeclabel *l = &def->seclabels[i];
                if (l->has_model ? l->model == m->stack[index]->model : index == 0)
                        return l;
        }
        return NULL;
}

/*
 * Choose the labels of @def for one start: the MCS pair (reserved in @mgr until the state is
 * restored or freed), the process and image labels, the AppArmor profile name, the uid/gid.
 * Touches nothing on disk. Errors: a <seclabel> for a model not in the stack, an invalid
 * static label, security_require_confined with an unconfined domain, no MCS pair left.
 */
int vk_security_manager_prepare(VkSecurityManager *mgr, const VkDomainDef *def,
                                VkSecurityState **ret_state, VkError *reterr) {
        g_autoptr(VkSecurityState) s = NULL;
        int r;

        assert(mgr);
        assert(def);
        assert(ret_state);

        for (size_t i = 0; i < def->n_seclabels; i++) {
                const VkSeclabel *l = &def->seclabels[i];
                bool found = !l->has_model;

                for (size_t j = 0; j < mgr->n_stack && !found; j++)
                        found = mgr->stack[j]->model == l->model;
                if (!found && l->type != VK_SECLABEL_NONE)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "<seclabel model='%s'>: this host's security "
                                            "driver is '%s'",
                                            model_name(l->model),
                                            vk_strempty(vk_security_manager_mac_model(mgr)));
        }

        s = security_state_new(mgr, def);
        s->mac_model = g_strdup(vk_security_manager_mac_model(mgr));
        for (size_t i = 0; i < mgr->n_stack; i++) {
                r = mgr->stack[i]->prepare(mgr, s, def, domain_seclabel(mgr, def, i), reterr);
                if (r < 0)
                        return r;
        }

        if (mgr->require_confined && mgr->privileged &&
            (!s->mac_model || (s->se_type == VK_SECLABEL_NONE && s->aa_type == VK_SECLABEL_NONE)))
                return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "domain '%s' would run unconfined, which "
                                    "security_require_confined forbids",
                                    def->name);
        *ret_state = g_steal_pointer(&s);
        return 0;
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

static void resource_add_disk(GArray *res, const VkDomainDisk *d) {
        resource_add(res, d->src_path, VK_SECURITY_RESOURCE_IMAGE,
                     d->readonly || d->device == VK_DISK_DEVICE_CDROM, d->shareable, false, true);
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
        /* shared firmware code: counted on the file when remembering, never given back if not */
        resource_add(res, def->loader_path, VK_SECURITY_RESOURCE_IMAGE,
                     def->loader_readonly != VK_TRISTATE_NO, true, false, true);
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

static const VkSecurityDriver *stack_driver(const VkSecurityManager *m, VkSeclabelModel model) {
        for (size_t i = 0; i < m->n_stack; i++)
                if (m->stack[i]->model == model)
                        return m->stack[i];
        return NULL;
}

/* Undo records from the last down to index @keep, in reverse. Keeps the first error. */
static int restore_records(VkSecurityManager *m, VkSecurityState *s, size_t keep, VkError *reterr) {
        int ret = 0;

        while (s->records->len > keep) {
                VkSecurityRecord *rec = s->records->pdata[s->records->len - 1];
                const VkSecurityDriver *drv = stack_driver(m, rec->model);
                int r = 0;

                if (drv && drv->restore)
                        r = drv->restore(m, s, rec, reterr);
                if (r < 0 && ret == 0)
                        ret = r;
                g_ptr_array_remove_index(s->records, s->records->len - 1);
        }
        return ret;
}

static int label_resources(VkSecurityManager *m, VkSecurityState *s, GArray *res, VkError *reterr) {
        size_t keep = s->records->len, keep_rules = s->aa_rules->len;

        for (size_t i = 0; i < m->n_stack; i++) {
                if (!m->stack[i]->label)
                        continue;
                for (size_t j = 0; j < res->len; j++) {
                        int r = m->stack[i]->label(m, s, &g_array_index(res, VkSecurityResource, j),
                                                   reterr);
                        if (r < 0) {
                                /* the undo list: what this call changed, in reverse */
                                (void) restore_records(m, s, keep, NULL);
                                g_ptr_array_set_size(s->aa_rules, keep_rules);
                                return r;
                        }
                }
        }
        return 0;
}

/*
 * Label every file of @def for the stack, in stack order: disk images, cdroms, firmware and
 * NVRAM, kernel and initrd, chardev files and sockets, TPM devices, and @extra_paths (the
 * domain's private dirs, its QMP socket: QEMU may create them later, so a missing one is
 * skipped by DAC and SELinux but still listed in the AppArmor profile; a path ending in '/'
 * is a directory, and the profile grants everything below it). Originals are
 * remembered in @state (and in xattrs, see security-dac.c). On failure everything this call
 * changed is undone before it returns. Synchronous, fast (chown and setxattr only).
 */
int vk_security_manager_label_files(VkSecurityManager *mgr, VkSecurityState *state,
                                    const VkDomainDef *def, const char *const *extra_paths,
                                    VkError *reterr) {
        g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) res = NULL;

        assert(mgr);
        assert(state);
        assert(def);

        res = domain_resources(def, extra_paths, owned);
        return label_resources(mgr, state, res, reterr);
}

/*
 * Hotplug: label one more disk of a running domain. Call vk_security_manager_load_profile()
 * afterwards to regenerate the AppArmor profile. Undone itself on failure.
 */
int vk_security_manager_label_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                   const VkDomainDisk *disk, VkError *reterr) {
        g_autoptr(GArray) res = g_array_new(false, true, sizeof(VkSecurityResource));

        assert(mgr);
        assert(state);
        assert(disk);

        resource_add_disk(res, disk);
        return label_resources(mgr, state, res, reterr);
}

/*
 * Hot-unplug: give one disk back (owner and label) and drop it from the AppArmor rules; then
 * vk_security_manager_load_profile() regenerates the profile. Returns 0 or the first error.
 */
int vk_security_manager_restore_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                     const VkDomainDisk *disk, VkError *reterr) {
        int ret = 0;

        assert(mgr);
        assert(state);
        assert(disk);

        if (!disk->src_path)
                return 0;
        for (size_t i = state->records->len; i > 0; i--) {
                VkSecurityRecord *rec = state->records->pdata[i - 1];
                const VkSecurityDriver *drv = stack_driver(mgr, rec->model);
                int r = 0;

                if (!g_str_equal(rec->path, disk->src_path))
                        continue;
                if (drv && drv->restore)
                        r = drv->restore(mgr, state, rec, reterr);
                if (r < 0 && ret == 0)
                        ret = r;
                g_ptr_array_remove_index(state->records, i - 1);
        }
        for (size_t i = state->aa_rules->len; i > 0; i--) {
                const char *line = state->aa_rules->pdata[i - 1];
                const char *space = strchr(line, ' ');
                if (space && g_str_equal(space + 1, disk->src_path))
                        g_ptr_array_remove_index(state->aa_rules, i - 1);
        }
        return ret;
}

/*
 * Undo everything label_files() and label_disk() did, newest first: owners and SELinux labels
 * back to the remembered originals (a file another running domain still counts on stays as
 * it is), then the MCS pair released. Keeps going past errors and returns the first. The
 * AppArmor profile is removed by vk_security_manager_unload_profile(). Synchronous.
 */
int vk_security_manager_restore(VkSecurityManager *mgr, VkSecurityState *state, VkError *reterr) {
        int r;

        assert(mgr);
        assert(state);

        r = restore_records(mgr, state, 0, reterr);
        security_mcs_release(mgr, state->mcs[0], state->mcs[1]);
        state->mcs[0] = state->mcs[1] = -1;
        return r;
}

/* ---- exec ------------------------------------------------------------------------------- */

/* Free what @p owns and zero it. */
void vk_security_exec_params_done(VkSecurityExecParams *p) {
        if (!p)
                return;
        g_free(p->groups);
        g_free(p->selinux_label);
        g_free(p->apparmor_profile);
        *p = (VkSecurityExecParams){};
}

/*
 * What the spawner applies to QEMU: credentials (privileged instance only), capabilities
 * (a non-root QEMU gets none; a root one keeps them unless clear_emulator_capabilities), the
 * SELinux exec context and the AppArmor profile. Plain data; see
 * vk_security_exec_params_apply(). On success *ret_params is filled (caller calls _done).
 */
int vk_security_manager_exec_params(VkSecurityManager *mgr, const VkSecurityState *state,
                                    VkSecurityExecParams *ret_params, VkError *reterr) {
        g_auto(VkSecurityExecParams) p = {};

        assert(mgr);
        assert(state);
        assert(ret_params);

        if (mgr->privileged) {
                p.set_credentials = true;
                p.uid = state->uid;
                p.gid = state->gid;
                if (state->uid == mgr->uid && state->gid == mgr->gid) {
                        p.groups = g_memdup2(mgr->groups, sizeof(gid_t) * mgr->n_groups);
                        p.n_groups = mgr->n_groups;
                } else
                        (void) vk_security_dac_user_groups(state->uid, state->gid, &p.groups,
                                                           &p.n_groups);
                p.caps = state->uid != 0 || mgr->clear_emulator_capabilities
                                 ? VK_SECURITY_CAPS_CLEAR
                                 : VK_SECURITY_CAPS_KEEP;
                if (p.caps == VK_SECURITY_CAPS_CLEAR && !vk_security_caps_supported()) {
                        if (state->uid == 0)
                                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                    "clear_emulator_capabilities needs virtkit "
                                                    "built with libcap-ng");
                        p.caps = VK_SECURITY_CAPS_KEEP; /* the uid switch clears them */
                }
        }
        if (state->se_type != VK_SECLABEL_NONE)
                p.selinux_label = g_strdup(state->se_label);
        if (state->aa_type != VK_SECLABEL_NONE)
                p.apparmor_profile = g_strdup(state->aa_profile);

        *ret_params = p;
        p = (VkSecurityExecParams){};
        return 0;
}

/*
 * Copy the credentials of @p into @opts for vk_child_spawn() (VK_CHILD_SET_CREDENTIALS). The
 * groups pointer is borrowed from @p. Capabilities and LSM labels are not VkChildOptions; see
 * vk_security_exec_params_apply().
 */
void vk_security_exec_params_to_child_options(const VkSecurityExecParams *p, VkChildOptions *opts) {
        assert(p);
        assert(opts);
        if (!p->set_credentials)
                return;
        opts->flags |= VK_CHILD_SET_CREDENTIALS;
        opts->uid = p->uid;
        opts->gid = p->gid;
        opts->groups = p->groups;
        opts->n_groups = p->n_groups;
}

/*
 * Apply all of @p to the calling process, which is about to execve() QEMU: bounding set
 * emptied, supplementary groups, gid, uid, remaining capabilities cleared, SELinux exec
 * context, AppArmor onexec profile. For a forked child or an exec wrapper only, never the
 * daemon (it changes the process for good). Not async-signal-safe (libcap-ng, libselinux);
 * not for vk_child's vfork-style child. Returns 0 or -errno with @reterr naming the step.
 */
int vk_security_exec_params_apply(const VkSecurityExecParams *p, VkError *reterr) {
        int r;

        assert(p);

        if (p->caps == VK_SECURITY_CAPS_CLEAR) {
                r = vk_security_caps_clear_bounding();
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot clear the capability bounding set: %s",
                                            g_strerror(-r));
        }
        if (p->set_credentials) {
                if (setgroups(p->n_groups, p->groups) < 0 ||
                    setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                            "cannot switch to %u:%u: %s", (unsigned) p->uid,
                                            (unsigned) p->gid, g_strerror(errno));
        }
        if (p->caps == VK_SECURITY_CAPS_CLEAR) {
                r = vk_security_caps_clear();
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot clear capabilities: %s", g_strerror(-r));
        }
        if (p->selinux_label) {
                r = vk_selinux_set_exec_label(p->selinux_label);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot set the SELinux exec context '%s': %s",
                                            p->selinux_label, g_strerror(-r));
        }
        if (p->apparmor_profile) {
                r = vk_apparmor_change_onexec(p->apparmor_profile);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot switch to AppArmor profile '%s' on exec: %s",
                                            p->apparmor_profile, g_strerror(-r));
        }
        return 0;
}

/* ---- cgroup device ACL ------------------------------------------------------------------ */

static void acl_add(GArray *rules, const char *path, const char *perms) {
        for (size_t i = 0; i < rules->len; i++) {
                VkSecurityDeviceRule *r = &g_array_index(rules, VkSecurityDeviceRule, i);
                if (g_str_equal(r->path, path)) {
                        if (g_str_equal(perms, "rw"))
                                r->perms = "rw";
                        return;
                }
        }
        g_array_append_val(rules, ((VkSecurityDeviceRule){ g_strdup(path), perms }));
}

/*
 * The device ACL of @def's scope (DeviceAllow= entries, DevicePolicy=closed): qemu.conf's
 * cgroup_device_acl (the default /dev/null, /dev/full, /dev/zero, /dev/random, /dev/urandom,
 * /dev/ptmx, /dev/kvm), then the domain's block-device disks ("r" when readonly), RNG
 * backends and TPM passthrough devices. A pure function of its inputs. Caller frees with
 * vk_security_device_rules_free(). Returns 0, or -EINVAL for a relative device path.
 */
int vk_security_device_acl(const VkQemuConfig *cfg, const VkDomainDef *def,
                           VkSecurityDeviceRule **ret_rules, size_t *ret_n, VkError *reterr) {
        g_autoptr(GArray) rules = g_array_new(false, true, sizeof(VkSecurityDeviceRule));
        size_t n;

        assert(cfg);
        assert(def);
        assert(ret_rules);
        assert(ret_n);

        for (size_t i = 0; cfg->cgroup_device_acl && cfg->cgroup_device_acl[i]; i++)
                acl_add(rules, cfg->cgroup_device_acl[i], "rw");
        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];
                if (d->type != VK_DISK_TYPE_BLOCK || !d->src_path)
                        continue;
                acl_add(rules, d->src_path,
                        d->readonly || d->device == VK_DISK_DEVICE_CDROM ? "r" : "rw");
        }
        for (size_t i = 0; i < def->n_rngs; i++)
                if (def->rngs[i]->backend_path)
                        acl_add(rules, def->rngs[i]->backend_path, "rw");
        for (size_t i = 0; i < def->n_tpms; i++)
                if (def->tpms[i]->device_path)
                        acl_add(rules, def->tpms[i]->device_path, "rw");

        for (size_t i = 0; i < rules->len; i++) {
                const char *path = g_array_index(rules, VkSecurityDeviceRule, i).path;
                if (path[0] != '/') {
                        int r = vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                             "device ACL entry '%s' is not an absolute path", path);
                        for (size_t j = 0; j < rules->len; j++)
                                g_free(g_array_index(rules, VkSecurityDeviceRule, j).path);
                        return r;
                }
        }
        n = rules->len;
        *ret_rules = (VkSecurityDeviceRule *) g_array_free(g_steal_pointer(&rules), false);
        *ret_n = n;
        return 0;
}

/* Free an array from vk_security_device_acl(). */
void vk_security_device_rules_free(VkSecurityDeviceRule *rules, size_t n) {
        for (size_t i = 0; rules && i < n; i++)
                g_free(rules[i].path);
        g_free(rules);
}

/* ---- AppArmor profile load and unload --------------------------------------------------- */

struct VkSecurityOp {
        VkSecurityState *state; /* borrowed: the caller keeps it alive while the op runs */
        bool load;
        sd_event_source *defer;
        VkChild *child;
        VkSecurityOpFunc callback;
        void *userdata;
};

/* Cancel @op (its callback is not called) and free it. Takes NULL. Returns NULL. */
VkSecurityOp *vk_security_op_free(VkSecurityOp *op) {
        if (!op)
                return NULL;
        sd_event_source_disable_unref(op->defer);
        vk_child_free(op->child);
        g_free(op);
        return NULL;
}

/* The rules of @state's generated profile, one "PERMS PATH" a line. Caller frees. */
int vk_security_manager_apparmor_rules(const VkSecurityState *state, char **ret_rules) {
        g_autoptr(GString) out = g_string_new(NULL);

        assert(state);
        assert(ret_rules);
        for (size_t i = 0; i < state->aa_rules->len; i++)
                g_string_append_printf(out, "%s\n", (const char *) state->aa_rules->pdata[i]);
        *ret_rules = g_string_free(g_steal_pointer(&out), false);
        return 0;
}

/* The AppArmor profile QEMU runs in, or NULL (unconfined or no AppArmor). Owned by @state. */
const char *vk_security_state_apparmor_profile(const VkSecurityState *state) {
        assert(state);
        return state->aa_type == VK_SECLABEL_NONE ? NULL : state->aa_profile;
}

static int op_defer_done(sd_event_source *s, void *userdata) {
        VkSecurityOp *op = userdata;

        op->defer = sd_event_source_disable_unref(op->defer);
        op->callback(op, 0, NULL, op->userdata);
        return 0;
}

static void op_child_done(VkChild *child, const VkChildExit *exit, void *userdata) {
        VkSecurityOp *op = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        int r = 0;

        if (exit->code != CLD_EXITED || exit->status != 0) {
                size_t n = 0;
                const char *err = vk_child_get_output(child, VK_CHILD_STDERR, &n);
                g_autofree char *text = g_strstrip(g_strndup(err ? err : "", n));

                r = vk_error_set(&error, VK_ERROR_OPERATION_FAILED, -EIO,
                                 "virtkit-aa-helper failed to %s profile '%s'%s%s",
                                 op->load ? "load" : "remove", op->state->aa_profile,
                                 *text ? ": " : "", text);
        } else
                op->state->aa_loaded = op->load;
        op->callback(op, r, r < 0 ? &error : NULL, op->userdata);
}

static int profile_op(VkSecurityManager *m, VkSecurityState *s, bool load, sd_event *e,
                      VkSecurityOpFunc callback, void *userdata, VkSecurityOp **ret_op,
                      VkError *reterr) {
        g_autoptr(VkSecurityOp) op = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *rules = NULL;
        char uuid[VK_UUID_STRING_MAX];
        vk_autofd memfd = -1;
        VkChildOptions opts = { .flags = VK_CHILD_CAPTURE_STDERR,
                                .timeout_usec = 60ULL * 1000 * 1000 };
        VkChildFd fd3;
        int r;

        assert(m && s && e && callback && ret_op);

        op = g_new0(VkSecurityOp, 1);
        op->state = s;
        op->load = load;
        op->callback = callback;
        op->userdata = userdata;

        if (!s->aa_generate || (!load && !s->aa_loaded)) {
                /* nothing to run: complete from the loop, never from inside this call */
                r = sd_event_add_defer(e, &op->defer, op_defer_done, op);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot queue: %s",
                                            g_strerror(-r));
                *ret_op = g_steal_pointer(&op);
                return 0;
        }

        g_ptr_array_add(argv, m->aa_helper);
        g_ptr_array_add(argv, load ? "load" : "remove");
        g_ptr_array_add(argv, "--uuid");
        g_ptr_array_add(argv, (char *) vk_uuid_format(&s->uuid, uuid));
        if (load) {
                (void) vk_security_manager_apparmor_rules(s, &rules);
                memfd = memfd_create("virtkit-aa-rules", MFD_CLOEXEC);
                if (memfd < 0 || write(memfd, rules, strlen(rules)) != (ssize_t) strlen(rules) ||
                    lseek(memfd, 0, SEEK_SET) < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                            "cannot pass the AppArmor rules: %s",
                                            g_strerror(errno));
                g_ptr_array_add(argv, "--rules-fd");
                g_ptr_array_add(argv, "3");
                fd3 = (VkChildFd){ .fd = memfd, .target = 3 };
                opts.fds = &fd3;
                opts.n_fds = 1;
        }
        for (size_t i = 0; m->aa_helper_args[i]; i++)
                g_ptr_array_add(argv, m->aa_helper_args[i]);
        g_ptr_array_add(argv, NULL);

        r = vk_child_spawn(e, (const char *const *) argv->pdata, &opts, op_child_done, op,
                           &op->child, reterr);
        if (r < 0)
                return r;
        *ret_op = g_steal_pointer(&op);
        return 0;
}

/*
 * Write and load (or reload, after a disk change) the domain's generated AppArmor profile
 * through virtkit-aa-helper, a child on loop @e. @callback runs once, from the loop, with
 * r = 0 or a negative errno and an error; freeing *ret_op first cancels it. Without a
 * generated profile (no AppArmor, static or none label) it completes at once with 0.
 */
int vk_security_manager_load_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                     VkSecurityOpFunc callback, void *userdata,
                                     VkSecurityOp **ret_op, VkError *reterr) {
        return profile_op(mgr, state, true, e, callback, userdata, ret_op, reterr);
}

/*
 * Unload and delete the domain's generated profile (virtkit-aa-helper remove), like
 * vk_security_manager_load_profile(). Completes at once with 0 when none was loaded.
 */
int vk_security_manager_unload_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                       VkSecurityOpFunc callback, void *userdata,
                                       VkSecurityOp **ret_op, VkError *reterr) {
        return profile_op(mgr, state, false, e, callback, userdata, ret_op, reterr);
}
