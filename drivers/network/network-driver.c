/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-driver.c: the network driver's plain C API (vk_network_driver_*), no IPC types */
#include <assert.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "network-defaults.h"
#include "network-driver-internal.h"
#include "objdir.h"
#include "paths.h"

static const char *const event_type_table[_VK_NETWORK_EVENT_MAX] = {
        [VK_NETWORK_EVENT_DEFINED] = "defined",
        [VK_NETWORK_EVENT_UNDEFINED] = "undefined",
        [VK_NETWORK_EVENT_STARTED] = "started",
        [VK_NETWORK_EVENT_STOPPED] = "stopped",
};

const char *vk_network_event_type_to_string(VkNetworkEventType t) {
        if (t < 0 || t >= _VK_NETWORK_EVENT_MAX)
                return NULL;
        return event_type_table[t];
}

VkNetworkEventType vk_network_event_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_NETWORK_EVENT_MAX; i++)
                if (strcmp(s, event_type_table[i]) == 0)
                        return (VkNetworkEventType) i;
        return _VK_NETWORK_EVENT_INVALID;
}

void vk_network_info_free(VkNetworkInfo *info) {
        if (!info)
                return;
        g_free(info->name);
        g_free(info->bridge);
        g_free(info);
}

static const VkNetworkDef *obj_def(const NetworkObj *o) {
        return o->live ? o->live : o->def;
}

static VkNetworkInfo *obj_info(const NetworkObj *o) {
        VkNetworkInfo *info = g_new0(VkNetworkInfo, 1);
        const VkNetworkDef *def = obj_def(o);

        info->name = g_strdup(o->name);
        info->uuid = def->uuid;
        info->active = o->live != NULL;
        info->persistent = o->def != NULL;
        info->autostart = o->autostart;
        info->bridge =
                g_strdup(o->status && o->status->bridge ? o->status->bridge : def->bridge_name);
        return info;
}

static void obj_free(NetworkObj *o) {
        if (!o)
                return;
        g_free(o->name);
        vk_network_def_free(o->def);
        vk_network_def_free(o->live);
        vk_network_status_free(o->status);
        vk_pidfd_watch_free(o->dnsmasq_watch);
        if (o->ports)
                g_hash_table_unref(o->ports);
        g_free(o);
}

static void reaper_free(gpointer w) {
        vk_pidfd_watch_free(w);
}

static NetworkObj *driver_add(VkNetworkDriver *drv, const char *name, const VkUuid *uuid) {
        NetworkObj *o = g_new0(NetworkObj, 1);

        o->name = g_strdup(name);
        vk_uuid_format(uuid, o->uuid);
        g_hash_table_insert(drv->by_name, o->name, o);
        return o;
}

static void driver_emit(VkNetworkDriver *drv, const NetworkObj *o, VkNetworkEventType type,
                        bool gone) {
        VkNetworkEvent ev = { .type = type, .name = o->name, .uuid = o->uuid, .gone = gone };

        if (drv->event_cb)
                drv->event_cb(drv, &ev, drv->event_userdata);
}

/* Unlink @o, tell (it is gone for lookups from the callback), free it. */
static void driver_remove(VkNetworkDriver *drv, NetworkObj *o, VkNetworkEventType type) {
        g_hash_table_steal(drv->by_name, o->name);
        driver_emit(drv, o, type, true);
        obj_free(o);
}

static NetworkObj *driver_find_uuid(VkNetworkDriver *drv, const VkUuid *uuid);

/* The network called @name, or else whose UUID is @name. */
int network_find(VkNetworkDriver *drv, const char *name, NetworkObj **ret, VkError *reterr) {
        NetworkObj *o = name ? g_hash_table_lookup(drv->by_name, name) : NULL;
        VkUuid u;
        int r;

        if (!o && name && vk_uuid_parse(name, &u) >= 0)
                o = driver_find_uuid(drv, &u);

        if (!o) {
                r = vk_error_set(reterr, VK_NETWORK_ERROR_NO_SUCH_NETWORK, -ENOENT,
                                 "No network named '%s' (nor with that UUID)", vk_strempty(name));
                vk_error_add_param(reterr, "network", vk_strempty(name));
                return r;
        }
        *ret = o;
        return 0;
}

static NetworkObj *driver_find_uuid(VkNetworkDriver *drv, const VkUuid *uuid) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v))
                if (vk_uuid_equal(&obj_def(v)->uuid, uuid))
                        return v;
        return NULL;
}

static char *driver_def_path(VkNetworkDriver *drv, const char *name) {
        return vk_objdir_path(drv->networks_dir, name, ".xml");
}

/*
 * The bridge names taken: every network's but @except's, and every host interface. The
 * strings live in @names (g_free); the result is NULL-terminated and borrowed from it.
 */
const char *const *network_bridges_in_use(VkNetworkDriver *drv, GPtrArray *names) {
        struct if_nameindex *ifs = if_nameindex();
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const NetworkObj *o = v;

                if (o->def && o->def->bridge_name)
                        g_ptr_array_add(names, g_strdup(o->def->bridge_name));
                if (o->live && o->live->bridge_name)
                        g_ptr_array_add(names, g_strdup(o->live->bridge_name));
        }
        for (size_t i = 0; ifs && ifs[i].if_name; i++)
                g_ptr_array_add(names, g_strdup(ifs[i].if_name));
        if (ifs)
                if_freenameindex(ifs);
        g_ptr_array_add(names, NULL);
        return (const char *const *) names->pdata;
}

/*
 * Parse @xml and fill the define-time defaults (bridge names of other networks avoided). A
 * network of the same name lends what the new definition leaves out and it generated: its
 * UUID, bridge name and MAC, so defining the same XML twice changes nothing (as libvirt).
 */
static int driver_parse(VkNetworkDriver *drv, const char *xml, VkNetworkDef **ret,
                        VkError *reterr) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *const *in_use = NULL;
        const NetworkObj *same;
        int r;

        r = vk_network_def_parse_string(xml, &def, reterr);
        if (r < 0)
                return r;
        same = g_hash_table_lookup(drv->by_name, def->name);
        if (same) {
                const VkNetworkDef *old = obj_def(same);

                if (!def->has_uuid) {
                        def->uuid = old->uuid;
                        def->has_uuid = true;
                }
                if (vk_network_forward_mode_has_bridge(def->forward_mode) &&
                    vk_network_forward_mode_has_bridge(old->forward_mode)) {
                        if (!def->bridge_name)
                                def->bridge_name = g_strdup(old->bridge_name);
                        if (!def->has_mac && old->has_mac) {
                                def->mac = old->mac;
                                def->has_mac = true;
                        }
                }
        }
        /* listing the host's interfaces costs a netlink dump: only when a name is picked */
        if (vk_network_def_needs_bridge_name(def))
                in_use = network_bridges_in_use(drv, names);
        r = vk_network_def_fill_defaults(def, in_use, NULL, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&def);
        return 0;
}

/* A new network @def may not take another one's name with another UUID, or its UUID. */
static int driver_check_new(VkNetworkDriver *drv, const VkNetworkDef *def, NetworkObj **ret_obj,
                            VkError *reterr) {
        NetworkObj *o = g_hash_table_lookup(drv->by_name, def->name);
        NetworkObj *other = driver_find_uuid(drv, &def->uuid);
        char buf[VK_UUID_STRING_MAX];

        if (o && !vk_uuid_equal(&obj_def(o)->uuid, &def->uuid))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Network '%s' already exists with UUID '%s'", def->name,
                                    o->uuid);
        if (other && other != o)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "UUID '%s' is already used by network '%s'",
                                    vk_uuid_format(&def->uuid, buf), other->name);
        if (!o && g_hash_table_size(drv->by_name) >= VK_NETWORK_DRIVER_MAX_NETWORKS)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                    "Cannot define network '%s': there are already %d networks",
                                    def->name, VK_NETWORK_DRIVER_MAX_NETWORKS);
        *ret_obj = o;
        return 0;
}

static int driver_save_def(VkNetworkDriver *drv, const VkNetworkDef *def, VkError *reterr) {
        g_autofree char *path = driver_def_path(drv, def->name);
        g_autofree char *xml = vk_network_def_format(def);

        return vk_atomic_file_write(path, xml, strlen(xml), 0600, reterr);
}

/* What the loaders of vk_objdir_scan() get. */
typedef struct DriverLoad {
        VkNetworkDriver *drv;
        GPtrArray *warnings;
} DriverLoad;

/* Load networks/<name>.xml (and its autostart link); problems are warnings. */
static void driver_load_def(const char *name, const char *path, void *userdata) {
        VkNetworkDriver *drv = ((DriverLoad *) userdata)->drv;
        GPtrArray *warnings = ((DriverLoad *) userdata)->warnings;
        g_autofree char *link = NULL;
        g_autoptr(VkNetworkDef) def = NULL;
        VkError e = VK_ERROR_INIT;
        NetworkObj *o;

        if (vk_network_def_parse_file(path, &def, &e) < 0) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: %s", path, e.message));
                vk_error_done(&e);
                return;
        }
        if (strcmp(def->name, name) != 0 || !def->has_uuid) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: the file of network '%s' must be "
                                                          "named '%s.xml' and have a UUID; not "
                                                          "loaded",
                                                          path, def->name, def->name));
                return;
        }
        if (driver_find_uuid(drv, &def->uuid) ||
            g_hash_table_size(drv->by_name) >= VK_NETWORK_DRIVER_MAX_NETWORKS) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: UUID in use or too many networks; "
                                                          "not loaded",
                                                          path));
                return;
        }
        o = driver_add(drv, name, &def->uuid);
        o->def = g_steal_pointer(&def);
        link = vk_objdir_path(drv->autostart_dir, name, ".xml");
        o->autostart = g_file_test(link, G_FILE_TEST_EXISTS);
}

/* Take over a network an earlier instance left running (run/<name>.status). */
static void driver_load_status(const char *name, const char *path, void *userdata) {
        VkNetworkDriver *drv = ((DriverLoad *) userdata)->drv;
        GPtrArray *warnings = ((DriverLoad *) userdata)->warnings;
        g_autoptr(VkNetworkDef) live = NULL;
        VkNetworkStatus *st = NULL;
        VkError e = VK_ERROR_INIT;
        NetworkObj *o;

        if (vk_network_status_load(path, &st, &e) < 0) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: %s", path, e.message));
                vk_error_done(&e);
                return;
        }
        (void) vk_network_def_parse_string(st->xml, &live, NULL); /* checked by the load */
        o = g_hash_table_lookup(drv->by_name, name);
        if (!o)
                o = driver_add(drv, name, &live->uuid);
        if (network_adopt(drv, o, st, warnings) <= 0 && !o->def)
                driver_remove(drv, o, VK_NETWORK_EVENT_STOPPED);
}

/* The first start of an instance (no networks/ yet): define @xml_path's network. */
static void driver_define_default(VkNetworkDriver *drv, const char *xml_path, GPtrArray *warnings) {
        g_autofree char *xml = NULL;
        VkError e = VK_ERROR_INIT;

        if (vk_file_read_all(xml_path, VK_NETWORK_XML_MAX, &xml, NULL, &e) < 0 ||
            vk_network_driver_define(drv, xml, NULL, &e) < 0)
                g_ptr_array_add(warnings,
                                g_strdup_printf("default network not defined: %s", e.message));
        vk_error_done(&e);
}

/*
 * Start the driver: on an instance's first start (no networks/ directory) define the network
 * in cfg->default_xml; load the definitions; take over the networks an earlier instance left
 * running (their dnsmasq adopted). Broken files are described in *@ret_warnings. Does not
 * autostart: see vk_network_driver_autostart().
 */
int vk_network_driver_new(const VkNetworkDriverConfig *cfg, VkNetworkDriver **ret_drv,
                          GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkNetworkDriver) drv = g_new0(VkNetworkDriver, 1);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        bool first;
        int r;

        assert(cfg && cfg->event);
        assert(ret_drv);
        assert(ret_warnings);

        drv->event = sd_event_ref(cfg->event);
        drv->by_name =
                g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) obj_free);
        drv->reapers = g_ptr_array_new_with_free_func(reaper_free);
        drv->networks_dir = g_build_filename(cfg->config_dir, "networks", NULL);
        drv->autostart_dir = g_build_filename(drv->networks_dir, "autostart", NULL);
        drv->run_dir = g_strdup(cfg->run_dir);
        drv->dnsmasq_dir = g_build_filename(cfg->lib_dir, "dnsmasq", NULL);
        drv->leases_helper = cfg->leases_helper ? g_strdup(cfg->leases_helper)
                                                : vk_paths_libexec(VK_NETWORK_LEASES_HELPER);
        drv->dnsmasq = g_strdup(cfg->dnsmasq ? cfg->dnsmasq : "/usr/sbin/dnsmasq");
        if (cfg->firewall_backend) {
                drv->firewall = vk_network_firewall_backend_from_string(cfg->firewall_backend);
                if (drv->firewall < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "firewall_backend: unsupported value '%s' "
                                            "('nftables' or 'iptables')",
                                            cfg->firewall_backend);
        } else if (!vk_network_nft_available() && vk_network_ipt_available()) {
                drv->firewall = VK_NETWORK_FIREWALL_IPTABLES;
                g_ptr_array_add(warnings, g_strdup("nftables does not work here: using the "
                                                   "iptables firewall backend"));
        }

        first = !g_file_test(drv->networks_dir, G_FILE_TEST_IS_DIR);
        r = vk_mkdir_p(drv->autostart_dir, 0755);
        if (r >= 0)
                r = vk_mkdir_p(drv->run_dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s' or '%s'",
                                          drv->autostart_dir, drv->run_dir);
        vk_objdir_scan(drv->networks_dir, ".xml", driver_load_def,
                       &(DriverLoad){ .drv = drv, .warnings = warnings });
        vk_objdir_scan(drv->run_dir, ".status", driver_load_status,
                       &(DriverLoad){ .drv = drv, .warnings = warnings });
        if (first && cfg->default_xml && g_hash_table_size(drv->by_name) == 0)
                driver_define_default(drv, cfg->default_xml, warnings);

        *ret_drv = g_steal_pointer(&drv);
        *ret_warnings = g_steal_pointer(&warnings);
        return 0;
}

/* Free the driver. Running networks keep running (bridge, rules, dnsmasq). Takes NULL. */
VkNetworkDriver *vk_network_driver_free(VkNetworkDriver *drv) {
        if (!drv)
                return NULL;
        if (drv->by_name)
                g_hash_table_unref(drv->by_name);
        if (drv->reapers)
                g_ptr_array_unref(drv->reapers);
        g_free(drv->networks_dir);
        g_free(drv->autostart_dir);
        g_free(drv->run_dir);
        g_free(drv->dnsmasq_dir);
        g_free(drv->leases_helper);
        g_free(drv->dnsmasq);
        sd_event_unref(drv->event);
        g_free(drv);
        return NULL;
}

void vk_network_driver_set_event_callback(VkNetworkDriver *drv, VkNetworkEventFunc cb,
                                          void *userdata) {
        drv->event_cb = cb;
        drv->event_userdata = userdata;
}

void vk_network_driver_set_warning_callback(VkNetworkDriver *drv, VkNetworkWarningFunc cb,
                                            void *userdata) {
        drv->warning_cb = cb;
        drv->warning_userdata = userdata;
}

/* The firewall backend new rules go through: "nftables" or "iptables". */
const char *vk_network_driver_firewall_backend(const VkNetworkDriver *drv) {
        return vk_network_firewall_backend_to_string(drv->firewall);
}

unsigned vk_network_driver_count(const VkNetworkDriver *drv) {
        return g_hash_table_size(drv->by_name);
}

/*
 * Start every inactive network marked autostart, once per boot: <run>/autostarted (the run
 * dir is a tmpfs) marks it done, so a daemon started again on demand (socket activation,
 * idle exit) does not start networks destroyed since. Failures are added to @warnings.
 */
void vk_network_driver_autostart(VkNetworkDriver *drv, GPtrArray *warnings) {
        g_autofree gpointer *names = NULL;
        guint n = 0;

        if (!vk_objdir_autostart_once(drv->run_dir, warnings))
                return;
        names = g_hash_table_get_keys_as_array(drv->by_name, &n);
        for (guint i = 0; i < n; i++) {
                NetworkObj *o = g_hash_table_lookup(drv->by_name, names[i]);
                VkError e = VK_ERROR_INIT;

                if (!o || !o->autostart || o->live)
                        continue;
                if (vk_network_driver_create(drv, o->name, &e) < 0)
                        g_ptr_array_add(warnings, g_strdup_printf("autostart of network '%s': "
                                                                  "%s",
                                                                  o->name, e.message));
                vk_error_done(&e);
        }
}

/*
 * Define a network from libvirt's network XML, or redefine the one of that name and UUID
 * (a running network keeps its live definition until it is restarted). Defaults are filled
 * first (UUID, bridge, MAC). Returns 1 (new) or 0 (redefined) with *@ret_info (may be NULL).
 */
int vk_network_driver_define(VkNetworkDriver *drv, const char *xml, VkNetworkInfo **ret_info,
                             VkError *reterr) {
        g_autoptr(VkNetworkDef) def = NULL;
        NetworkObj *o;
        bool is_new;
        int r;

        assert(xml);
        r = driver_parse(drv, xml, &def, reterr);
        if (r < 0)
                return r;
        r = driver_check_new(drv, def, &o, reterr);
        if (r < 0)
                return r;
        r = driver_save_def(drv, def, reterr);
        if (r < 0)
                return r;
        is_new = !o;
        if (!o)
                o = driver_add(drv, def->name, &def->uuid);
        vk_network_def_free(o->def);
        o->def = g_steal_pointer(&def);
        if (o->status && !o->status->persistent) {
                /* a running transient network becomes persistent */
                g_autofree char *status = network_status_path(drv, o->name);

                o->status->persistent = true;
                (void) vk_network_status_save(status, o->status, NULL);
        }
        if (ret_info)
                *ret_info = obj_info(o);
        driver_emit(drv, o, VK_NETWORK_EVENT_DEFINED, false);
        return is_new ? 1 : 0;
}

/* Forget the definition of @name; a running network goes on, transient. */
int vk_network_driver_undefine(VkNetworkDriver *drv, const char *name, VkError *reterr) {
        g_autofree char *path = NULL;
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        name = o->name; /* @name may have been the UUID */
        if (!o->def)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is transient: there is no definition to "
                                    "remove (destroy it)",
                                    name);
        path = driver_def_path(drv, name);
        (void) vk_objdir_set_autostart(drv->autostart_dir, name, false, NULL);
        r = vk_file_remove(path);
        if (r < 0 && r != -ENOENT)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", path);
        if (!o->live) {
                driver_remove(drv, o, VK_NETWORK_EVENT_UNDEFINED);
                return 0;
        }
        o->def = vk_network_def_free(o->def);
        o->autostart = false;
        o->status->persistent = false;
        g_free(path);
        path = network_status_path(drv, name);
        (void) vk_network_status_save(path, o->status, NULL);
        driver_emit(drv, o, VK_NETWORK_EVENT_UNDEFINED, false);
        return 0;
}

static int driver_check_inactive(const NetworkObj *o, VkError *reterr) {
        if (o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "Network '%s' is already active", o->name);
        return 0;
}

/* Start the defined network @name. */
int vk_network_driver_create(VkNetworkDriver *drv, const char *name, VkError *reterr) {
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        r = driver_check_inactive(o, reterr);
        if (r < 0)
                return r;
        r = network_start(drv, o, o->def, /* persistent= */ true, reterr);
        if (r < 0)
                return r;
        driver_emit(drv, o, VK_NETWORK_EVENT_STARTED, false);
        return 0;
}

/* Start a transient network from @xml; it is gone when destroyed. */
int vk_network_driver_create_xml(VkNetworkDriver *drv, const char *xml, VkNetworkInfo **ret_info,
                                 VkError *reterr) {
        g_autoptr(VkNetworkDef) def = NULL;
        NetworkObj *o;
        int r;

        assert(xml);
        r = driver_parse(drv, xml, &def, reterr);
        if (r < 0)
                return r;
        r = driver_check_new(drv, def, &o, reterr);
        if (r < 0)
                return r;
        if (o)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Network '%s' already exists: start it, or give the "
                                    "transient network another name",
                                    def->name);
        o = driver_add(drv, def->name, &def->uuid);
        r = network_start(drv, o, def, /* persistent= */ false, reterr);
        if (r < 0) {
                g_hash_table_remove(drv->by_name, o->name);
                return r;
        }
        if (ret_info)
                *ret_info = obj_info(o);
        driver_emit(drv, o, VK_NETWORK_EVENT_STARTED, false);
        return 0;
}

/* Stop @name: rules, dnsmasq, bridge and its files go; a transient network is gone. */
int vk_network_driver_destroy(VkNetworkDriver *drv, const char *name, VkError *reterr) {
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        name = o->name; /* @name may have been the UUID */
        if (!o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is not active", name);
        r = network_stop(drv, o, reterr);
        if (r < 0)
                return r;
        if (!o->def)
                driver_remove(drv, o, VK_NETWORK_EVENT_STOPPED);
        else
                driver_emit(drv, o, VK_NETWORK_EVENT_STOPPED, false);
        return 0;
}

/* The live definition of @name (or with @inactive, the persistent one when there is one). */
int vk_network_driver_get_xml(VkNetworkDriver *drv, const char *name, bool inactive, char **ret_xml,
                              VkError *reterr) {
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        *ret_xml = vk_network_def_format(inactive && o->def ? o->def : obj_def(o));
        return 0;
}

/* The network called @name, or else with @uuid. */
int vk_network_driver_lookup(VkNetworkDriver *drv, const char *name, const char *uuid,
                             VkNetworkInfo **ret_info, VkError *reterr) {
        NetworkObj *o = NULL;
        VkUuid u;
        int r;

        if (name) {
                r = network_find(drv, name, &o, reterr);
                if (r < 0)
                        return r;
        } else {
                if (vk_isempty(uuid) || vk_uuid_parse(uuid, &u) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "uuid: '%s' is not a UUID", vk_strempty(uuid));
                o = driver_find_uuid(drv, &u);
                if (!o) {
                        r = vk_error_set(reterr, VK_NETWORK_ERROR_NO_SUCH_NETWORK, -ENOENT,
                                         "No network with UUID '%s'", uuid);
                        vk_error_add_param(reterr, "network", uuid);
                        return r;
                }
        }
        *ret_info = obj_info(o);
        return 0;
}

static gint info_cmp(gconstpointer a, gconstpointer b) {
        return strcmp((*(VkNetworkInfo *const *) a)->name, (*(VkNetworkInfo *const *) b)->name);
}

/* The networks matching @filter (NULL: all), sorted by name. */
int vk_network_driver_list(VkNetworkDriver *drv, const VkNetworkFilter *filter,
                           GPtrArray **ret_infos, VkError *reterr) {
        g_autoptr(GPtrArray) infos =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_network_info_free);
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const NetworkObj *o = v;

                if (filter && (!vk_tristate_matches(filter->active, o->live != NULL) ||
                               !vk_tristate_matches(filter->persistent, o->def != NULL) ||
                               !vk_tristate_matches(filter->autostart, o->autostart)))
                        continue;
                g_ptr_array_add(infos, obj_info(o));
        }
        g_ptr_array_sort(infos, info_cmp);
        *ret_infos = g_steal_pointer(&infos);
        return 0;
}

/* Mark @name to start with the daemon (a link in networks/autostart/), or not. */
int vk_network_driver_set_autostart(VkNetworkDriver *drv, const char *name, bool autostart,
                                    VkError *reterr) {
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        name = o->name; /* @name may have been the UUID */
        if (!o->def)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is transient: it cannot autostart", name);
        r = vk_objdir_set_autostart(drv->autostart_dir, name, autostart, reterr);
        if (r < 0)
                return r;
        o->autostart = autostart;
        return 0;
}

/* The current DHCP leases of @name (of @mac only, when given), from the leases helper's file. */
/* The prefix of the subnet of @def that holds @ip (a lease's address); 0: none does. */
static unsigned network_lease_prefix(const VkNetworkDef *def, const char *ip) {
        VkNetAddr addr;

        if (!ip || vk_net_addr_parse(ip, AF_UNSPEC, &addr) < 0)
                return 0;
        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *nip = def->ips->pdata[i];

                if (vk_net_addr_in_subnet(&addr, &nip->address, nip->prefix))
                        return nip->prefix;
        }
        return 0;
}

int vk_network_driver_get_dhcp_leases(VkNetworkDriver *drv, const char *name, const char *mac,
                                      VkNetworkLeases **ret_leases, VkError *reterr) {
        g_autoptr(VkNetworkLeases) l = NULL;
        g_autofree char *path = NULL;
        VkNetworkLeaseEntry *items;
        NetworkObj *o;
        int r;

        r = network_find(drv, name, &o, reterr);
        if (r < 0)
                return r;
        name = o->name; /* @name may have been the UUID */
        if (!o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is not active", name);
        path = network_leases_path(drv, name);
        r = vk_network_leases_load(path, &l, reterr);
        if (r < 0)
                return r;
        vk_network_leases_expire(l, (int64_t) time(NULL));
        items = l->leases.items;
        for (size_t i = l->leases.n; mac && i > 0; i--)
                if (g_ascii_strcasecmp(items[i - 1].mac, mac) != 0)
                        vk_network_leases_remove(l, items[i - 1].ip);
        items = l->leases.items;
        for (size_t i = 0; i < l->leases.n; i++)
                items[i].prefix = network_lease_prefix(o->live, items[i].ip);
        *ret_leases = g_steal_pointer(&l);
        return 0;
}
