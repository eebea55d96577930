/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-storage.c: org.libvirt.StoragePool and StorageVol, backed by virtkit-storaged */
#include <string.h>

#include "daemons/storaged/api-decl.h"
#include "json.h"
#include "libvirt-internal.h"
#include "log.h"
#include "sd-glue.h"

/* virConnectListAllStoragePoolsFlags: states, then one bit per pool type from 1 << 6 */
enum {
        LIST_INACTIVE = 1 << 0,
        LIST_ACTIVE = 1 << 1,
        LIST_PERSISTENT = 1 << 2,
        LIST_TRANSIENT = 1 << 3,
        LIST_AUTOSTART = 1 << 4,
        LIST_NO_AUTOSTART = 1 << 5,
};

static const char *const pool_types[] = { "dir",     "fs",   "netfs",    "logical",     "disk",
                                          "iscsi",   "scsi", "mpath",    "rbd",         "sheepdog",
                                          "gluster", "zfs",  "vstorage", "iscsi-direct" };

/* virStorageVolResizeFlags */
enum {
        RESIZE_ALLOCATE = 1 << 0,
        RESIZE_DELTA = 1 << 1,
        RESIZE_SHRINK = 1 << 2,
};

#define POOL_REQ(call, userdata) vk_libvirt_req_new(call, &vk_libvirt_pool_kind, userdata)
#define VOL_REQ(call, userdata)  vk_libvirt_req_new(call, &vk_libvirt_vol_kind, userdata)

static char *pool_path(const char *uuid) {
        return vk_libvirt_uuid_path(VK_LIBVIRT_POOL_PATH, uuid);
}

static bool pool_list_match(const VkStoragePoolSummary *p, uint32_t flags) {
        uint32_t types = flags >> 6;

        if (types) {
                bool found = false;

                for (size_t i = 0; i < G_N_ELEMENTS(pool_types); i++)
                        if ((types & (1u << i)) && g_strcmp0(p->type, pool_types[i]) == 0)
                                found = true;
                if (!found)
                        return false;
        }
        return vk_libvirt_flag_pair(flags, LIST_ACTIVE, LIST_INACTIVE, p->active) &&
               vk_libvirt_flag_pair(flags, LIST_PERSISTENT, LIST_TRANSIENT, p->persistent) &&
               vk_libvirt_flag_pair(flags, LIST_AUTOSTART, LIST_NO_AUTOSTART, p->autostart);
}

static void pool_on_list(VkLibvirtReq *req, void *result) {
        const VkStorageListResult *res = result;
        const VkStoragePoolSummary *pools = res->pools.items;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; i < res->pools.n; i++)
                if (pool_list_match(&pools[i], req->flags))
                        g_ptr_array_add(paths, pool_path(pools[i].uuid));
        vk_libvirt_req_reply_paths(req, paths);
}

int vk_libvirt_list_storage_pools(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageListParams p = {};

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        req->list = true; /* storaged not there: no pools */
        vk_libvirt_req_send(req, "ListStoragePools", &p, pool_on_list);
        return 0;
}

static void pool_on_summary(VkLibvirtReq *req, void *result) {
        g_autofree char *path = pool_path(((VkStoragePoolSummary *) result)->uuid);

        vk_libvirt_req_reply_value(req, "o", path);
}

static void pool_on_id(VkLibvirtReq *req, void *result) {
        g_autofree char *path = pool_path(((VkStorageIdResult *) result)->uuid);

        vk_libvirt_req_reply_value(req, "o", path);
}

static int pool_lookup(VkCall *call, void *userdata, bool by_uuid) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageLookupParams p = {};
        const char *key;

        if (vk_libvirt_req_read(req, "s", &key) < 0)
                return 0;
        req->not_found = g_strdup_printf("no storage pool with matching %s '%s'",
                                         by_uuid ? "uuid" : "name", key);
        if (by_uuid)
                p.uuid = (char *) key;
        else
                p.name = (char *) key;
        vk_libvirt_req_send(req, "LookupStoragePool", &p, pool_on_summary);
        return 0;
}

int vk_libvirt_pool_lookup_by_name(VkCall *call, void *params, void *userdata) {
        return pool_lookup(call, userdata, false);
}

int vk_libvirt_pool_lookup_by_uuid(VkCall *call, void *params, void *userdata) {
        return pool_lookup(call, userdata, true);
}

static int pool_from_xml(VkCall *call, void *userdata, const char *method) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageXmlParams p = {};

        if (vk_libvirt_req_read(req, "su", &p.xml, &req->flags) < 0)
                return 0;
        /* StoragePoolCreateXML: VIR_STORAGE_POOL_CREATE_WITH_BUILD (1) */
        p.build = strcmp(method, "CreateStoragePoolXML") == 0 && (req->flags & 1);
        vk_libvirt_req_send(req, method, &p, pool_on_id);
        return 0;
}

int vk_libvirt_pool_define_xml(VkCall *call, void *params, void *userdata) {
        return pool_from_xml(call, userdata, "DefineStoragePool");
}

int vk_libvirt_pool_create_xml(VkCall *call, void *params, void *userdata) {
        return pool_from_xml(call, userdata, "CreateStoragePoolXML");
}

static char *vol_path_of(const VkStorageVolSummary *v) {
        return vk_libvirt_vol_path(v->key);
}

static void vol_on_summary(VkLibvirtReq *req, void *result) {
        g_autofree char *path = vol_path_of(result);

        vk_libvirt_req_reply_value(req, "o", path);
}

static int vol_lookup(VkCall *call, void *userdata, bool by_path) {
        VkLibvirtReq *req = VOL_REQ(call, userdata);
        VkStorageVolLookupParams p = {};
        const char *key;

        if (vk_libvirt_req_read(req, "s", &key) < 0)
                return 0;
        /* Cockpit matches "no storage vol with matching" */
        req->not_found = g_strdup_printf("no storage vol with matching %s '%s'",
                                         by_path ? "path" : "key", key);
        if (by_path)
                p.path = (char *) key;
        else
                p.key = (char *) key;
        vk_libvirt_req_send(req, "LookupVolume", &p, vol_on_summary);
        return 0;
}

int vk_libvirt_vol_lookup_by_path(VkCall *call, void *params, void *userdata) {
        return vol_lookup(call, userdata, true);
}

int vk_libvirt_vol_lookup_by_key(VkCall *call, void *params, void *userdata) {
        return vol_lookup(call, userdata, false);
}

/* ---- org.libvirt.StoragePool ---- */

/* Build, Create, Delete, Destroy, Refresh, Undefine: one of storaged's methods on the pool. */
static int pool_simple(VkCall *call, void *userdata, const char *method, bool flags) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);

        if ((flags && vk_libvirt_req_read(req, "u", &req->flags) < 0) ||
            vk_libvirt_req_object(req) < 0)
                return 0;
        if (strcmp(method, "CreateStoragePool") == 0) {
                /* VIR_STORAGE_POOL_CREATE_WITH_BUILD (1) */
                VkStorageStartParams p = { .pool = req->key, .build = req->flags & 1 };

                vk_libvirt_req_send(req, method, &p, vk_libvirt_req_done);
        } else if (strcmp(method, "BuildStoragePool") == 0) {
                /* VIR_STORAGE_POOL_BUILD_OVERWRITE (8); storaged's params carry the flag */
                VkStorageBuildParams p = { .pool = req->key, .overwrite = req->flags & 8 };

                vk_libvirt_req_send(req, method, &p, vk_libvirt_req_done);
        } else {
                VkStoragePoolParams p = { .pool = req->key };

                vk_libvirt_req_send(req, method, &p, vk_libvirt_req_done);
        }
        return 0;
}

static int pool_build(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "BuildStoragePool", true);
}

static int pool_create(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "CreateStoragePool", true);
}

static int pool_delete(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "DeleteStoragePool", true);
}

static int pool_destroy(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "DestroyStoragePool", false);
}

static int pool_refresh(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "RefreshStoragePool", true);
}

static int pool_undefine(VkCall *call, void *params, void *userdata) {
        return pool_simple(call, userdata, "UndefineStoragePool", false);
}

static void pool_on_info(VkLibvirtReq *req, void *result) {
        const VkStoragePoolSummary *p = result;

        /* virStoragePoolState: INACTIVE 0, RUNNING 2 */
        vk_libvirt_req_reply_value(req, "(ittt)", p->active ? 2 : 0, p->capacity, p->allocation,
                                   p->available);
}

static int pool_get_info(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);

        if (vk_libvirt_req_object(req) < 0)
                return 0;
        vk_libvirt_req_send(req, "GetStoragePoolInfo", &(VkStoragePoolParams){ .pool = req->key },
                            pool_on_info);
        return 0;
}

static void storage_on_xml(VkLibvirtReq *req, void *result) {
        vk_libvirt_req_reply_value(req, "s", ((VkStorageXmlResult *) result)->xml);
}

static int pool_get_xml_desc(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageGetXmlParams p = {};

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        p.pool = req->key;
        p.inactive = req->flags & 1; /* VIR_STORAGE_XML_INACTIVE */
        vk_libvirt_req_send(req, "GetStoragePoolXML", &p, storage_on_xml);
        return 0;
}

static void pool_on_volumes(VkLibvirtReq *req, void *result) {
        const VkStorageVolListResult *res = result;
        const VkStorageVolSummary *vols = res->volumes.items;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; i < res->volumes.n; i++)
                g_ptr_array_add(paths, vol_path_of(&vols[i]));
        vk_libvirt_req_reply_paths(req, paths);
}

static int pool_list_volumes(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        vk_libvirt_req_send(req, "ListVolumes", &(VkStoragePoolParams){ .pool = req->key },
                            pool_on_volumes);
        return 0;
}

static int pool_vol_create_xml(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageVolCreateParams p = {};

        if (vk_libvirt_req_read(req, "su", &p.xml, &req->flags) < 0 ||
            vk_libvirt_req_object(req) < 0)
                return 0;
        p.pool = req->key;
        vk_libvirt_req_send(req, "CreateVolume", &p, vol_on_summary);
        return 0;
}

/* StorageVolCreateXMLFrom, after the source volume (by key) was found. */
static void pool_on_clone_source(VkLibvirtReq *req, void *result) {
        const VkStorageVolSummary *src = result;
        VkStorageVolCreateFromParams p = {
                .pool = req->key,
                .xml = req->s1,
                .source_pool = src->pool,
                .source = src->name,
        };

        vk_libvirt_req_send(req, "CreateVolumeFrom", &p, vol_on_summary);
}

static int pool_vol_create_xml_from(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageVolLookupParams p = {};
        const char *xml, *key;

        if (vk_libvirt_req_read(req, "ssu", &xml, &key, &req->flags) < 0 ||
            vk_libvirt_req_object(req) < 0)
                return 0;
        req->s1 = g_strdup(xml);
        req->not_found = g_strdup_printf("no storage vol with matching key '%s'", key);
        p.key = (char *) key;
        vk_libvirt_req_send(req, "LookupVolume", &p, pool_on_clone_source);
        return 0;
}

static int pool_vol_lookup_by_name(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = POOL_REQ(call, userdata);
        VkStorageVolLookupParams p = {};
        const char *name;

        if (vk_libvirt_req_read(req, "s", &name) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        req->not_found = g_strdup_printf("no storage vol with matching name '%s'", name);
        p.pool = req->key;
        p.name = (char *) name;
        vk_libvirt_req_send(req, "LookupVolume", &p, vol_on_summary);
        return 0;
}

static void pool_on_properties(VkLibvirtReq *req, void *result) {
        const VkStoragePoolSummary *p = result;
        sd_bus_message *reply = vk_libvirt_prop_begin(req);
        int r = reply ? 0 : -ENOMEM;

        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Active", "b", p->active);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Autostart", "b", p->autostart);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Name", "s", p->name);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Persistent", "b", p->persistent);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "UUID", "s", p->uuid);
        vk_libvirt_prop_end(req, reply, r);
}

static void pool_get_properties(VkLibvirtReq *req) {
        vk_libvirt_req_send(req, "LookupStoragePool", &(VkStorageLookupParams){ .uuid = req->key },
                            pool_on_properties);
}

static void pool_set_autostart(VkLibvirtReq *req, bool enabled) {
        VkStorageAutostartParams p = { .pool = req->key, .autostart = enabled };

        vk_libvirt_req_send(req, "SetStoragePoolAutostart", &p, vk_libvirt_req_done);
}

/*
 * storaged's event as StoragePoolEvent(o, i, i) with libvirt's virStoragePoolEventLifecycleType
 * (detail 0), and "refreshed" as the pool object's Refresh signal; libvirt has no events
 * for volumes.
 */
static void storage_on_event(VkLibvirt *lv, JsonObject *params) {
        static const char *const events[] = { "defined", "undefined", "started",
                                              "stopped", "created",   "deleted" };
        g_auto(VkError) e = VK_ERROR_INIT;
        VkStorageEventArgs ev = {};
        g_autofree char *path = NULL;
        int r = 0;

        if (vk_struct_from_json(&vk_storage_event_type, params, &ev, &e) < 0)
                return;
        path = pool_path(ev.uuid);
        if (strcmp(ev.event, "refreshed") == 0)
                r = sd_bus_emit_signal(lv->bus, path, "org.libvirt.StoragePool", "Refresh", NULL);
        for (int i = 0; i < (int) G_N_ELEMENTS(events); i++)
                if (strcmp(ev.event, events[i]) == 0)
                        r = sd_bus_emit_signal(lv->bus, VK_LIBVIRT_PATH, "org.libvirt.Connect",
                                               "StoragePoolEvent", "oii", path, i, 0);
        if (r < 0)
                vk_log_debug("Failed to send the org.libvirt event of pool '%s'", ev.pool);
        vk_struct_clear(&vk_storage_event_type, &ev);
}

static VkForward *storage_forward(VkQemud *q) {
        return q->storage_forward;
}

/* ---- org.libvirt.StorageVol: each member finds the volume by its key first ---- */

typedef void (*VolOp)(VkLibvirtReq *req, const VkStorageVolSummary *vol);

static void vol_on_found(VkLibvirtReq *req, void *result) {
        ((VolOp) req->op)(req, result);
}

/* Find the volume of the call's path, then run @op on it. */
static int vol_run(VkLibvirtReq *req, VolOp op) {
        if (vk_libvirt_req_object(req) < 0)
                return 0;
        req->not_found = g_strdup_printf("no storage vol with matching key '%s'", req->key);
        req->op = (void (*)(void)) op;
        vk_libvirt_req_send(req, "LookupVolume", &(VkStorageVolLookupParams){ .key = req->key },
                            vol_on_found);
        return 0;
}

static void vol_do_delete(VkLibvirtReq *req, const VkStorageVolSummary *vol) {
        VkStorageVolParams p = { .pool = vol->pool, .volume = vol->name };

        vk_libvirt_req_send(req, "DeleteVolume", &p, vk_libvirt_req_done);
}

static int vol_delete(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = VOL_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        return vol_run(req, vol_do_delete);
}

static void vol_do_info(VkLibvirtReq *req, const VkStorageVolSummary *vol) {
        static const char *const types[] = { "file", "block", "dir", "network", "netdir", "ploop" };
        int type = 0;

        for (int i = 0; i < (int) G_N_ELEMENTS(types); i++)
                if (g_strcmp0(vol->type, types[i]) == 0)
                        type = i;
        vk_libvirt_req_reply_value(req, "(itt)", type, vol->capacity, vol->allocation);
}

static int vol_get_info(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = VOL_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        return vol_run(req, vol_do_info);
}

static void vol_do_xml(VkLibvirtReq *req, const VkStorageVolSummary *vol) {
        VkStorageVolParams p = { .pool = vol->pool, .volume = vol->name };

        vk_libvirt_req_send(req, "GetVolumeXML", &p, storage_on_xml);
}

static int vol_get_xml_desc(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = VOL_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        return vol_run(req, vol_do_xml);
}

static void vol_on_resized(VkLibvirtReq *req, void *result) {
        vk_libvirt_req_reply(req, NULL);
}

static void vol_do_resize(VkLibvirtReq *req, const VkStorageVolSummary *vol) {
        VkStorageVolResizeParams p = {
                .pool = vol->pool,
                .volume = vol->name,
                .capacity = req->u64 + (req->flags & RESIZE_DELTA ? vol->capacity : 0),
                .shrink = req->flags & RESIZE_SHRINK,
                .allocate = req->flags & RESIZE_ALLOCATE,
        };

        vk_libvirt_req_send(req, "ResizeVolume", &p, vol_on_resized);
}

static int vol_resize(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = VOL_REQ(call, userdata);

        if (vk_libvirt_req_read(req, "tu", &req->u64, &req->flags) < 0)
                return 0;
        return vol_run(req, vol_do_resize);
}

static void vol_do_properties(VkLibvirtReq *req, const VkStorageVolSummary *vol) {
        sd_bus_message *reply = vk_libvirt_prop_begin(req);
        int r = reply ? 0 : -ENOMEM;

        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Name", "s", vol->name);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Key", "s", vol->key);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Path", "s", vol->path);
        vk_libvirt_prop_end(req, reply, r);
}

static void vol_get_properties(VkLibvirtReq *req) {
        req->not_found = g_strdup_printf("no storage vol with matching key '%s'", req->key);
        req->op = (void (*)(void)) vol_do_properties;
        vk_libvirt_req_send(req, "LookupVolume", &(VkStorageVolLookupParams){ .key = req->key },
                            vol_on_found);
}

#define STORAGE_METHOD(name, handler, auth, in, out, names)                                        \
        { { name, NULL, NULL, handler, auth, 0, NULL }, in, out, names }

static const VkRawMethod pool_methods[] = {
        STORAGE_METHOD("Build", pool_build, VK_AUTH_MANAGE, "u", "", "flags\0"),
        STORAGE_METHOD("Create", pool_create, VK_AUTH_MANAGE, "u", "", "flags\0"),
        STORAGE_METHOD("Delete", pool_delete, VK_AUTH_MANAGE, "u", "", "flags\0"),
        STORAGE_METHOD("Destroy", pool_destroy, VK_AUTH_MANAGE, "", "", ""),
        STORAGE_METHOD("GetInfo", pool_get_info, VK_AUTH_READ, "", "(ittt)", "info\0"),
        STORAGE_METHOD("GetXMLDesc", pool_get_xml_desc, VK_AUTH_READ, "u", "s", "flags\0xml\0"),
        STORAGE_METHOD("ListStorageVolumes", pool_list_volumes, VK_AUTH_READ, "u", "ao",
                       "flags\0storageVols\0"),
        /* libvirt's pool-refresh needs no write access either, but rescans: manage */
        STORAGE_METHOD("Refresh", pool_refresh, VK_AUTH_MANAGE, "u", "", "flags\0"),
        STORAGE_METHOD("StorageVolCreateXML", pool_vol_create_xml, VK_AUTH_MANAGE, "su", "o",
                       "xml\0flags\0storageVol\0"),
        STORAGE_METHOD("StorageVolCreateXMLFrom", pool_vol_create_xml_from, VK_AUTH_MANAGE, "ssu",
                       "o", "xml\0key\0flags\0storageVol\0"),
        STORAGE_METHOD("StorageVolLookupByName", pool_vol_lookup_by_name, VK_AUTH_READ, "s", "o",
                       "name\0storageVol\0"),
        STORAGE_METHOD("Undefine", pool_undefine, VK_AUTH_MANAGE, "", "", ""),
        {},
};

static const VkRawProperty pool_properties[] = {
        { "Active", "b", vk_libvirt_objects_get_property },
        { "Autostart", "b", vk_libvirt_objects_get_property, vk_libvirt_objects_set_property },
        { "Name", "s", vk_libvirt_objects_get_property },
        { "Persistent", "b", vk_libvirt_objects_get_property },
        { "UUID", "s", vk_libvirt_objects_get_property },
        {},
};

static const VkRawSignal pool_signals[] = {
        { "Refresh", "", "" },
        {},
};

static const VkRawInterface pool_interface = {
        .bus_interface = "org.libvirt.StoragePool",
        .methods = pool_methods,
        .properties = pool_properties,
        .signals = pool_signals,
};

const VkLibvirtKind vk_libvirt_pool_kind = {
        .what = "Storage pool",
        .prefix = VK_LIBVIRT_POOL_PATH,
        .iface = &pool_interface,
        .forward_iface = &vk_qemud_storage_interface,
        .forward = storage_forward,
        .get_properties = pool_get_properties,
        .set_autostart = pool_set_autostart,
        .on_event = storage_on_event,
        .sub_index = 1,
};

static const VkRawMethod vol_methods[] = {
        STORAGE_METHOD("Delete", vol_delete, VK_AUTH_MANAGE, "u", "", "flags\0"),
        STORAGE_METHOD("GetInfo", vol_get_info, VK_AUTH_READ, "u", "(itt)", "flags\0info\0"),
        STORAGE_METHOD("GetXMLDesc", vol_get_xml_desc, VK_AUTH_READ, "u", "s", "flags\0xml\0"),
        STORAGE_METHOD("Resize", vol_resize, VK_AUTH_MANAGE, "tu", "", "capacity\0flags\0"),
        /* storaged does not wipe (yet): libvirt's answer for a missing driver function */
        STORAGE_METHOD("Wipe", vk_libvirt_unsupported, VK_AUTH_MANAGE, "uu", "",
                       "pattern\0flags\0"),
        {},
};

static const VkRawProperty vol_properties[] = {
        { "Name", "s", vk_libvirt_objects_get_property },
        { "Key", "s", vk_libvirt_objects_get_property },
        { "Path", "s", vk_libvirt_objects_get_property },
        {},
};

static const VkRawInterface vol_interface = {
        .bus_interface = "org.libvirt.StorageVol",
        .methods = vol_methods,
        .properties = vol_properties,
};

const VkLibvirtKind vk_libvirt_vol_kind = {
        .what = "Storage volume",
        .prefix = VK_LIBVIRT_VOL_PATH,
        .iface = &vol_interface,
        .forward_iface = &vk_qemud_storage_interface,
        .forward = storage_forward,
        .key_of_path = vk_libvirt_vol_key,
        .get_properties = vol_get_properties,
        .on_event = storage_on_event,
        .sub_index = 1,
};
