/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-manager.c: the stack of one instance, and a VM's labels: prepare, label, restore */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "security-apparmor.h"
#include "security-dac.h"
#include "security-internal.h"
#include "security-manager.h"
#include "security-selinux.h"

static uint32_t default_random(void) {
        return g_random_int();
}

/* ---- the manager ------------------------------------------------------------------------ */

static const char *model_name(VkSecurityModel model) {
        return vk_security_model_to_string(model);
}

static int manager_pick_mac(VkSecurityManager *m, const VkSecurityConfig *cfg, VkError *reterr) {
        bool probe = !(m->flags & VK_SECURITY_MANAGER_NO_PROBE);

        for (size_t i = 0; cfg->drivers && cfg->drivers[i]; i++) {
                const char *name = cfg->drivers[i];

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
                VkSecurityModelInfo *sm = &m->secmodels[i];
                char **bl = m->secmodel_baselabels[i];

                sm->model = model_name(m->stack[i]->model);
                sm->doi = "0";
                switch (m->stack[i]->model) {
                case VK_SECURITY_MODEL_SELINUX:
                        bl[0] = g_strdup("kvm");
                        bl[1] = g_strdup(m->se_domain_kvm);
                        bl[2] = g_strdup("qemu");
                        bl[3] = g_strdup(m->se_domain_tcg);
                        break;
                case VK_SECURITY_MODEL_DAC:
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
int vk_security_manager_new(const VkSecurityConfig *cfg, bool privileged,
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
        m->default_confined = cfg->default_confined;
        m->require_confined = cfg->require_confined;
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
int vk_security_manager_get_secmodels(VkSecurityManager *mgr, const VkSecurityModelInfo **ret,
                                      size_t *ret_n) {
        assert(mgr);
        assert(ret);
        assert(ret_n);
        *ret = mgr->secmodels;
        *ret_n = mgr->n_stack;
        return 0;
}

/* ---- per domain ------------------------------------------------------------------------- */

VkSecurityState *security_state_new(VkSecurityManager *m, const VkSecurityDomain *dom) {
        VkSecurityState *s = g_new0(VkSecurityState, 1);

        s->mgr = vk_security_manager_ref(m);
        s->mcs[0] = s->mcs[1] = -1;
        s->se_type = s->aa_type = VK_SECURITY_LABEL_NONE;
        s->dac_type = VK_SECURITY_LABEL_DYNAMIC;
        s->uid = m->uid;
        s->gid = m->gid;
        s->aa_rules = g_ptr_array_new_with_free_func(g_free);
        s->records = g_ptr_array_new_with_free_func(security_record_destroy);
        if (dom) {
                s->uuid = dom->uuid;
                s->tcg = dom->tcg;
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

/* The label request of @dom for the driver at @index of the stack: a model-less one belongs
 * to the first driver (libvirt's rule). */
static const VkSecurityLabelRequest *domain_label(const VkSecurityManager *m,
                                                  const VkSecurityDomain *dom, size_t index) {
        for (size_t i = 0; i < dom->n_labels; i++) {
                const VkSecurityLabelRequest *l = &dom->labels[i];
                if (l->has_model ? l->model == m->stack[index]->model : index == 0)
                        return l;
        }
        return NULL;
}

/*
 * Choose the labels of @dom for one start: the MCS pair (reserved in @mgr until the state is
 * restored or freed), the process and image labels, the AppArmor profile name, the uid/gid.
 * Touches nothing on disk. Errors: a label request for a model not in the stack, an invalid
 * static label, security_require_confined with an unconfined domain, no MCS pair left.
 */
int vk_security_manager_prepare(VkSecurityManager *mgr, const VkSecurityDomain *dom,
                                VkSecurityState **ret_state, VkError *reterr) {
        g_autoptr(VkSecurityState) s = NULL;
        int r;

        assert(mgr);
        assert(dom);
        assert(ret_state);

        for (size_t i = 0; i < dom->n_labels; i++) {
                const VkSecurityLabelRequest *l = &dom->labels[i];
                bool found = !l->has_model;

                for (size_t j = 0; j < mgr->n_stack && !found; j++)
                        found = mgr->stack[j]->model == l->model;
                if (!found && l->type != VK_SECURITY_LABEL_NONE)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "<seclabel model='%s'>: this host's security "
                                            "driver is '%s'",
                                            model_name(l->model),
                                            vk_strempty(vk_security_manager_mac_model(mgr)));
        }

        s = security_state_new(mgr, dom);
        s->mac_model = g_strdup(vk_security_manager_mac_model(mgr));
        for (size_t i = 0; i < mgr->n_stack; i++) {
                r = mgr->stack[i]->prepare(mgr, s, dom, domain_label(mgr, dom, i), reterr);
                if (r < 0)
                        return r;
        }

        if (mgr->require_confined && mgr->privileged &&
            (!s->mac_model ||
             (s->se_type == VK_SECURITY_LABEL_NONE && s->aa_type == VK_SECURITY_LABEL_NONE)))
                return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "domain '%s' would run unconfined, which "
                                    "security_require_confined forbids",
                                    dom->name);
        *ret_state = g_steal_pointer(&s);
        return 0;
}

static const VkSecurityDriver *stack_driver(const VkSecurityManager *m, VkSecurityModel model) {
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

/*
 * Label @res (@n_res files of a VM) for the stack, in stack order. A resource that is
 * optional (the VM may create it later) and missing is skipped by DAC and SELinux but still
 * listed in the AppArmor profile; a directory resource (dir) grants everything below it in
 * the profile. Originals are remembered in @state (and in xattrs, see security-dac.c). On
 * failure everything this call changed is undone before it returns. Synchronous, fast (chown
 * and setxattr only). Also for hotplug: call vk_security_manager_load_profile() afterwards
 * to regenerate the AppArmor profile.
 */
int vk_security_manager_label_resources(VkSecurityManager *mgr, VkSecurityState *state,
                                        const VkSecurityResource *res, size_t n_res,
                                        VkError *reterr) {
        size_t keep = state->records->len, keep_rules = state->aa_rules->len;

        assert(mgr);
        assert(state);
        assert(res || n_res == 0);

        for (size_t i = 0; i < mgr->n_stack; i++) {
                if (!mgr->stack[i]->label)
                        continue;
                for (size_t j = 0; j < n_res; j++) {
                        int r;

                        if (vk_isempty(res[j].path))
                                continue;
                        r = mgr->stack[i]->label(mgr, state, &res[j], reterr);
                        if (r < 0) {
                                /* the undo list: what this call changed, in reverse */
                                (void) restore_records(mgr, state, keep, NULL);
                                g_ptr_array_set_size(state->aa_rules, keep_rules);
                                return r;
                        }
                }
        }
        return 0;
}

/*
 * Hot-unplug: give @path back (owner and label) and drop it from the AppArmor rules; then
 * vk_security_manager_load_profile() regenerates the profile. Returns 0 or the first error.
 */
int vk_security_manager_restore_path(VkSecurityManager *mgr, VkSecurityState *state,
                                     const char *path, VkError *reterr) {
        int ret = 0;

        assert(mgr);
        assert(state);

        if (!path)
                return 0;
        for (size_t i = state->records->len; i > 0; i--) {
                VkSecurityRecord *rec = state->records->pdata[i - 1];
                const VkSecurityDriver *drv = stack_driver(mgr, rec->model);
                int r = 0;

                if (!g_str_equal(rec->path, path))
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
                if (space && g_str_equal(space + 1, path))
                        g_ptr_array_remove_index(state->aa_rules, i - 1);
        }
        return ret;
}

/*
 * Undo everything vk_security_manager_label_resources() did, newest first: owners and SELinux
 * labels back to the remembered originals (a file another running domain still counts on stays as
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
