/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-labels.c: names of models and label types, label records (the undo list), MCS pairs */
#include <assert.h>
#include <errno.h>

#include "security-internal.h"
#include "security-selinux.h"

static const char *const model_table[_VK_SECURITY_MODEL_MAX] = {
        [VK_SECURITY_MODEL_SELINUX] = "selinux",
        [VK_SECURITY_MODEL_APPARMOR] = "apparmor",
        [VK_SECURITY_MODEL_DAC] = "dac",
};

/* "selinux", "apparmor", "dac"; NULL for a value out of range. */
const char *vk_security_model_to_string(VkSecurityModel m) {
        return m >= 0 && m < _VK_SECURITY_MODEL_MAX ? model_table[m] : NULL;
}

/* The inverse of vk_security_model_to_string(); _VK_SECURITY_MODEL_INVALID when unknown. */
VkSecurityModel vk_security_model_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECURITY_MODEL_MAX; i++)
                if (g_str_equal(model_table[i], s))
                        return i;
        return _VK_SECURITY_MODEL_INVALID;
}

static const char *const label_type_table[_VK_SECURITY_LABEL_MAX] = {
        [VK_SECURITY_LABEL_DYNAMIC] = "dynamic",
        [VK_SECURITY_LABEL_STATIC] = "static",
        [VK_SECURITY_LABEL_NONE] = "none",
};

/* "dynamic", "static", "none"; NULL for a value out of range. */
const char *vk_security_label_type_to_string(VkSecurityLabelType t) {
        return t >= 0 && t < _VK_SECURITY_LABEL_MAX ? label_type_table[t] : NULL;
}

/* The inverse of vk_security_label_type_to_string(); _VK_SECURITY_LABEL_INVALID when unknown. */
VkSecurityLabelType vk_security_label_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECURITY_LABEL_MAX; i++)
                if (g_str_equal(label_type_table[i], s))
                        return i;
        return _VK_SECURITY_LABEL_INVALID;
}

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
