/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-obj.c: the domain list: indexes, persistent configs, autostart, state */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-domain-obj.h"

/*
 * On disk (paths->config_dir):
 *   <name>.xml                 the persistent definition, written atomically (0600)
 *   autostart/<name>.xml       a symlink to ../<name>.xml while autostart is on
 * Running domains have no files here: their status lives in the run dir (qemu-process.c).
 */

struct VkDomainList {
        char *config_dir;
        char *autostart_dir;
        GHashTable *by_name; /* name → VkDomainObj (the list's reference) */
        GHashTable *by_uuid; /* uuid string → VkDomainObj (borrowed) */
        GHashTable *by_id;   /* id → VkDomainObj (borrowed) */
        int last_id;
};

static const char *const domain_state_table[_VK_DOMAIN_STATE_MAX] = {
        [VK_DOMAIN_STATE_NOSTATE] = "nostate",   [VK_DOMAIN_STATE_RUNNING] = "running",
        [VK_DOMAIN_STATE_BLOCKED] = "blocked",   [VK_DOMAIN_STATE_PAUSED] = "paused",
        [VK_DOMAIN_STATE_SHUTDOWN] = "shutdown", [VK_DOMAIN_STATE_SHUTOFF] = "shutoff",
        [VK_DOMAIN_STATE_CRASHED] = "crashed",   [VK_DOMAIN_STATE_PMSUSPENDED] = "pmsuspended",
};

static const char *const domain_reason_table[_VK_DOMAIN_REASON_MAX] = {
        [VK_DOMAIN_REASON_UNKNOWN] = "unknown",         [VK_DOMAIN_REASON_BOOTED] = "booted",
        [VK_DOMAIN_REASON_UNPAUSED] = "unpaused",       [VK_DOMAIN_REASON_USER] = "user",
        [VK_DOMAIN_REASON_STARTING_UP] = "starting-up", [VK_DOMAIN_REASON_SHUTDOWN] = "shutdown",
        [VK_DOMAIN_REASON_DESTROYED] = "destroyed",     [VK_DOMAIN_REASON_CRASHED] = "crashed",
        [VK_DOMAIN_REASON_FAILED] = "failed",           [VK_DOMAIN_REASON_RESET] = "reset",
        [VK_DOMAIN_REASON_IOERROR] = "ioerror",         [VK_DOMAIN_REASON_WATCHDOG] = "watchdog",
};

static int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}

/* The wire name of @s ("running", "shutoff", ...), or NULL when out of range. */
const char *vk_domain_state_to_string(VkDomainState s) {
        return s >= 0 && s < _VK_DOMAIN_STATE_MAX ? domain_state_table[s] : NULL;
}

/* The state named @s, or _VK_DOMAIN_STATE_INVALID. */
VkDomainState vk_domain_state_from_string(const char *s) {
        return table_lookup(domain_state_table, _VK_DOMAIN_STATE_MAX, s);
}

/* The wire name of @r ("booted", "destroyed", ...), or NULL when out of range. */
const char *vk_domain_reason_to_string(VkDomainReason r) {
        return r >= 0 && r < _VK_DOMAIN_REASON_MAX ? domain_reason_table[r] : NULL;
}

/* The reason named @s, or _VK_DOMAIN_REASON_INVALID. */
VkDomainReason vk_domain_reason_from_string(const char *s) {
        return table_lookup(domain_reason_table, _VK_DOMAIN_REASON_MAX, s);
}

/* ---- objects ---- */

static VkDomainObj *domain_obj_new(VkDomainDef *def) {
        VkDomainObj *obj = g_new0(VkDomainObj, 1);

        obj->n_ref = 1;
        obj->def = def;
        obj->name = g_strdup(def->name);
        obj->uuid = def->uuid;
        vk_uuid_format(&obj->uuid, obj->uuid_str);
        obj->id = -1;
        obj->state = VK_DOMAIN_STATE_SHUTOFF;
        obj->reason = VK_DOMAIN_REASON_UNKNOWN;
        g_queue_init(&obj->waiting);
        return obj;
}

/* Take a reference on @obj (NULL is fine). */
VkDomainObj *vk_domain_obj_ref(VkDomainObj *obj) {
        if (obj)
                obj->n_ref++;
        return obj;
}

/*
 * Drop a reference; the last one frees the object. By then the process and the jobs are gone
 * (they hold references), so only the definitions are left to free.
 */
VkDomainObj *vk_domain_obj_unref(VkDomainObj *obj) {
        if (!obj)
                return NULL;
        assert(obj->n_ref > 0);
        if (--obj->n_ref > 0)
                return NULL;
        assert(!obj->process);
        assert(!obj->job);
        assert(g_queue_is_empty(&obj->waiting));
        vk_domain_def_free(obj->def);
        vk_domain_def_free(obj->live);
        g_free(obj->name);
        g_free(obj);
        return NULL;
}

/* True while a QEMU process belongs to the domain (running, paused, starting). */
bool vk_domain_obj_is_active(const VkDomainObj *obj) {
        return obj->id > 0;
}

/* Record the new state and why. */
void vk_domain_obj_set_state(VkDomainObj *obj, VkDomainState state, VkDomainReason reason) {
        obj->state = state;
        obj->reason = reason;
}

static void domain_obj_unref_void(gpointer obj) {
        vk_domain_obj_unref(obj);
}

/* ---- the list ---- */

/*
 * Create an empty list whose persistent configs live in @config_dir (created when missing,
 * as is its autostart/ subdirectory). Nothing is read: see vk_domain_list_load().
 */
int vk_domain_list_new(const char *config_dir, VkDomainList **ret, VkError *reterr) {
        g_autoptr(VkDomainList) list = g_new0(VkDomainList, 1);
        int r;

        assert(config_dir);
        assert(ret);

        list->config_dir = g_strdup(config_dir);
        list->autostart_dir = g_build_filename(config_dir, "autostart", NULL);
        list->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, domain_obj_unref_void);
        list->by_uuid = g_hash_table_new(g_str_hash, g_str_equal);
        list->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);

        r = vk_mkdir_p(list->autostart_dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", list->autostart_dir);

        *ret = g_steal_pointer(&list);
        return 0;
}

static void domain_list_unlink(VkDomainList *list, VkDomainObj *obj) {
        if (obj->id > 0)
                g_hash_table_remove(list->by_id, GINT_TO_POINTER(obj->id));
        g_hash_table_remove(list->by_uuid, obj->uuid_str);
        obj->list = NULL;
}

/* Free the list and drop its references on the domains (takes NULL, returns NULL). */
VkDomainList *vk_domain_list_free(VkDomainList *list) {
        GHashTableIter it;
        gpointer v;

        if (!list)
                return NULL;
        g_hash_table_iter_init(&it, list->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v))
                domain_list_unlink(list, v);
        g_hash_table_unref(list->by_name);
        g_hash_table_unref(list->by_uuid);
        g_hash_table_unref(list->by_id);
        g_free(list->config_dir);
        g_free(list->autostart_dir);
        g_free(list);
        return NULL;
}

static char *domain_list_config_path(VkDomainList *list, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(list->config_dir, file, NULL);
}

static char *domain_list_autostart_path(VkDomainList *list, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(list->autostart_dir, file, NULL);
}

static void domain_list_insert(VkDomainList *list, VkDomainObj *obj) {
        obj->list = list;
        g_hash_table_insert(list->by_name, obj->name, obj);
        g_hash_table_insert(list->by_uuid, obj->uuid_str, obj);
        if (obj->id > 0)
                g_hash_table_insert(list->by_id, GINT_TO_POINTER(obj->id), obj);
}

/* File names come from domain names: refuse what would leave the directory or hide. */
int vk_domain_name_check(const char *name, VkError *reterr) {
        if (vk_isempty(name) || name[0] == '.' || strchr(name, '/'))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/domain/name: '%s' cannot be used as a domain name",
                                    vk_strempty(name));
        return 0;
}

/* Name and UUID must either both be new, or both name the same domain. */
static int domain_list_check_clash(VkDomainList *list, const VkDomainDef *def,
                                   VkDomainObj **ret_existing, VkError *reterr) {
        VkDomainObj *by_name = vk_domain_list_find_by_name(list, def->name);
        VkDomainObj *by_uuid = vk_domain_list_find_by_uuid(list, &def->uuid);
        char uuid[VK_UUID_STRING_MAX];

        if (by_name && by_name != by_uuid)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "domain '%s' already exists with uuid %s", def->name,
                                    by_name->uuid_str);
        if (by_uuid && by_uuid != by_name)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "domain '%s' already exists with uuid %s (a domain cannot "
                                    "be renamed by defining it)",
                                    by_uuid->name, vk_uuid_format(&def->uuid, uuid));
        *ret_existing = by_name;
        return 0;
}

static int domain_list_save(VkDomainList *list, const VkDomainDef *def, VkError *reterr) {
        g_autofree char *xml = NULL;
        g_autofree char *path = domain_list_config_path(list, def->name);
        int r;

        /* with secrets (graphics passwords): the file is 0600, and a restart must keep them */
        r = vk_domain_def_format_checked(def, VK_DOMAIN_DEF_FORMAT_SECURE, "the config file", &xml,
                                         reterr);
        if (r < 0)
                return r;
        return vk_atomic_file_write(path, xml, strlen(xml), 0600, reterr);
}

/*
 * Read every <name>.xml of the config directory. A file that does not parse, or whose name or
 * UUID clashes with one already loaded, is skipped (logged as a warning): one bad file must not
 * keep the daemon from serving the others. Returns the number of domains loaded.
 */
int vk_domain_list_load(VkDomainList *list, VkError *reterr) {
        g_autoptr(GDir) dir = NULL;
        g_autoptr(GError) gerr = NULL;
        const char *entry;
        int n = 0;

        dir = g_dir_open(list->config_dir, 0, &gerr);
        if (!dir)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO, "Failed to read '%s': %s",
                                    list->config_dir, gerr->message);

        while ((entry = g_dir_read_name(dir))) {
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autoptr(VkDomainDef) def = NULL;
                g_autofree char *path = NULL;
                g_autofree char *autostart = NULL;
                VkDomainObj *existing = NULL, *obj;
                struct stat st;

                if (!g_str_has_suffix(entry, ".xml") || entry[0] == '.')
                        continue;
                path = g_build_filename(list->config_dir, entry, NULL);
                if (vk_domain_def_parse_file(path, /* flags= */ 0, &def, &err) < 0) {
                        /* a domain the user defined is not there: say so */
                        vk_log_warning("Ignoring '%s': %s", path, err.message);
                        continue;
                }
                if (strlen(entry) != strlen(def->name) + 4 ||
                    strncmp(entry, def->name, strlen(def->name)) != 0) {
                        vk_log_warning("Ignoring '%s': it defines domain '%s'", path, def->name);
                        continue;
                }
                if (domain_list_check_clash(list, def, &existing, &err) < 0 || existing) {
                        vk_log_warning("Ignoring '%s': %s", path,
                                       err.message ? err.message : "defined twice");
                        continue;
                }
                if (g_hash_table_size(list->by_name) >= VK_DOMAIN_LIST_MAX)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "more than %d domains in '%s'", VK_DOMAIN_LIST_MAX,
                                            list->config_dir);

                obj = domain_obj_new(g_steal_pointer(&def));
                obj->persistent = true;
                autostart = domain_list_autostart_path(list, obj->name);
                obj->autostart = stat(autostart, &st) == 0;
                domain_list_insert(list, obj);
                n++;
        }
        return n;
}

/*
 * Define (or redefine) a persistent domain from @xml and write its config. A new name and
 * UUID add a domain; the name and UUID of an existing one replace its definition (a running
 * domain keeps its live definition until it stops). Errors: InvalidXML from the parser (with
 * the element path), OperationInvalid when the name or UUID belongs to another domain,
 * LimitExceeded. On success *@ret_obj (may be NULL) borrows the domain.
 */
int vk_domain_list_define(VkDomainList *list, const char *xml, VkDomainObj **ret_obj,
                          VkError *reterr) {
        VkDomainDef *def = NULL;
        int r;

        assert(list);
        assert(xml);

        r = vk_domain_def_parse_string(xml, /* flags= */ 0, &def, reterr);
        if (r < 0)
                return r;
        return vk_domain_list_define_def(list, def, ret_obj, reterr);
}

/* vk_domain_list_define() of the parsed @def (taken, also on failure). */
int vk_domain_list_define_def(VkDomainList *list, VkDomainDef *def_, VkDomainObj **ret_obj,
                              VkError *reterr) {
        g_autoptr(VkDomainDef) def = def_;
        VkDomainObj *obj = NULL;
        int r;

        assert(list);
        assert(def);

        r = vk_domain_name_check(def->name, reterr);
        if (r < 0)
                return r;
        r = domain_list_check_clash(list, def, &obj, reterr);
        if (r < 0)
                return r;
        if (!obj && g_hash_table_size(list->by_name) >= VK_DOMAIN_LIST_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "cannot define domain '%s': already %d domains", def->name,
                                    VK_DOMAIN_LIST_MAX);

        r = domain_list_save(list, def, reterr);
        if (r < 0)
                return r;

        if (obj) {
                vk_domain_def_free(obj->def);
                obj->def = g_steal_pointer(&def);
        } else {
                obj = domain_obj_new(g_steal_pointer(&def));
                domain_list_insert(list, obj);
        }
        obj->persistent = true;
        if (ret_obj)
                *ret_obj = obj;
        return 0;
}

/*
 * Add a transient domain for @def (ownership moves to the list on success). Fails with
 * OperationInvalid when the name or UUID is taken. *@ret_obj (may be NULL) borrows it.
 */
int vk_domain_list_add_transient(VkDomainList *list, VkDomainDef *def, VkDomainObj **ret_obj,
                                 VkError *reterr) {
        VkDomainObj *existing = NULL, *obj;
        int r;

        r = vk_domain_name_check(def->name, reterr);
        if (r < 0)
                return r;
        r = domain_list_check_clash(list, def, &existing, reterr);
        if (r < 0)
                return r;
        if (existing)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "domain '%s' already exists", def->name);
        if (g_hash_table_size(list->by_name) >= VK_DOMAIN_LIST_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "cannot create domain '%s': already %d domains", def->name,
                                    VK_DOMAIN_LIST_MAX);
        obj = domain_obj_new(def);
        domain_list_insert(list, obj);
        if (ret_obj)
                *ret_obj = obj;
        return 0;
}

/*
 * Remove the persistent config and autostart link of @obj. A shut off domain leaves the list
 * (the caller's references stay valid); a running one becomes transient. Returns 1 when the
 * domain left the list, 0 when it stays as a transient one.
 */
int vk_domain_list_undefine(VkDomainList *list, VkDomainObj *obj, VkError *reterr) {
        g_autofree char *path = NULL;
        g_autofree char *autostart = NULL;
        int r;

        if (!obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain '%s' is transient: it cannot be undefined", obj->name);

        autostart = domain_list_autostart_path(list, obj->name);
        r = vk_file_remove(autostart);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", autostart);
        path = domain_list_config_path(list, obj->name);
        r = vk_file_remove(path);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", path);

        obj->persistent = false;
        obj->autostart = false;
        if (vk_domain_obj_is_active(obj))
                return 0;
        vk_domain_list_remove(list, obj);
        return 1;
}

/*
 * Make @def (taken) the persistent definition of the persistent @obj, with the same name and
 * UUID: its config file is written first (atomically), so a failure changes nothing.
 */
int vk_domain_list_replace_config(VkDomainList *list, VkDomainObj *obj, VkDomainDef *def,
                                  VkError *reterr) {
        g_autoptr(VkDomainDef) owned = def;
        int r;

        assert(strcmp(def->name, obj->name) == 0);
        if (!obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "transient domains do not have any persistent config");
        r = domain_list_save(list, def, reterr);
        if (r < 0)
                return r;
        vk_domain_def_free(obj->def);
        obj->def = g_steal_pointer(&owned);
        return 0;
}

/*
 * Rename the persistent, shut off @obj to @new_name, with @def (taken: a copy of its
 * definition under the new name). The config file (and the autostart link) under the new name
 * are written first, the old ones removed after: a failure leaves the domain as it was. Errors:
 * OperationInvalid for a transient or running domain or a name in use, InvalidXML for a name
 * that cannot be a file name.
 */
int vk_domain_list_rename(VkDomainList *list, VkDomainObj *obj, VkDomainDef *def, VkError *reterr) {
        g_autoptr(VkDomainDef) owned = def;
        g_autofree char *old_path = domain_list_config_path(list, obj->name);
        g_autofree char *old_link = domain_list_autostart_path(list, obj->name);
        g_autofree char *new_path = NULL, *new_link = NULL, *target = NULL;
        int r;

        if (!obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "cannot rename a transient domain");
        if (vk_domain_obj_is_active(obj))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "cannot rename active domain");
        r = vk_domain_name_check(def->name, reterr);
        if (r < 0)
                return r;
        if (strcmp(def->name, obj->name) == 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "cannot rename domain '%s' to its own name", obj->name);
        if (vk_domain_list_find_by_name(list, def->name))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "domain with name '%s' already exists", def->name);

        new_path = domain_list_config_path(list, def->name);
        r = domain_list_save(list, def, reterr);
        if (r < 0)
                return r;
        if (obj->autostart) {
                new_link = domain_list_autostart_path(list, def->name);
                target = g_strdup_printf("../%s.xml", def->name);
                (void) vk_file_remove(new_link);
                if (symlink(target, new_link) < 0) {
                        r = vk_error_set_errno(reterr, errno, "Failed to create '%s'", new_link);
                        (void) vk_file_remove(new_path);
                        return r;
                }
        }
        r = vk_file_remove(old_path);
        if (r < 0) {
                if (new_link)
                        (void) vk_file_remove(new_link);
                (void) vk_file_remove(new_path);
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", old_path);
        }
        if (obj->autostart && vk_file_remove(old_link) < 0)
                vk_log_debug("Failed to remove '%s', ignoring", old_link);

        /* the name index holds the list's reference under the old name */
        g_hash_table_steal(list->by_name, obj->name);
        g_free(obj->name);
        obj->name = g_strdup(def->name);
        vk_domain_def_free(obj->def);
        obj->def = g_steal_pointer(&owned);
        g_hash_table_insert(list->by_name, obj->name, obj);
        return 0;
}

/* Drop @obj from the list (a transient domain that stopped, an undefined one). */
void vk_domain_list_remove(VkDomainList *list, VkDomainObj *obj) {
        if (obj->list != list)
                return;
        domain_list_unlink(list, obj);
        g_hash_table_remove(list->by_name, obj->name); /* drops the list's reference */
}

/*
 * Turn autostart of the persistent domain @obj on or off: a symlink
 * autostart/<name>.xml → ../<name>.xml. Idempotent.
 */
int vk_domain_list_set_autostart(VkDomainList *list, VkDomainObj *obj, bool enabled,
                                 VkError *reterr) {
        g_autofree char *link = domain_list_autostart_path(list, obj->name);
        g_autofree char *target = NULL;
        int r;

        if (!obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain '%s' is transient: autostart needs a persistent "
                                    "domain",
                                    obj->name);
        if (!enabled) {
                r = vk_file_remove(link);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to remove '%s'", link);
                obj->autostart = false;
                return 0;
        }
        target = g_strdup_printf("../%s.xml", obj->name);
        (void) vk_file_remove(link);
        if (symlink(target, link) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create '%s'", link);
        obj->autostart = true;
        return 0;
}

/* The domain named @name, borrowed, or NULL. */
VkDomainObj *vk_domain_list_find_by_name(VkDomainList *list, const char *name) {
        return name ? g_hash_table_lookup(list->by_name, name) : NULL;
}

/* The domain with @uuid, borrowed, or NULL. */
VkDomainObj *vk_domain_list_find_by_uuid(VkDomainList *list, const VkUuid *uuid) {
        char s[VK_UUID_STRING_MAX];

        return g_hash_table_lookup(list->by_uuid, vk_uuid_format(uuid, s));
}

/* The running domain with @id, borrowed, or NULL. */
VkDomainObj *vk_domain_list_find_by_id(VkDomainList *list, int id) {
        return id > 0 ? g_hash_table_lookup(list->by_id, GINT_TO_POINTER(id)) : NULL;
}

/*
 * Find the domain named by @domain: a UUID (dashed or not) or a name. Fails with NoSuchDomain
 * (error parameter "domain") naming what was asked for. *@ret_obj borrows the domain.
 */
int vk_domain_list_lookup(VkDomainList *list, const char *domain, VkDomainObj **ret_obj,
                          VkError *reterr) {
        VkDomainObj *obj = NULL;
        VkUuid uuid;
        int r;

        if (!vk_isempty(domain)) {
                obj = vk_domain_list_find_by_name(list, domain);
                if (!obj && vk_uuid_parse(domain, &uuid) >= 0)
                        obj = vk_domain_list_find_by_uuid(list, &uuid);
        }
        if (!obj) {
                r = vk_error_set(reterr, "NoSuchDomain", -ENOENT,
                                 "no domain with matching name or uuid '%s'", vk_strempty(domain));
                if (reterr)
                        vk_error_add_param(reterr, "domain", vk_strempty(domain));
                return r;
        }
        *ret_obj = obj;
        return 0;
}

/* Give the running domain @obj the id @id (-1: none), keeping the id index in step. */
int vk_domain_list_set_id(VkDomainList *list, VkDomainObj *obj, int id) {
        if (id > 0 && g_hash_table_contains(list->by_id, GINT_TO_POINTER(id)))
                return -EEXIST;
        if (obj->id > 0 && obj->list == list)
                g_hash_table_remove(list->by_id, GINT_TO_POINTER(obj->id));
        obj->id = id;
        if (id > 0 && obj->list == list) {
                g_hash_table_insert(list->by_id, GINT_TO_POINTER(id), obj);
                if (id > list->last_id)
                        list->last_id = id;
        }
        return 0;
}

/* A new domain id: one more than any given out so far (ids of reconnected domains count). */
int vk_domain_list_next_id(VkDomainList *list) {
        do {
                if (list->last_id == G_MAXINT)
                        list->last_id = 0;
                list->last_id++;
        } while (g_hash_table_contains(list->by_id, GINT_TO_POINTER(list->last_id)));
        return list->last_id;
}

static gint domain_obj_compare(gconstpointer a, gconstpointer b) {
        const VkDomainObj *x = *(VkDomainObj *const *) a, *y = *(VkDomainObj *const *) b;
        return strcmp(x->name, y->name);
}

/* Every domain, sorted by name, each with a reference (the array unrefs them). */
GPtrArray *vk_domain_list_get_all(VkDomainList *list) {
        GPtrArray *a =
                g_ptr_array_new_full(g_hash_table_size(list->by_name), domain_obj_unref_void);
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, list->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v))
                g_ptr_array_add(a, vk_domain_obj_ref(v));
        g_ptr_array_sort(a, domain_obj_compare);
        return a;
}

/* How many domains the list holds. */
size_t vk_domain_list_count(VkDomainList *list) {
        return g_hash_table_size(list->by_name);
}

/* How many of them run. */
size_t vk_domain_list_count_active(VkDomainList *list) {
        return g_hash_table_size(list->by_id);
}
