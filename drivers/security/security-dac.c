/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-dac.c: the DAC driver: the uid/gid QEMU runs as, file ownership and its restore */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "security-dac.h"
#include "security-internal.h"
#include "user.h"

/*
 * Ownership is remembered in two places. The state (and so the domain's status file) keeps
 * the original owner of every file we changed. With remember_owner = 1 on a privileged
 * instance the file itself also carries it, in the xattr trusted.virtkit.dac as
 * "REFCOUNT +UID:+GID": the first domain to use a file writes the original, the others only
 * count up, and the file goes back to its original owner when the last one stops. That is
 * what makes a <shareable/> disk of two running domains safe, and what survives the loss of
 * the status file. SELinux uses the same scheme in trusted.virtkit.selinux.
 */

#define DAC_ID_MAX ((uint64_t) UINT32_MAX - 1) /* (uid_t) -1 means "unchanged" to chown() */

static const char *remember_xattr_name(VkSecurityModel model) {
        return model == VK_SECURITY_MODEL_DAC ? "trusted.virtkit.dac" : "trusted.virtkit.selinux";
}

static int dac_parse_id(const char *s, uint32_t *ret) {
        uint64_t v;
        char *end;

        if (!s || s[0] != '+' || !g_ascii_isdigit(s[1]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s + 1, &end, 10);
        if (errno != 0 || *end || v > DAC_ID_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

/*
 * Resolve @user, a user name or "+UID", to a uid. A name is looked up in the user database
 * (NSS); "+UID" never is. Returns 0, or -EINVAL (malformed) / -ENOENT (no such user) with
 * @reterr set.
 */
int vk_security_dac_parse_user(const char *user, uid_t *ret_uid, VkError *reterr) {
        uint32_t id;

        assert(ret_uid);

        if (vk_isempty(user))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL, "empty user name");
        if (user[0] == '+') {
                if (dac_parse_id(user, &id) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                            "invalid user id '%s'", user);
                *ret_uid = id;
                return 0;
        }
        if (vk_user_lookup_name(user, ret_uid) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -ENOENT,
                                    "user '%s' does not exist", user);
        return 0;
}

/* Resolve @group, a group name or "+GID", like vk_security_dac_parse_user(). */
int vk_security_dac_parse_group(const char *group, gid_t *ret_gid, VkError *reterr) {
        uint32_t id;

        assert(ret_gid);

        if (vk_isempty(group))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL, "empty group name");
        if (group[0] == '+') {
                if (dac_parse_id(group, &id) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                            "invalid group id '%s'", group);
                *ret_gid = id;
                return 0;
        }
        if (vk_group_lookup_name(group, ret_gid) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -ENOENT,
                                    "group '%s' does not exist", group);
        return 0;
}

/*
 * Parse a DAC label "USER:GROUP" (each a name or "+ID"), as in
 * <seclabel model='dac' type='static'><label>+107:+107</label></seclabel>.
 */
int vk_security_dac_parse_label(const char *label, uid_t *ret_uid, gid_t *ret_gid,
                                VkError *reterr) {
        g_autofree char *user = NULL;
        const char *colon;
        uid_t uid;
        gid_t gid;
        int r;

        assert(ret_uid);
        assert(ret_gid);

        colon = label ? strchr(label, ':') : NULL;
        if (!colon)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "<seclabel model='dac'>: label '%s' is not USER:GROUP",
                                    vk_strempty(label));
        user = g_strndup(label, colon - label);
        r = vk_security_dac_parse_user(user, &uid, reterr);
        if (r < 0)
                return r;
        r = vk_security_dac_parse_group(colon + 1, &gid, reterr);
        if (r < 0)
                return r;
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

/* "+UID:+GID", the form of labels we write (live XML, records). Caller frees. */
char *vk_security_dac_format_label(uid_t uid, gid_t gid) {
        return g_strdup_printf("+%u:+%u", (unsigned) uid, (unsigned) gid);
}

/*
 * The supplementary groups QEMU gets when it runs as @uid: the groups of the user's name in
 * the group database, or just @gid when the uid has no name. Caller frees *ret_groups.
 * Returns 0; never fails (an unknown user has only @gid).
 */
int vk_security_dac_user_groups(uid_t uid, gid_t gid, gid_t **ret_groups, size_t *ret_n) {
        g_autofree char *name = NULL;
        int n = 64;
        g_autofree gid_t *groups = NULL;

        assert(ret_groups);
        assert(ret_n);

        if (vk_user_lookup_uid(uid, &name) >= 0) {
                for (int tries = 0; tries < 4; tries++) {
                        int want = n;
                        g_free(groups);
                        groups = g_new0(gid_t, want);
                        if (getgrouplist(name, gid, groups, &n) >= 0)
                                break;
                        n = MAX(n, want * 2);
                        if (n > 65536)
                                break;
                }
                if (groups && n > 0 && n <= 65536) {
                        *ret_groups = g_steal_pointer(&groups);
                        *ret_n = n;
                        return 0;
                }
        }
        *ret_groups = g_new(gid_t, 1);
        (*ret_groups)[0] = gid;
        *ret_n = 1;
        return 0;
}

static int remember_read(const char *path, VkSecurityModel model, unsigned *ret_ref,
                         char **ret_orig) {
        char buf[VK_SECURITY_XATTR_MAX + 1];
        unsigned long ref;
        ssize_t n;
        char *end;

        n = getxattr(path, remember_xattr_name(model), buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        errno = 0;
        ref = strtoul(buf, &end, 10);
        if (errno != 0 || end == buf || *end != ' ' || ref == 0 || ref > UINT_MAX)
                return -EBADMSG;
        *ret_ref = ref;
        *ret_orig = g_strdup(end + 1);
        return 0;
}

static int remember_write(const char *path, VkSecurityModel model, unsigned ref, const char *orig) {
        g_autofree char *value = g_strdup_printf("%u %s", ref, orig);

        if (strlen(value) > VK_SECURITY_XATTR_MAX)
                return -E2BIG;
        if (setxattr(path, remember_xattr_name(model), value, strlen(value), 0) < 0)
                return -errno;
        return 0;
}

/* Whether this instance keeps originals in xattrs (privileged and remember_owner = 1). */
bool security_can_remember(const VkSecurityManager *m) {
        return m->privileged && m->remember_owner;
}

/*
 * Count one more user of @path. The first one stores @current as the original. On success
 * *ret_orig is the original (caller frees) and the new count is returned (>= 1). -ENOTSUP or
 * -EOPNOTSUPP: the filesystem has no xattrs (the caller keeps the original in the state only).
 */
int security_remember_ref(const char *path, VkSecurityModel model, const char *current,
                          char **ret_orig) {
        g_autofree char *orig = NULL;
        unsigned ref = 0;
        int r;

        r = remember_read(path, model, &ref, &orig);
        if (r == -ENODATA || r == -EBADMSG) {
                /* a malformed value is one we cannot trust: start again from what is there */
                ref = 0;
                g_free(orig);
                orig = g_strdup(current);
        } else if (r < 0)
                return r;
        if (ref == UINT_MAX)
                return -EOVERFLOW;
        r = remember_write(path, model, ref + 1, orig);
        if (r < 0)
                return r;
        *ret_orig = g_steal_pointer(&orig);
        return (int) MIN(ref + 1, (unsigned) INT_MAX);
}

/*
 * Count one user of @path less. Returns the remaining count: 0 means we were the last one,
 * the xattr is gone and *ret_orig is the original to restore (caller frees); > 0 means others
 * still use the file (*ret_orig set too). -ENODATA: no xattr (never remembered, or lost).
 */
int security_remember_unref(const char *path, VkSecurityModel model, char **ret_orig) {
        g_autofree char *orig = NULL;
        unsigned ref;
        int r;

        r = remember_read(path, model, &ref, &orig);
        if (r < 0)
                return r;
        if (ref > 1) {
                r = remember_write(path, model, ref - 1, orig);
                if (r < 0)
                        return r;
        } else if (removexattr(path, remember_xattr_name(model)) < 0 && errno != ENODATA)
                return -errno;
        *ret_orig = g_steal_pointer(&orig);
        return (int) MIN(ref - 1, (unsigned) INT_MAX);
}

static int dac_prepare(VkSecurityManager *m, VkSecurityState *s, const VkSecurityDomain *dom,
                       const VkSecurityLabelRequest *label, VkError *reterr) {
        int r;

        s->dac_type = label ? label->type : VK_SECURITY_LABEL_DYNAMIC;
        s->uid = m->uid;
        s->gid = m->gid;
        s->dac_relabel = m->privileged && m->dynamic_ownership;

        if (label && label->type == VK_SECURITY_LABEL_STATIC) {
                if (!m->privileged)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "<seclabel model='dac' type='static'>: a session "
                                            "instance runs QEMU as its own user only");
                r = vk_security_dac_parse_label(label->label, &s->uid, &s->gid, reterr);
                if (r < 0)
                        return r;
                s->dac_relabel = s->dac_relabel && label->relabel;
        } else if (label && label->type == VK_SECURITY_LABEL_NONE)
                s->dac_relabel = false;
        return 0;
}

static int dac_parse_orig(const char *orig, uid_t *ret_uid, gid_t *ret_gid) {
        VkError e = VK_ERROR_INIT;
        int r;

        r = vk_security_dac_parse_label(orig, ret_uid, ret_gid, &e);
        vk_error_done(&e);
        return r;
}

static int dac_label(VkSecurityManager *m, VkSecurityState *s, const VkSecurityResource *res,
                     VkError *reterr) {
        g_autofree char *current = NULL, *orig = NULL;
        bool remembered = false;
        struct stat st;
        int r;

        if (!s->dac_relabel || !res->relabel)
                return 0;
        if (security_records_contain(s, VK_SECURITY_MODEL_DAC, res->path))
                return 0;

        if (stat(res->path, &st) < 0) {
                if (errno == ENOENT && res->optional)
                        return 0;
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                    "cannot give '%s' to QEMU's user: %s", res->path,
                                    g_strerror(errno));
        }
        current = vk_security_dac_format_label(st.st_uid, st.st_gid);

        if (security_can_remember(m)) {
                r = security_remember_ref(res->path, VK_SECURITY_MODEL_DAC, current, &orig);
                if (r >= 0)
                        remembered = true;
                else if (r != -ENOTSUP && r != -EOPNOTSUPP)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot remember the owner of '%s': %s", res->path,
                                            g_strerror(-r));
        }
        if (!remembered) {
                if (st.st_uid == s->uid && st.st_gid == s->gid)
                        return 0; /* nothing changes, nothing to undo */
                orig = g_steal_pointer(&current);
        }

        vk_log_debug("dac: chown '%s' %u:%u (was %s)", res->path, (unsigned) s->uid,
                     (unsigned) s->gid, orig);
        if (chown(res->path, s->uid, s->gid) < 0) {
                int e = -errno;
                g_autofree char *ignored = NULL;

                if (remembered)
                        (void) security_remember_unref(res->path, VK_SECURITY_MODEL_DAC, &ignored);
                return vk_error_set(reterr, VK_ERROR_SYSTEM, e, "cannot give '%s' to %u:%u: %s",
                                    res->path, (unsigned) s->uid, (unsigned) s->gid,
                                    g_strerror(-e));
        }

        /* Without a count on the file, a file other domains may share is never given back
         * (libvirt does the same): we cannot know whether they still use it. */
        if (!remembered && (res->readonly || res->shared))
                return 0;
        security_record_add(s, VK_SECURITY_MODEL_DAC, res->path, orig, remembered);
        return 0;
}

static int dac_restore(VkSecurityManager *m, VkSecurityState *s, const VkSecurityRecord *rec,
                       VkError *reterr) {
        g_autofree char *orig = NULL;
        const char *target = rec->orig;
        uid_t uid;
        gid_t gid;
        int r;

        if (rec->remembered) {
                r = security_remember_unref(rec->path, VK_SECURITY_MODEL_DAC, &orig);
                if (r > 0)
                        return 0; /* another running domain still uses it */
                if (r == 0)
                        target = orig;
                else if (r == -ENOENT)
                        return 0;
                /* xattr lost or unreadable: the state's copy of the original */
        }
        if (dac_parse_orig(target, &uid, &gid) < 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                    "remembered owner '%s' of '%s' is malformed",
                                    vk_strempty(target), rec->path);
        vk_log_debug("dac: restore '%s' to %s", rec->path, target);
        if (chown(rec->path, uid, gid) < 0 && errno != ENOENT)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                    "cannot give '%s' back to %s: %s", rec->path, target,
                                    g_strerror(errno));
        return 0;
}

const VkSecurityDriver vk_security_driver_dac = {
        .model = VK_SECURITY_MODEL_DAC,
        .prepare = dac_prepare,
        .label = dac_label,
        .restore = dac_restore,
};
