/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-domains.c: definitions and queries: define, undefine, list, look up, XML, info,
 * autostart */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "qemu-driver-internal.h"
#include "qemu-nvram.h"

/* A define waiting for its emulator's capabilities. */
typedef struct DefineOp {
        VkDomainDef *def;
        VkQemuDriverDoneFunc done;
        void *userdata;
} DefineOp;

/*
 * What libvirt completes at define from the emulator's capabilities: the versioned machine.
 * Without them (no such emulator yet) the definition stays as written until its first start.
 */
static void define_on_caps(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                           void *userdata) {
        DefineOp *op = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainObj *obj = NULL;
        size_t before = vk_domain_list_count(drv->domains);

        if (caps)
                (void) qemu_driver_pin_machine(op->def, caps);
        else
                vk_log_debug("domain '%s': machine type left to the first start: %s", op->def->name,
                             error->message);
        if (vk_domain_list_define_def(drv->domains, g_steal_pointer(&op->def), &obj, &err) < 0)
                op->done(drv, NULL, &err, op->userdata);
        else {
                obj->driver = drv;
                qemu_driver_emit(drv, obj, "defined",
                                 vk_domain_list_count(drv->domains) == before ? "updated"
                                                                              : "added");
                op->done(drv, obj->uuid_str, NULL, op->userdata);
        }
        g_free(op);
}

/*
 * Define a persistent domain from @xml (see vk_domain_list_define()), its machine pinned to
 * the emulator's versioned one: once the emulator's capabilities are known (probed on first
 * use, while the loop serves others), the definition is written, "defined" emitted and @done
 * gets the domain's UUID, or the error. An XML error is returned at once.
 */
int vk_qemu_driver_define(VkQemuDriver *drv, const char *xml, VkQemuDriverDoneFunc done,
                          void *userdata, VkError *reterr) {
        g_autoptr(VkDomainDef) def = NULL;
        g_autofree char *binary = NULL;
        DefineOp *op;
        int r;

        r = vk_domain_def_parse_string(xml, /* flags= */ 0, &def, reterr);
        if (r < 0)
                return r;
        binary = def->emulator ? g_strdup(def->emulator) : qemu_driver_default_binary(drv, NULL);
        op = g_new0(DefineOp, 1);
        op->def = g_steal_pointer(&def);
        op->done = done;
        op->userdata = userdata;
        r = qemu_driver_get_caps_or_none(drv, binary, define_on_caps, op, reterr);
        if (r < 0) {
                vk_domain_def_free(op->def);
                g_free(op);
        }
        return r;
}

/*
 * Decide about @obj's UEFI variable store before its config goes, as libvirt 9.0: an existing
 * one refuses a plain undefine; VK_QEMU_UNDEFINE_NVRAM removes it (of a domain that is not
 * running: a running QEMU keeps using it, and it stays), VK_QEMU_UNDEFINE_KEEP_NVRAM keeps it.
 */
static int undefine_nvram(VkQemuDriver *drv, VkDomainObj *obj, unsigned flags, VkError *reterr) {
        bool active = vk_domain_obj_is_active(obj);
        g_autofree char *dir = g_build_filename(drv->paths->lib_dir, "nvram", NULL);
        g_autofree char *path = vk_qemu_nvram_path(active && obj->live ? obj->live : obj->def, dir);

        if (!path || access(path, F_OK) < 0 || (flags & VK_QEMU_UNDEFINE_KEEP_NVRAM))
                return 0;
        if (!(flags & VK_QEMU_UNDEFINE_NVRAM))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "cannot undefine domain with nvram: '%s' of domain '%s' "
                                    "(remove it with the nvram flag, keep it with keep-nvram)",
                                    path, obj->name);
        if (!active && unlink(path) < 0 && errno != ENOENT)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                    "cannot remove nvram '%s' of domain '%s': %s", path, obj->name,
                                    g_strerror(errno));
        return 0;
}

/*
 * The emulated TPM's state of @def (<lib>/swtpm/<uuid>) goes with the domain, as libvirt 9.0
 * removes it (undefine without --keep-tpm, a transient domain that stops).
 */
void qemu_driver_remove_tpm_state(VkQemuDriver *drv, const VkDomainDef *def) {
        g_autofree char *dir = NULL;
        int r;

        for (size_t i = 0; def && i < def->n_tpms; i++) {
                if (def->tpms[i]->backend != VK_TPM_BACKEND_EMULATOR)
                        continue;
                dir = vk_qemu_swtpm_sibling_dir(drv->paths->lib_dir);
                r = vk_qemu_swtpm_state_remove(dir, &def->uuid);
                if (r < 0)
                        vk_log_debug("Failed to remove the TPM state of domain '%s' in '%s', "
                                     "ignoring: %s",
                                     def->name, dir, g_strerror(-r));
                return;
        }
}

/*
 * Remove the persistent config of @domain; a running one goes on as transient. The state of
 * its emulated TPM goes with it (when it stops, for a running one). @flags
 * (VkQemuUndefineFlags) say what happens to an existing UEFI variable store; asking to remove
 * and to keep it is an InvalidArgument error.
 */
int vk_qemu_driver_undefine(VkQemuDriver *drv, const char *domain, unsigned flags,
                            VkError *reterr) {
        g_autoptr(VkDomainObj) obj = NULL;
        VkDomainObj *found;
        int r;

        if ((flags & VK_QEMU_UNDEFINE_NVRAM) && (flags & VK_QEMU_UNDEFINE_KEEP_NVRAM))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "cannot both keep and remove the nvram");
        r = vk_domain_list_lookup(drv->domains, domain, &found, reterr);
        if (r < 0)
                return r;
        obj = vk_domain_obj_ref(found);
        if (obj->persistent) {
                r = undefine_nvram(drv, obj, flags, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_domain_list_undefine(drv->domains, obj, reterr);
        if (r < 0)
                return r;
        if (r > 0) /* not running: gone now */
                qemu_driver_remove_tpm_state(drv, obj->def);
        qemu_driver_emit(drv, obj, "undefined", "removed");
        return 0;
}

static bool list_match(VkDomainObj *obj, unsigned flags) {
        unsigned state = flags & (VK_QEMU_LIST_ACTIVE | VK_QEMU_LIST_INACTIVE);
        unsigned pers = flags & (VK_QEMU_LIST_PERSISTENT | VK_QEMU_LIST_TRANSIENT);

        if (state &&
            !(state & (vk_domain_obj_is_active(obj) ? VK_QEMU_LIST_ACTIVE : VK_QEMU_LIST_INACTIVE)))
                return false;
        if (pers && !(pers & (obj->persistent ? VK_QEMU_LIST_PERSISTENT : VK_QEMU_LIST_TRANSIENT)))
                return false;
        if ((flags & VK_QEMU_LIST_AUTOSTART) && !obj->autostart)
                return false;
        return true;
}

/*
 * The domains matching @flags (VkQemuListFlags: within active/inactive and within
 * persistent/transient no flag means both), sorted by name. *@ret holds a reference on each.
 */
int vk_qemu_driver_list(VkQemuDriver *drv, unsigned flags, GPtrArray **ret) {
        GPtrArray *all = vk_domain_list_get_all(drv->domains);

        for (guint i = all->len; i > 0; i--)
                if (!list_match(all->pdata[i - 1], flags))
                        g_ptr_array_remove_index(all, i - 1); /* keeps the order */
        *ret = all;
        return 0;
}

/* The domain named by @domain (name or UUID), borrowed; NoSuchDomain otherwise. */
int vk_qemu_driver_lookup(VkQemuDriver *drv, const char *domain, VkDomainObj **ret_obj,
                          VkError *reterr) {
        return vk_domain_list_lookup(drv->domains, domain, ret_obj, reterr);
}

/*
 * The domain with @name, @uuid or @id (> 0), exactly one of them given; borrowed.
 * InvalidArgument when none or several are given, NoSuchDomain when nothing matches.
 */
int vk_qemu_driver_lookup_by(VkQemuDriver *drv, const char *name, const char *uuid, int64_t id,
                             VkDomainObj **ret_obj, VkError *reterr) {
        VkDomainObj *obj = NULL;
        g_autofree char *what = NULL;
        VkUuid u;
        int n = !vk_isempty(name) + !vk_isempty(uuid) + (id > 0);
        int r;

        if (n != 1)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "give exactly one of name, uuid and id");
        if (!vk_isempty(name)) {
                obj = vk_domain_list_find_by_name(drv->domains, name);
                what = g_strdup_printf("name '%s'", name);
        } else if (!vk_isempty(uuid)) {
                if (vk_uuid_parse(uuid, &u) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "uuid: invalid value '%s'", uuid);
                obj = vk_domain_list_find_by_uuid(drv->domains, &u);
                what = g_strdup_printf("uuid '%s'", uuid);
        } else {
                obj = id <= G_MAXINT ? vk_domain_list_find_by_id(drv->domains, (int) id) : NULL;
                what = g_strdup_printf("id %" G_GINT64_FORMAT, id);
        }
        if (!obj) {
                r = vk_error_set(reterr, "NoSuchDomain", -ENOENT, "no domain with matching %s",
                                 what);
                if (reterr)
                        vk_error_add_param(reterr, "domain", name ? name : uuid ? uuid : what);
                return r;
        }
        *ret_obj = obj;
        return 0;
}

/*
 * The XML of @domain: the live definition (id, runtime data) while it runs unless
 * VK_QEMU_XML_INACTIVE, the persistent (next boot) one otherwise; secrets only with
 * VK_QEMU_XML_SECURE. *@ret is a new string.
 */
int vk_qemu_driver_get_xml(VkQemuDriver *drv, const char *domain, unsigned flags, char **ret,
                           VkError *reterr) {
        VkDomainObj *obj;
        unsigned fmt = (flags & VK_QEMU_XML_SECURE) ? VK_DOMAIN_DEF_FORMAT_SECURE : 0;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if (obj->live && !(flags & VK_QEMU_XML_INACTIVE))
                return vk_domain_def_format_checked(obj->live, fmt | VK_DOMAIN_DEF_FORMAT_LIVE,
                                                    "the live XML", ret, reterr);
        return vk_domain_def_format(obj->def, fmt, ret, reterr);
}

/* State, reason, memory (KiB), vCPUs and the CPU time QEMU used of @domain. */
int vk_qemu_driver_get_info(VkQemuDriver *drv, const char *domain, VkQemuDomainInfo *ret,
                            VkError *reterr) {
        VkDomainObj *obj;
        const VkDomainDef *def;
        VkQemuDomainInfo info = {};
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        def = obj->live ? obj->live : obj->def;
        info.state = obj->state;
        info.reason = obj->reason;
        info.max_memory_kib = def->memory_kib;
        info.memory_kib =
                obj->live ? (def->current_memory_kib ? def->current_memory_kib : def->memory_kib)
                          : 0;
        info.vcpus = def->vcpus_current ? def->vcpus_current : def->vcpus;
        if (obj->process)
                (void) vk_qemu_process_cpu_time(obj->process, &info.cpu_time_ns);
        *ret = info;
        return 0;
}

/* Turn autostart of the persistent @domain on or off. */
int vk_qemu_driver_set_autostart(VkQemuDriver *drv, const char *domain, bool enabled,
                                 VkError *reterr) {
        VkDomainObj *obj;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_set_autostart(drv->domains, obj, enabled, reterr);
        if (r < 0)
                return r;
        qemu_driver_changed(drv, obj);
        return 0;
}
