/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-selinux.c: SELinux sVirt: context strings, file labels, the exec context */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include <selinux/context.h>
#include <selinux/selinux.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "security-internal.h"
#include "security-selinux.h"

/*
 * sVirt (the model of libvirt's security_selinux.c, facts only):
 *
 *   dynamic   process  <user>:<role>:svirt_t:s0:cA,cB   (svirt_tcg_t for a TCG domain; the
 *                      user/role/type of <baselabel> when given), A < B, unique per running VM
 *             images   system_u:object_r:svirt_image_t:s0:cA,cB   exclusive, read-write
 *                      system_u:object_r:svirt_image_t:s0         <shareable/>
 *                      system_u:object_r:virt_content_t:s0        <readonly/>, kernel, initrd
 *   static    process  <label> as given; files untouched unless relabel='yes', then the
 *                      <imagelabel> (or the image type with the label's range)
 *   none      unconfined: no exec context, no file labels
 *
 * The readonly type is the one the reference and Fedora policies ship in
 * virtual_image_context (second line): virt_content_t. The upstream page says
 * "svirt_content_t", which no policy defines.
 */

/* libselinux is linked: true. */
bool vk_selinux_supported(void) {
        return true;
}

/* Whether SELinux is enabled on the host (a policy is loaded). */
bool vk_selinux_enabled(void) {
        return is_selinux_enabled() > 0;
}

static int read_two_lines(const char *path, char **ret_first, char **ret_second) {
        g_autofree char *data = NULL;
        g_auto(GStrv) lines = NULL;
        VkError e = VK_ERROR_INIT;
        int r;

        if (!path)
                return -ENOENT;
        r = vk_file_read_all(path, 64 * 1024, &data, NULL, &e);
        vk_error_done(&e);
        if (r < 0)
                return r;
        lines = g_strsplit(data, "\n", 3);
        if (!lines[0] || !lines[1] || vk_isempty(g_strstrip(lines[0])) ||
            vk_isempty(g_strstrip(lines[1])))
                return -EBADMSG;
        *ret_first = g_strdup(lines[0]);
        *ret_second = g_strdup(lines[1]);
        return 0;
}

/*
 * The policy's contexts for VMs: virtual_domain_context (KVM, TCG) and virtual_image_context
 * (image, readonly content). Returns 0 and sets all four (caller frees), or -errno when the
 * policy has no such files (the caller uses the VK_SELINUX_DEFAULT_* ones).
 */
int vk_selinux_policy_contexts(char **ret_domain_kvm, char **ret_domain_tcg, char **ret_image,
                               char **ret_content) {
        g_autofree char *kvm = NULL, *tcg = NULL, *image = NULL, *content = NULL;
        int r;

        r = read_two_lines(selinux_virtual_domain_context_path(), &kvm, &tcg);
        if (r < 0)
                return r;
        r = read_two_lines(selinux_virtual_image_context_path(), &image, &content);
        if (r < 0)
                return r;
        *ret_domain_kvm = g_steal_pointer(&kvm);
        *ret_domain_tcg = g_steal_pointer(&tcg);
        *ret_image = g_steal_pointer(&image);
        *ret_content = g_steal_pointer(&content);
        return 0;
}

/* Whether @context has the form user:role:type[:range]. 0 or -EINVAL; works without a policy. */
int vk_selinux_context_check(const char *context) {
        context_t c;

        if (vk_isempty(context) || strlen(context) > 4096 || strchr(context, '\n'))
                return -EINVAL;
        c = context_new(context);
        if (!c)
                return -EINVAL;
        if (vk_isempty(context_user_get(c)) || vk_isempty(context_role_get(c)) ||
            vk_isempty(context_type_get(c))) {
                context_free(c);
                return -EINVAL;
        }
        context_free(c);
        return 0;
}

/* The MLS/MCS range of @context ("s0:c1,c2"), or -ENODATA without one. Caller frees. */
int vk_selinux_context_get_range(const char *context, char **ret_range) {
        const char *range;
        context_t c;

        c = context_new(context);
        if (!c)
                return -EINVAL;
        range = context_range_get(c);
        if (vk_isempty(range)) {
                context_free(c);
                return -ENODATA;
        }
        *ret_range = g_strdup(range);
        context_free(c);
        return 0;
}

/* @context with its range replaced by @range. Caller frees *ret_context. */
int vk_selinux_context_set_range(const char *context, const char *range, char **ret_context) {
        context_t c;
        const char *s;

        c = context_new(context);
        if (!c)
                return -EINVAL;
        if (context_range_set(c, range) != 0) {
                context_free(c);
                return -EINVAL;
        }
        s = context_str(c);
        if (!s) {
                context_free(c);
                return -ENOMEM;
        }
        *ret_context = g_strdup(s);
        context_free(c);
        return 0;
}

/*
 * The label of @path (symlinks followed, as QEMU opens it). Works on a host without a policy:
 * it is the security.selinux xattr. *ret_context is NULL when the file has none.
 */
int vk_selinux_file_get_label(const char *path, char **ret_context) {
        char *con = NULL;

        if (getfilecon(path, &con) < 0) {
                if (errno == ENODATA || errno == ENOTSUP) {
                        *ret_context = NULL;
                        return 0;
                }
                return -errno;
        }
        *ret_context = g_strdup(con);
        freecon(con);
        return 0;
}

/* Set the label of @path (symlinks followed); NULL or "" removes it. */
int vk_selinux_file_set_label(const char *path, const char *context) {
        if (vk_isempty(context)) {
                if (removexattr(path, "security.selinux") < 0 && errno != ENODATA)
                        return -errno;
                return 0;
        }
        if (setfilecon(path, context) < 0)
                return -errno;
        return 0;
}

/* Set the context the calling thread's next execve() enters; NULL resets it. */
int vk_selinux_set_exec_label(const char *context) {
        if (setexeccon(context) < 0)
                return -errno;
        return 0;
}

static const char *selinux_base_domain(VkSecurityManager *m, const VkSecurityState *s) {
        return s->tcg ? m->se_domain_tcg : m->se_domain_kvm;
}

static int selinux_prepare(VkSecurityManager *m, VkSecurityState *s, const VkSecurityDomain *dom,
                           const VkSecurityLabelRequest *label, VkError *reterr) {
        g_autofree char *range = NULL, *sens = NULL;
        const char *base;
        int a, b, r;

        s->se_type =
                label ? label->type
                      : (m->default_confined ? VK_SECURITY_LABEL_DYNAMIC : VK_SECURITY_LABEL_NONE);
        if (s->se_type == VK_SECURITY_LABEL_NONE)
                return 0;

        if (s->se_type == VK_SECURITY_LABEL_STATIC) {
                if (vk_selinux_context_check(label->label) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "<seclabel model='selinux'>: invalid <label> '%s'",
                                            label->label);
                s->se_label = g_strdup(label->label);
                s->se_relabel = label->relabel;
                if (!s->se_relabel)
                        return 0;
                if (label->imagelabel) {
                        if (vk_selinux_context_check(label->imagelabel) < 0)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "<seclabel model='selinux'>: invalid "
                                                    "<imagelabel> '%s'",
                                                    label->imagelabel);
                        s->se_imagelabel = g_strdup(label->imagelabel);
                        return 0;
                }
                if (vk_selinux_context_get_range(label->label, &range) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "<seclabel model='selinux'>: <label> '%s' has no "
                                            "range for the image label",
                                            label->label);
                if (vk_selinux_context_set_range(m->se_image, range, &s->se_imagelabel) < 0)
                        return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                            "cannot build the image label of '%s'", label->label);
                return 0;
        }

        /* dynamic */
        base = label && label->baselabel ? label->baselabel : selinux_base_domain(m, s);
        if (vk_selinux_context_check(base) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "<seclabel model='selinux'>: invalid <baselabel> '%s'", base);
        /* the sensitivity of the base ("s0"), then our categories */
        if (vk_selinux_context_get_range(base, &range) >= 0)
                sens = g_strndup(range, strcspn(range, ":-"));
        else
                sens = g_strdup("s0");

        r = security_mcs_allocate(m, &a, &b);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, r,
                                    "no free SELinux MCS category pair left");
        s->mcs[0] = a;
        s->mcs[1] = b;
        g_free(range);
        range = g_strdup_printf("%s:c%d,c%d", sens, a, b);
        if (vk_selinux_context_set_range(base, range, &s->se_label) < 0 ||
            vk_selinux_context_set_range(m->se_image, range, &s->se_imagelabel) < 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                    "cannot build labels from '%s' and range '%s'", base, range);
        s->se_relabel = true;
        return 0;
}

static int selinux_label(VkSecurityManager *m, VkSecurityState *s, const VkSecurityResource *res,
                         VkError *reterr) {
        g_autofree char *current = NULL, *orig = NULL;
        bool remembered = false;
        const char *want;
        int r;

        if (s->se_type == VK_SECURITY_LABEL_NONE || !s->se_relabel || !res->relabel)
                return 0;
        if (security_records_contain(s, VK_SECURITY_MODEL_SELINUX, res->path))
                return 0;

        if (res->readonly || res->kind == VK_SECURITY_RESOURCE_BOOT)
                want = m->se_content;
        else if (res->shared)
                want = m->se_image;
        else
                want = s->se_imagelabel;

        r = vk_selinux_file_get_label(res->path, &current);
        if (r == -ENOENT && res->optional)
                return 0;
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot read the label of '%s': %s",
                                    res->path, g_strerror(-r));

        if (security_can_remember(m)) {
                r = security_remember_ref(res->path, VK_SECURITY_MODEL_SELINUX,
                                          vk_strempty(current), &orig);
                if (r >= 0)
                        remembered = true;
                else if (r != -ENOTSUP && r != -EOPNOTSUPP)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot remember the label of '%s': %s", res->path,
                                            g_strerror(-r));
        }
        if (!remembered) {
                if (g_strcmp0(current, want) == 0)
                        return 0;
                orig = g_strdup(vk_strempty(current));
        }

        vk_log_debug("selinux: label '%s' %s (was '%s')", res->path, want, orig);
        r = vk_selinux_file_set_label(res->path, want);
        if (r < 0) {
                g_autofree char *ignored = NULL;

                if (remembered)
                        (void) security_remember_unref(res->path, VK_SECURITY_MODEL_SELINUX,
                                                       &ignored);
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot label '%s' %s: %s",
                                    res->path, want, g_strerror(-r));
        }
        if (!remembered && (res->readonly || res->shared))
                return 0;
        security_record_add(s, VK_SECURITY_MODEL_SELINUX, res->path, orig, remembered);
        return 0;
}

static int selinux_restore(VkSecurityManager *m, VkSecurityState *s, const VkSecurityRecord *rec,
                           VkError *reterr) {
        g_autofree char *orig = NULL;
        const char *target = rec->orig;
        int r;

        if (rec->remembered) {
                r = security_remember_unref(rec->path, VK_SECURITY_MODEL_SELINUX, &orig);
                if (r > 0)
                        return 0;
                if (r == 0)
                        target = orig;
                else if (r == -ENOENT)
                        return 0;
        }
        vk_log_debug("selinux: restore '%s' to '%s'", rec->path, vk_strempty(target));
        r = vk_selinux_file_set_label(rec->path, target);
        if (r < 0 && r != -ENOENT)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                    "cannot restore the label '%s' of '%s': %s",
                                    vk_strempty(target), rec->path, g_strerror(-r));
        return 0;
}

const VkSecurityDriver vk_security_driver_selinux = {
        .model = VK_SECURITY_MODEL_SELINUX,
        .prepare = selinux_prepare,
        .label = selinux_label,
        .restore = selinux_restore,
};
