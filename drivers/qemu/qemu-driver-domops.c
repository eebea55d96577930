/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-domops.c: a domain's name and metadata: rename, title, description, elements */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "qemu-driver-internal.h"
#include "qemu-firmware.h"
#include "qemu-nvram.h"
#include "xml.h"
#include "xml-metadata.h"

static const char *const metadata_type_names[_VK_QEMU_METADATA_MAX] = {
        [VK_QEMU_METADATA_DESCRIPTION] = "description",
        [VK_QEMU_METADATA_TITLE] = "title",
        [VK_QEMU_METADATA_ELEMENT] = "element",
};

/* "description", "title", "element", or NULL when out of range. */
const char *vk_qemu_metadata_type_to_string(VkQemuMetadataType t) {
        return t >= 0 && t < _VK_QEMU_METADATA_MAX ? metadata_type_names[t] : NULL;
}

/* The type named @s, or _VK_QEMU_METADATA_INVALID. */
VkQemuMetadataType vk_qemu_metadata_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_QEMU_METADATA_MAX; i++)
                if (strcmp(metadata_type_names[i], s) == 0)
                        return i;
        return _VK_QEMU_METADATA_INVALID;
}

/* ---- rename ---- */

/*
 * The UEFI variable store of @obj when it is at the default path of its name (NAME_VARS.fd in
 * the instance's nvram dir, as libvirt): that one moves with a rename, to *@ret_new. 0: none
 * to move (no store, or one the user named).
 */
static int rename_nvram_paths(VkQemuDriver *drv, VkDomainObj *obj, const char *new_name,
                              char **ret_old, char **ret_new) {
        g_autofree char *dir = g_build_filename(drv->paths->lib_dir, "nvram", NULL);
        g_autofree char *path = vk_qemu_nvram_path(obj->def, dir);
        g_autofree char *dflt = vk_qemu_firmware_nvram_path(dir, obj->name);

        if (!path || strcmp(path, dflt) != 0)
                return 0;
        *ret_old = g_steal_pointer(&path);
        *ret_new = vk_qemu_firmware_nvram_path(dir, new_name);
        return 1;
}

/*
 * Rename the persistent, shut off @domain to @new_name, as libvirt's virDomainRename: its
 * config file and autostart link go to the new name, and its UEFI variable store too when it
 * is at the default path of the old name; the UUID (and so the D-Bus objects) stay. Emits
 * "undefined" (detail "renamed") under the old name, then "defined" ("renamed") under the new.
 * A failure leaves the domain, its files and its store as they were.
 */
int vk_qemu_driver_rename(VkQemuDriver *drv, const char *domain, const char *new_name,
                          VkError *reterr) {
        g_autoptr(VkDomainObj) obj = NULL;
        g_autoptr(VkDomainDef) def = NULL;
        g_autofree char *old_name = NULL, *old_nvram = NULL, *new_nvram = NULL;
        VkDomainObj *found;
        bool moved = false;
        int r;

        if (vk_isempty(new_name))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "new domain name must not be empty");
        r = vk_domain_name_check(new_name, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_lookup(drv->domains, domain, &found, reterr);
        if (r < 0)
                return r;
        obj = vk_domain_obj_ref(found);
        if (!obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "cannot rename a transient domain");
        if (vk_domain_obj_is_active(obj) || obj->job)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "cannot rename active domain");
        if (strcmp(obj->name, new_name) != 0 && vk_domain_list_find_by_name(drv->domains, new_name))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "domain with name '%s' already exists", new_name);

        def = vk_domain_def_copy(obj->def);
        g_free(def->name);
        def->name = g_strdup(new_name);
        if (strcmp(obj->name, new_name) != 0 &&
            rename_nvram_paths(drv, obj, new_name, &old_nvram, &new_nvram) > 0) {
                if (def->nvram_path) { /* written out: follows the name */
                        g_free(def->nvram_path);
                        def->nvram_path = g_strdup(new_nvram);
                }
                if (access(old_nvram, F_OK) == 0) {
                        if (renameat2(AT_FDCWD, old_nvram, AT_FDCWD, new_nvram, RENAME_NOREPLACE) <
                            0)
                                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -errno,
                                                    "cannot rename NVRAM '%s' to '%s': %s",
                                                    old_nvram, new_nvram, g_strerror(errno));
                        moved = true;
                }
        }
        old_name = g_strdup(obj->name);
        r = vk_domain_list_rename(drv->domains, obj, g_steal_pointer(&def), reterr);
        if (r < 0) {
                if (moved && rename(new_nvram, old_nvram) < 0)
                        vk_log_debug("Failed to move NVRAM '%s' back to '%s': %m", new_nvram,
                                     old_nvram);
                return r;
        }
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){ .event = "undefined",
                                                     .detail = "renamed",
                                                     .name = old_name });
        qemu_driver_emit(drv, obj, "defined", "renamed");
        return 0;
}

/* ---- metadata ---- */

/*
 * The definition a call with @flags (VkQemuAffectFlags; 0: the live one of a running domain,
 * else the persistent one) is about, as libvirt decides it (metadata, pins). @set: both may be
 * given. *@ret_live and *@ret_config: whether to read or change obj->live and obj->def.
 */
int qemu_driver_affect_defs(VkDomainObj *obj, unsigned flags, bool set, bool *ret_live,
                            bool *ret_config, VkError *reterr) {
        bool active = vk_domain_obj_is_active(obj) && obj->live;

        if (flags & ~(unsigned) (VK_QEMU_AFFECT_LIVE | VK_QEMU_AFFECT_CONFIG))
                return vk_error_set(
                        reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unsupported flags (0x%x)",
                        flags & ~(unsigned) (VK_QEMU_AFFECT_LIVE | VK_QEMU_AFFECT_CONFIG));
        if (!set && (flags & VK_QEMU_AFFECT_LIVE) && (flags & VK_QEMU_AFFECT_CONFIG))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Flags 'VIR_DOMAIN_AFFECT_LIVE' and "
                                    "'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
        if (!(flags & (VK_QEMU_AFFECT_LIVE | VK_QEMU_AFFECT_CONFIG)))
                flags = active ? VK_QEMU_AFFECT_LIVE : VK_QEMU_AFFECT_CONFIG;
        if ((flags & VK_QEMU_AFFECT_LIVE) && !active)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain is not running");
        if ((flags & VK_QEMU_AFFECT_CONFIG) && !obj->persistent)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "transient domains do not have any persistent config");
        *ret_live = flags & VK_QEMU_AFFECT_LIVE;
        *ret_config = flags & VK_QEMU_AFFECT_CONFIG;
        return 0;
}

static int metadata_check_uri(VkQemuMetadataType type, const char *uri, VkError *reterr) {
        if (type < 0 || type >= _VK_QEMU_METADATA_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "unknown metadata type %d", (int) type);
        if (type == VK_QEMU_METADATA_ELEMENT && vk_isempty(uri))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "metadata element: a namespace URI is required");
        if (type != VK_QEMU_METADATA_ELEMENT && !vk_isempty(uri))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "a namespace URI is only for the metadata element type");
        return 0;
}

/* The definition of @domain a query with @flags (VkQemuAffectFlags) reads; borrowed. */
int qemu_driver_query_def(VkQemuDriver *drv, const char *domain, unsigned flags,
                          const VkDomainDef **ret, VkError *reterr) {
        VkDomainObj *obj;
        bool live = false, config = false;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = qemu_driver_affect_defs(obj, flags, false, &live, &config, reterr);
        if (r < 0)
                return r;
        *ret = live ? obj->live : obj->def;
        return 0;
}

/*
 * The @type metadata of @domain, as libvirt's virDomainGetMetadata: <description>, <title>,
 * or the element of namespace @uri in <metadata> (text with its namespace declaration), of the
 * live definition or the persistent one (@flags, VkQemuAffectFlags). NoDomainMetadata when
 * there is none. *@ret is a new string.
 */
int vk_qemu_driver_get_metadata(VkQemuDriver *drv, const char *domain, VkQemuMetadataType type,
                                const char *uri, unsigned flags, char **ret, VkError *reterr) {
        const VkDomainDef *def;
        const char *value = NULL;
        int r;

        r = metadata_check_uri(type, uri, reterr);
        if (r < 0)
                return r;
        r = qemu_driver_query_def(drv, domain, flags, &def, reterr);
        if (r < 0)
                return r;
        if (type == VK_QEMU_METADATA_DESCRIPTION)
                value = def->description;
        else if (type == VK_QEMU_METADATA_TITLE)
                value = def->title;
        else
                value = vk_xml_metadata_find(def->metadata, uri);
        if (!value)
                return vk_error_set(reterr, "NoDomainMetadata", -ENOENT,
                                    "Requested metadata element is not present");
        *ret = g_strdup(value);
        return 0;
}

static void metadata_fields_done(VkDomainDef *fields) {
        g_free(fields->title);
        g_free(fields->description);
        g_strfreev(fields->metadata);
}

/* Change @type of @def (see vk_qemu_driver_set_metadata()). */
static int metadata_apply(VkDomainDef *def, VkQemuMetadataType type, const char *metadata,
                          const char *key, const char *uri, VkError *reterr) {
        char **field = type == VK_QEMU_METADATA_TITLE ? &def->title : &def->description;

        if (type == VK_QEMU_METADATA_ELEMENT)
                return vk_xml_metadata_set(&def->metadata, metadata, key, uri,
                                           VK_DOMAIN_METADATA_MAX, reterr);
        g_free(*field);
        *field = vk_isempty(metadata) ? NULL : g_strdup(metadata);
        return 0;
}

/*
 * Set the @type metadata of @domain, as libvirt's virDomainSetMetadata: <description> or
 * <title> (one line) to @metadata (NULL or "": removed), or the element of namespace @uri in
 * <metadata> to @metadata (one element, put into @uri with prefix @key; NULL: removed), in the
 * live definition, the persistent one or both (@flags, VkQemuAffectFlags; 0: the live one of a
 * running domain, else the persistent one). The persistent config is written first; a failure
 * changes nothing. Emits "metadata-change" (detail: the type, uri: @uri of an element).
 */
int vk_qemu_driver_set_metadata(VkQemuDriver *drv, const char *domain, VkQemuMetadataType type,
                                const char *metadata, const char *key, const char *uri,
                                unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainDef) persistent = NULL;
        VkDomainDef fields = {}; /* the live definition's metadata, changed on copies */
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainObj *obj;
        bool live, config;
        size_t bad = 0;
        int r;

        r = metadata_check_uri(type, uri, reterr);
        if (r < 0)
                return r;
        if (type != VK_QEMU_METADATA_ELEMENT && metadata && !vk_xml_text_valid(metadata, &bad))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: a character XML cannot hold at byte %zu (control "
                                    "characters other than tab and newline, invalid UTF-8)",
                                    vk_qemu_metadata_type_to_string(type), bad);
        if (type == VK_QEMU_METADATA_TITLE && metadata && strpbrk(metadata, "\r\n"))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "title can't contain newlines");
        if (type == VK_QEMU_METADATA_ELEMENT && metadata && vk_isempty(key))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "metadata element: a key (namespace prefix) is required");
        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = qemu_driver_affect_defs(obj, flags, true, &live, &config, reterr);
        if (r < 0)
                return r;

        /* both changed on copies first: an error in either changes neither */
        if (config) {
                persistent = vk_domain_def_copy(obj->def);
                r = metadata_apply(persistent, type, metadata, key, uri, reterr);
                if (r < 0)
                        return r;
        }
        if (live) {
                fields.title = g_strdup(obj->live->title);
                fields.description = g_strdup(obj->live->description);
                fields.metadata = g_strdupv(obj->live->metadata);
                r = metadata_apply(&fields, type, metadata, key, uri, reterr);
                if (r < 0) {
                        metadata_fields_done(&fields);
                        return r;
                }
        }
        if (config) {
                r = vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&persistent),
                                                  reterr);
                if (r < 0) {
                        metadata_fields_done(&fields);
                        return r;
                }
        }
        if (live) {
                VkDomainDef *l = obj->live;

                /* the new strings in, the old ones out to be freed */
                char *title = l->title, *description = l->description, **items = l->metadata;

                l->title = fields.title;
                l->description = fields.description;
                l->metadata = fields.metadata;
                fields = (VkDomainDef){ .title = title,
                                        .description = description,
                                        .metadata = items };
                metadata_fields_done(&fields);
                if (obj->process && vk_qemu_process_write_status(
                                            obj->process, l, vk_domain_state_to_string(obj->state),
                                            vk_domain_reason_to_string(obj->reason), &err) < 0)
                        vk_log_debug("Failed to write the status of domain '%s': %s", obj->name,
                                     err.message);
        }
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){
                                       .event = "metadata-change",
                                       .detail = vk_qemu_metadata_type_to_string(type),
                                       .uri = type == VK_QEMU_METADATA_ELEMENT ? uri : NULL,
                               });
        return 0;
}
