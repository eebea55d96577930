/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-port.c: ports of running networks (where VM NICs plug in), kept in the run dir */
#include <assert.h>
#include <string.h>

#include "atomic-file.h"
#include "macro.h"
#include "network-driver-internal.h"

/*
 * A port belongs to a running network: it is made by CreatePort (qemud, before it creates a
 * VM's tap), recorded as <run>/ports/NETWORK/UUID.xml so a restarted networkd knows it again,
 * and goes with DeletePort or when the network stops (the VM's port is then stale).
 */

void vk_network_port_info_free(VkNetworkPortInfo *info) {
        if (!info)
                return;
        g_free(info->network);
        g_free(info->owner_name);
        g_free(info->bridge);
        g_free(info->dev);
        g_free(info->mode);
        g_free(info);
}

static char *ports_dir(VkNetworkDriver *drv, const char *network) {
        return g_build_filename(drv->run_dir, "ports", network, NULL);
}

static char *port_path(VkNetworkDriver *drv, const char *network, const char *uuid) {
        g_autofree char *dir = ports_dir(drv, network);
        g_autofree char *base = g_strconcat(uuid, ".xml", NULL);

        return g_build_filename(dir, base, NULL);
}

static VkNetworkPortInfo *port_info(const NetworkObj *o, const VkNetworkPortDef *p) {
        VkNetworkPortInfo *info = g_new0(VkNetworkPortInfo, 1);

        info->uuid = p->uuid;
        info->network = g_strdup(o->name);
        info->mac = p->mac;
        info->owner_name = g_strdup(p->owner_name);
        info->plug_type = p->plug_type;
        info->bridge = g_strdup(p->plug_bridge);
        info->mtu = p->plug_mtu;
        info->dev = g_strdup(p->plug_dev);
        info->mode = g_strdup(p->plug_mode);
        return info;
}

static void port_def_free(gpointer p) {
        vk_network_port_def_free(p);
}

static GHashTable *obj_ports(NetworkObj *o) {
        if (!o->ports)
                o->ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, port_def_free);
        return o->ports;
}

/* The ports recorded for running network @o (a restart); broken files are warnings. */
void network_ports_load(VkNetworkDriver *drv, NetworkObj *o, GPtrArray *warnings) {
        g_autofree char *dir_path = ports_dir(drv, o->name);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *f;

        while (dir && (f = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(dir_path, f, NULL);
                g_autofree char *xml = NULL;
                g_autoptr(VkNetworkPortDef) p = NULL;
                char buf[VK_UUID_STRING_MAX];
                VkError e = VK_ERROR_INIT;

                if (vk_file_read_all(path, VK_NETWORK_XML_MAX, &xml, NULL, &e) < 0 ||
                    vk_network_port_def_parse_string(xml, &p, &e) < 0 || !p->has_uuid) {
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("%s: %s", path,
                                                        e.message ? e.message : "no <uuid>"));
                        vk_error_done(&e);
                        continue;
                }
                vk_uuid_format(&p->uuid, buf);
                g_hash_table_replace(obj_ports(o), g_strdup(buf), g_steal_pointer(&p));
        }
}

/* Forget the ports of @o (it stopped): their files go, their VMs' ports are stale. */
void network_ports_drop(VkNetworkDriver *drv, NetworkObj *o) {
        g_autofree char *dir_path = ports_dir(drv, o->name);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *f;

        while (dir && (f = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(dir_path, f, NULL);

                (void) vk_file_remove(path);
        }
        (void) rmdir(dir_path);
        if (o->ports)
                g_hash_table_remove_all(o->ports);
}

/* The network and port of @port (a UUID); NoSuchPort otherwise. */
static int port_find(VkNetworkDriver *drv, const char *port, NetworkObj **ret_obj,
                     VkNetworkPortDef **ret_def, VkError *reterr) {
        char buf[VK_UUID_STRING_MAX];
        GHashTableIter it;
        gpointer v;
        VkUuid u;
        int r;

        if (vk_isempty(port) || vk_uuid_parse(port, &u) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "port: '%s' is not a UUID", vk_strempty(port));
        vk_uuid_format(&u, buf);
        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                NetworkObj *o = v;
                VkNetworkPortDef *p = o->ports ? g_hash_table_lookup(o->ports, buf) : NULL;

                if (p) {
                        *ret_obj = o;
                        *ret_def = p;
                        return 0;
                }
        }
        r = vk_error_set(reterr, VK_NETWORK_ERROR_NO_SUCH_PORT, -ENOENT, "No port with UUID '%s'",
                         buf);
        vk_error_add_param(reterr, "port", buf);
        return r;
}

/* Where a NIC of network @def plugs in. */
static int port_plug(const VkNetworkDef *def, VkNetworkPortDef *p, VkError *reterr) {
        if (vk_network_forward_mode_has_bridge(def->forward_mode)) {
                p->plug_type = VK_NETWORK_PLUG_NETWORK;
                p->plug_bridge = g_strdup(def->bridge_name);
                p->plug_mtu = def->mtu;
                return 0;
        }
        if (def->forward_mode == VK_NETWORK_FORWARD_BRIDGE && def->bridge_name) {
                p->plug_type = VK_NETWORK_PLUG_BRIDGE;
                p->plug_bridge = g_strdup(def->bridge_name);
                p->plug_mtu = def->mtu;
                return 0;
        }
        p->plug_type = VK_NETWORK_PLUG_DIRECT;
        p->plug_mode = g_strdup(vk_network_forward_mode_to_string(def->forward_mode));
        if (def->forward_dev)
                p->plug_dev = g_strdup(def->forward_dev);
        else if (def->forward_interfaces && def->forward_interfaces[0])
                p->plug_dev = g_strdup(def->forward_interfaces[0]);
        else if (def->forward_pf)
                p->plug_dev = g_strdup(def->forward_pf);
        else
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "Network '%s' names no host interface for its ports",
                                    def->name);
        return 0;
}

static int port_check_new(NetworkObj *o, const VkNetworkPortDef *p, VkError *reterr) {
        const VkNetworkDef *def = o->live;
        char buf[VK_MAC_STRING_MAX];
        GHashTableIter it;
        gpointer v;
        bool found = !p->group;

        for (guint i = 0; p->group && i < def->portgroups->len; i++)
                found = strcmp(((VkNetworkPortgroup *) def->portgroups->pdata[i])->name,
                               p->group) == 0;
        if (!found)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "/networkport/group: network '%s' has no portgroup '%s'",
                                    o->name, p->group);
        if (o->ports && g_hash_table_size(o->ports) >= VK_NETWORK_DRIVER_MAX_PORTS)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                    "Network '%s' has %d ports already", o->name,
                                    VK_NETWORK_DRIVER_MAX_PORTS);
        g_hash_table_iter_init(&it, obj_ports(o));
        while (g_hash_table_iter_next(&it, NULL, &v))
                if (memcmp(((VkNetworkPortDef *) v)->mac.bytes, p->mac.bytes, 6) == 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "MAC address %s already has a port on network "
                                            "'%s'",
                                            vk_mac_format(&p->mac, buf), o->name);
        return 0;
}

/*
 * Make a port on running network @network from port XML @xml: its UUID (kept when given)
 * and its plug, chosen by the network (its bridge and MTU, or macvtap device and mode).
 * A port XML naming a UUID that exists already with the same MAC gets that port back
 * (a restarted qemud reclaiming its ports).
 */
int vk_network_driver_create_port(VkNetworkDriver *drv, const char *network, const char *xml,
                                  VkNetworkPortInfo **ret_info, VkError *reterr) {
        g_autoptr(VkNetworkPortDef) p = NULL;
        g_autofree char *path = NULL, *dir = NULL, *text = NULL;
        char buf[VK_UUID_STRING_MAX];
        VkNetworkPortDef *old = NULL;
        NetworkObj *o, *other;
        int r;

        assert(ret_info);
        r = network_find(drv, network, &o, reterr);
        if (r < 0)
                return r;
        if (!o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is not active: start it first", o->name);
        r = vk_network_port_def_parse_string(xml, &p, reterr);
        if (r < 0)
                return r;
        if (p->has_uuid && port_find(drv, vk_uuid_format(&p->uuid, buf), &other, &old, NULL) >= 0) {
                if (other != o || memcmp(old->mac.bytes, p->mac.bytes, 6) != 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "Port '%s' exists already with another network or "
                                            "MAC address",
                                            buf);
                *ret_info = port_info(o, old);
                return 0;
        }
        if (!p->has_uuid) {
                r = vk_uuid_generate(&p->uuid);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a UUID");
                p->has_uuid = true;
        }
        r = port_check_new(o, p, reterr);
        if (r < 0)
                return r;
        g_clear_pointer(&p->plug_bridge, g_free);
        g_clear_pointer(&p->plug_dev, g_free);
        g_clear_pointer(&p->plug_mode, g_free);
        r = port_plug(o->live, p, reterr);
        if (r < 0)
                return r;

        vk_uuid_format(&p->uuid, buf);
        dir = ports_dir(drv, o->name);
        r = vk_mkdir_p(dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", dir);
        path = port_path(drv, o->name, buf);
        text = vk_network_port_def_format(p);
        r = vk_atomic_file_write(path, text, strlen(text), 0644, reterr);
        if (r < 0)
                return r;
        *ret_info = port_info(o, p);
        g_hash_table_replace(obj_ports(o), g_strdup(buf), g_steal_pointer(&p));
        return 0;
}

/* Delete port @port (a UUID) and its file. */
int vk_network_driver_delete_port(VkNetworkDriver *drv, const char *port, VkError *reterr) {
        g_autofree char *path = NULL;
        char buf[VK_UUID_STRING_MAX];
        VkNetworkPortDef *p;
        NetworkObj *o;
        int r;

        r = port_find(drv, port, &o, &p, reterr);
        if (r < 0)
                return r;
        vk_uuid_format(&p->uuid, buf);
        path = port_path(drv, o->name, buf);
        r = vk_file_remove(path);
        if (r < 0 && r != -ENOENT)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", path);
        g_hash_table_remove(o->ports, buf);
        return 0;
}

static gint port_info_cmp(gconstpointer a, gconstpointer b) {
        const VkNetworkPortInfo *x = *(VkNetworkPortInfo *const *) a;
        const VkNetworkPortInfo *y = *(VkNetworkPortInfo *const *) b;

        return memcmp(x->uuid.bytes, y->uuid.bytes, sizeof(x->uuid.bytes));
}

/* The ports of @network, sorted by UUID. */
int vk_network_driver_list_ports(VkNetworkDriver *drv, const char *network, GPtrArray **ret_infos,
                                 VkError *reterr) {
        g_autoptr(GPtrArray) infos =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_network_port_info_free);
        GHashTableIter it;
        NetworkObj *o;
        gpointer v;
        int r;

        r = network_find(drv, network, &o, reterr);
        if (r < 0)
                return r;
        g_hash_table_iter_init(&it, obj_ports(o));
        while (g_hash_table_iter_next(&it, NULL, &v))
                g_ptr_array_add(infos, port_info(o, v));
        g_ptr_array_sort(infos, port_info_cmp);
        *ret_infos = g_steal_pointer(&infos);
        return 0;
}

/* Port @port as libvirt's network port XML, with its plug. */
int vk_network_driver_get_port_xml(VkNetworkDriver *drv, const char *port, char **ret_xml,
                                   VkError *reterr) {
        VkNetworkPortDef *p = NULL;
        NetworkObj *o;
        int r;

        r = port_find(drv, port, &o, &p, reterr);
        if (r < 0)
                return r;
        *ret_xml = vk_network_port_def_format(p);
        return 0;
}
