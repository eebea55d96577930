/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-state.c: a domain's security state: JSON for the status file, the assigned labels */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json.h"
#include "macro.h"
#include "security-dac.h"
#include "security-internal.h"
#include "security-state.h"

/*
 * The JSON kept in the domain's status file, everything a restarted daemon needs to restore
 * the domain's files and keep its MCS pair:
 *
 *   { "version": 1, "uuid": "…", "tcg": false, "mac": "selinux",
 *     "selinux": { "type": "dynamic", "relabel": true, "label": "…", "imageLabel": "…",
 *                  "mcs": [ 12, 345 ] },
 *     "apparmor": { "type": "dynamic", "profile": "virtkit-…", "generated": true,
 *                   "loaded": true, "rules": [ "rwk /var/lib/…", … ] },
 *     "dac": { "type": "dynamic", "relabel": true, "uid": 107, "gid": 107 },
 *     "records": [ { "model": "dac", "path": "…", "orig": "+0:+0", "remembered": true } ] }
 */

#define STATE_JSON_MAX    (4 * 1024 * 1024)
#define STATE_RECORDS_MAX (16 * 1024)

static void add_type(JsonBuilder *b, VkSecurityLabelType t) {
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, vk_security_label_type_to_string(t));
}

static void add_string(JsonBuilder *b, const char *name, const char *value) {
        json_builder_set_member_name(b, name);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

static void add_bool(JsonBuilder *b, const char *name, bool value) {
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value) {
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, value);
}

/* @state as JSON for the domain's status file (compact, one line). Caller frees. Returns 0. */
int vk_security_manager_state_to_json(const VkSecurityState *state, char **ret_json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        char uuid[VK_UUID_STRING_MAX];

        assert(state);
        assert(ret_json);

        json_builder_begin_object(b);
        add_int(b, "version", 1);
        add_string(b, "uuid", vk_uuid_format(&state->uuid, uuid));
        add_bool(b, "tcg", state->tcg);
        add_string(b, "mac", state->mac_model);

        json_builder_set_member_name(b, "selinux");
        json_builder_begin_object(b);
        add_type(b, state->se_type);
        add_bool(b, "relabel", state->se_relabel);
        add_string(b, "label", state->se_label);
        add_string(b, "imageLabel", state->se_imagelabel);
        json_builder_set_member_name(b, "mcs");
        json_builder_begin_array(b);
        if (state->mcs[0] >= 0) {
                json_builder_add_int_value(b, state->mcs[0]);
                json_builder_add_int_value(b, state->mcs[1]);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "apparmor");
        json_builder_begin_object(b);
        add_type(b, state->aa_type);
        add_string(b, "profile", state->aa_profile);
        add_bool(b, "generated", state->aa_generate);
        add_bool(b, "loaded", state->aa_loaded);
        json_builder_set_member_name(b, "rules");
        json_builder_begin_array(b);
        for (size_t i = 0; i < state->aa_rules->len; i++)
                json_builder_add_string_value(b, state->aa_rules->pdata[i]);
        json_builder_end_array(b);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "dac");
        json_builder_begin_object(b);
        add_type(b, state->dac_type);
        add_bool(b, "relabel", state->dac_relabel);
        add_int(b, "uid", state->uid);
        add_int(b, "gid", state->gid);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "records");
        json_builder_begin_array(b);
        for (size_t i = 0; i < state->records->len; i++) {
                const VkSecurityRecord *rec = state->records->pdata[i];
                json_builder_begin_object(b);
                add_string(b, "model", vk_security_model_to_string(rec->model));
                add_string(b, "path", rec->path);
                add_string(b, "orig", rec->orig);
                add_bool(b, "remembered", rec->remembered);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);

        root = json_builder_get_root(b);
        *ret_json = vk_json_to_string(root, false);
        return 0;
}

static int bad(VkError *reterr, const char *what) {
        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                            "security state: %s is missing or malformed", what);
}

static JsonObject *get_object(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *get_array(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static bool get_bool(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

static int get_int(JsonObject *o, const char *name, gint64 min, gint64 max, gint64 *ret) {
        JsonNode *n = json_object_get_member(o, name);
        gint64 v;

        if (!n || json_node_get_value_type(n) != G_TYPE_INT64)
                return -EBADMSG;
        v = json_node_get_int(n);
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int get_type(JsonObject *o, VkSecurityLabelType *ret) {
        int t = vk_security_label_type_from_string(
                vk_json_object_get_string_member_or_null(o, "type"));

        if (t < 0)
                return -EBADMSG;
        *ret = t;
        return 0;
}

/*
 * Rebuild a state from vk_security_manager_state_to_json() output, after a daemon restart.
 * Its MCS pair is reserved again in @mgr (-EEXIST if another state holds it). The strings
 * are checked for form only; the files are not looked at. On success *ret_state is owned by
 * the caller.
 */
int vk_security_manager_state_from_json(VkSecurityManager *mgr, const char *json,
                                        VkSecurityState **ret_state, VkError *reterr) {
        g_autoptr(VkSecurityState) s = NULL;
        g_autoptr(JsonNode) root = NULL;
        JsonObject *o, *se, *aa, *dac;
        JsonArray *mcs, *rules, *records;
        gint64 v;
        int r;

        assert(mgr);
        assert(json);
        assert(ret_state);

        if (strlen(json) > STATE_JSON_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "security state larger than %u bytes", STATE_JSON_MAX);
        r = vk_json_parse(json, -1, &root, reterr);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return bad(reterr, "the object");
        o = json_node_get_object(root);
        if (get_int(o, "version", 1, 1, &v) < 0)
                return bad(reterr, "'version'");

        s = security_state_new(mgr, NULL);
        if (vk_uuid_parse(vk_json_object_get_string_member_or_null(o, "uuid"), &s->uuid) < 0)
                return bad(reterr, "'uuid'");
        s->tcg = get_bool(o, "tcg");
        s->mac_model = g_strdup(vk_json_object_get_string_member_or_null(o, "mac"));

        se = get_object(o, "selinux");
        aa = get_object(o, "apparmor");
        dac = get_object(o, "dac");
        if (!se || !aa || !dac)
                return bad(reterr, "a driver section");

        if (get_type(se, &s->se_type) < 0)
                return bad(reterr, "'selinux.type'");
        s->se_relabel = get_bool(se, "relabel");
        s->se_label = g_strdup(vk_json_object_get_string_member_or_null(se, "label"));
        s->se_imagelabel = g_strdup(vk_json_object_get_string_member_or_null(se, "imageLabel"));
        mcs = get_array(se, "mcs");
        if (!mcs || (json_array_get_length(mcs) != 0 && json_array_get_length(mcs) != 2))
                return bad(reterr, "'selinux.mcs'");
        if (json_array_get_length(mcs) == 2) {
                int a = json_array_get_int_element(mcs, 0), b = json_array_get_int_element(mcs, 1);

                r = security_mcs_reserve(mgr, a, b);
                if (r == -EEXIST)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, r,
                                            "MCS categories c%d,c%d are already in use", a, b);
                if (r < 0)
                        return bad(reterr, "'selinux.mcs'");
                s->mcs[0] = a;
                s->mcs[1] = b;
        }

        if (get_type(aa, &s->aa_type) < 0)
                return bad(reterr, "'apparmor.type'");
        s->aa_profile = g_strdup(vk_json_object_get_string_member_or_null(aa, "profile"));
        s->aa_generate = get_bool(aa, "generated");
        s->aa_loaded = get_bool(aa, "loaded");
        rules = get_array(aa, "rules");
        if (!rules || json_array_get_length(rules) > STATE_RECORDS_MAX)
                return bad(reterr, "'apparmor.rules'");
        for (guint i = 0; i < json_array_get_length(rules); i++) {
                const char *line = json_array_get_string_element(rules, i);
                if (!line)
                        return bad(reterr, "'apparmor.rules'");
                g_ptr_array_add(s->aa_rules, g_strdup(line));
        }

        if (get_type(dac, &s->dac_type) < 0)
                return bad(reterr, "'dac.type'");
        s->dac_relabel = get_bool(dac, "relabel");
        if (get_int(dac, "uid", 0, UINT32_MAX - 1, &v) < 0)
                return bad(reterr, "'dac.uid'");
        s->uid = v;
        if (get_int(dac, "gid", 0, UINT32_MAX - 1, &v) < 0)
                return bad(reterr, "'dac.gid'");
        s->gid = v;

        records = get_array(o, "records");
        if (!records || json_array_get_length(records) > STATE_RECORDS_MAX)
                return bad(reterr, "'records'");
        for (guint i = 0; i < json_array_get_length(records); i++) {
                JsonNode *n = json_array_get_element(records, i);
                JsonObject *ro = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
                const char *path;
                int model;

                if (!ro)
                        return bad(reterr, "a record");
                model = vk_security_model_from_string(
                        vk_json_object_get_string_member_or_null(ro, "model"));
                path = vk_json_object_get_string_member_or_null(ro, "path");
                if ((model != VK_SECURITY_MODEL_DAC && model != VK_SECURITY_MODEL_SELINUX) ||
                    !path || path[0] != '/')
                        return bad(reterr, "a record");
                security_record_add(s, model, path,
                                    vk_json_object_get_string_member_or_null(ro, "orig"),
                                    get_bool(ro, "remembered"));
        }

        *ret_state = g_steal_pointer(&s);
        return 0;
}

/*
 * The labels assigned to @state, one per driver in stack order (MAC first, DAC last), for the
 * live configuration. Fills @ret (the caller frees with vk_security_live_labels_done()) and
 * returns how many.
 */
size_t vk_security_state_live_labels(const VkSecurityState *state,
                                     VkSecurityLiveLabel ret[static 2]) {
        const VkSecurityState *s = state;
        size_t n = 0;

        assert(state);

        if (g_strcmp0(s->mac_model, "selinux") == 0)
                ret[n++] =
                        (VkSecurityLiveLabel){ VK_SECURITY_MODEL_SELINUX, s->se_type, s->se_relabel,
                                               g_strdup(s->se_label), g_strdup(s->se_imagelabel) };
        else if (g_strcmp0(s->mac_model, "apparmor") == 0)
                ret[n++] = (VkSecurityLiveLabel){ VK_SECURITY_MODEL_APPARMOR, s->aa_type,
                                                  s->aa_generate, g_strdup(s->aa_profile),
                                                  g_strdup(s->aa_profile) };
        ret[n++] = (VkSecurityLiveLabel){ VK_SECURITY_MODEL_DAC, s->dac_type, s->dac_relabel,
                                          vk_security_dac_format_label(s->uid, s->gid),
                                          vk_security_dac_format_label(s->uid, s->gid) };
        for (size_t i = 0; i < n; i++)
                if (ret[i].type == VK_SECURITY_LABEL_NONE) {
                        g_clear_pointer(&ret[i].label, g_free);
                        g_clear_pointer(&ret[i].imagelabel, g_free);
                }
        return n;
}

/* Free the strings of @labels (@n of them) and clear them. */
void vk_security_live_labels_done(VkSecurityLiveLabel *labels, size_t n) {
        for (size_t i = 0; labels && i < n; i++) {
                g_clear_pointer(&labels[i].label, g_free);
                g_clear_pointer(&labels[i].imagelabel, g_free);
        }
}
