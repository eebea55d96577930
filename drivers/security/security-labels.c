/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-labels.c: names of models and label types, label records (the undo list), MCS pairs */
#include <assert.h>
#include <errno.h>

#include "macro.h"
#include "security-internal.h"
#include "security-selinux.h"

VK_ENUM_STRING_IMPL(vk_security_model, VkSecurityModel, _VK_SECURITY_MODEL_MAX, "selinux",
                    "apparmor", "dac")
VK_ENUM_STRING_IMPL(vk_security_label_type, VkSecurityLabelType, _VK_SECURITY_LABEL_MAX, "dynamic",
                    "static", "none")

VkSecurityRecord *security_record_free(VkSecurityRecord *rec) {
        if (!rec)
                return NULL;
        g_free(rec->path);
        g_free(rec->orig);
        g_free(rec);
        return NULL;
}

void security_record_add(VkSecurityState *s, VkSecurityModel model, const char *path,
                         const char *orig, bool remembered) {
        VkSecurityRecord *rec = g_new0(VkSecurityRecord, 1);

        rec->model = model;
        rec->path = g_strdup(path);
        rec->orig = g_strdup(orig);
        rec->remembered = remembered;
        g_ptr_array_add(s->records, rec);
}

void security_record_destroy(gpointer p) {
        security_record_free(p);
}

bool security_records_contain(const VkSecurityState *s, VkSecurityModel model, const char *path) {
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
