/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-ifaddr.c: DomainInterfaceAddresses, the guest addresses networkd's DHCP leases show */
#include <string.h>

#include "api.h"
#include "json.h"
#include "macro.h"
#include "varlink-client.h"

/*
 * libvirt's virDomainInterfaceAddresses with source=lease: for each <interface type='network'>
 * of the running domain, the leases networkd's dnsmasq gave its MAC (GetDHCPLeases, all asked
 * at once on one connection from the loop). Interfaces without a lease are left out, as
 * libvirt does. The other sources (agent, arp) are not supported.
 */

#define IFADDR_TIMEOUT_USEC (10ULL * 1000 * 1000)
#define NETWORKD_NAME       "virtkit-networkd"

typedef struct IfAddrParams {
        char *domain;
        char *source;
} IfAddrParams;

static const VkField ifaddr_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(IfAddrParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "source", VK_FIELD_STRING, offsetof(IfAddrParams, source), 0, NULL,
          "Where the addresses come from: lease (the default; networkd's DHCP leases)" },
        {},
};

static const VkStructType ifaddr_params = {
        .size = sizeof(IfAddrParams),
        .fields = ifaddr_params_fields,
};

typedef VkQemudIfAddr IfAddr;

static const VkField ifaddr_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(IfAddr, name), VK_FIELD_REQUIRED, NULL,
          "The interface on the host (the tap, vnetN)" },
        { "hwaddr", VK_FIELD_STRING, offsetof(IfAddr, hwaddr), VK_FIELD_REQUIRED, NULL,
          "The guest's MAC address" },
        { "type", VK_FIELD_STRING, offsetof(IfAddr, type), VK_FIELD_REQUIRED, NULL,
          "ipv4 or ipv6" },
        { "addr", VK_FIELD_STRING, offsetof(IfAddr, addr), VK_FIELD_REQUIRED, NULL,
          "The IP address" },
        { "prefix", VK_FIELD_INT, offsetof(IfAddr, prefix), VK_FIELD_REQUIRED, NULL,
          "The prefix length" },
        {},
};

static const VkStructType ifaddr_type = {
        .name = "InterfaceAddress",
        .size = sizeof(IfAddr),
        .fields = ifaddr_fields,
        .doc = "One address of one interface of a domain",
};

typedef struct IfAddrResult {
        VkArray addresses;
} IfAddrResult;

static const VkField ifaddr_result_fields[] = {
        { "addresses", VK_FIELD_ARRAY, offsetof(IfAddrResult, addresses), VK_FIELD_REQUIRED,
          &ifaddr_type, "In the order of the domain's interfaces" },
        {},
};

static const VkStructType ifaddr_result = {
        .size = sizeof(IfAddrResult),
        .fields = ifaddr_result_fields,
};

typedef struct IfAddrQuery IfAddrQuery;

typedef struct IfAddrNic {
        IfAddrQuery *owner;
        char *name;
        char *mac;
        char *network;
        GPtrArray *addrs; /* IfAddr */
        bool answered;
} IfAddrNic;

struct IfAddrQuery {
        VkQemudIfAddrFunc on_done; /* gets the addresses or the error, once */
        void *userdata;
        sd_event *event;
        char *socket;
        VkVarlinkClient *client;
        GPtrArray *nics; /* IfAddrNic */
        unsigned n_pending;
        bool done;
        sd_event_source *timer;
        sd_event_source *defer;
};

static void ifaddr_free(IfAddr *a) {
        g_free(a->name);
        g_free(a->hwaddr);
        g_free(a->type);
        g_free(a->addr);
        g_free(a);
}

static void nic_free(IfAddrNic *n) {
        g_free(n->name);
        g_free(n->mac);
        g_free(n->network);
        g_ptr_array_unref(n->addrs);
        g_free(n);
}

static void query_free(IfAddrQuery *qy) {
        vk_varlink_client_free(qy->client);
        sd_event_source_disable_unref(qy->timer);
        sd_event_source_disable_unref(qy->defer);
        g_ptr_array_unref(qy->nics);
        sd_event_unref(qy->event);
        g_free(qy->socket);
        g_free(qy);
}

static int query_on_defer(sd_event_source *s, void *userdata) {
        query_free(userdata);
        return 0;
}

/* Answered (or failed): free ourselves from the loop, never from the client's callback. */
static void query_end(IfAddrQuery *qy) {
        qy->done = true;
        qy->timer = sd_event_source_disable_unref(qy->timer);
        if (sd_event_add_defer(qy->event, &qy->defer, query_on_defer, qy) < 0)
                qy->defer = NULL; /* leaked rather than freed under the client */
}

static void query_fail(IfAddrQuery *qy, const IfAddrNic *nic, const char *fmt, ...)
        G_GNUC_PRINTF(3, 4);

static void query_fail(IfAddrQuery *qy, const IfAddrNic *nic, const char *fmt, ...) {
        g_auto(VkError) e = VK_ERROR_INIT;
        g_autofree char *why = NULL;
        va_list ap;

        if (qy->done)
                return;
        va_start(ap, fmt);
        why = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -EREMOTEIO,
                            "interface '%s': network '%s': %s", nic->name, nic->network, why);
        vk_error_add_param(&e, "network", nic->network);
        qy->on_done(NULL, 0, &e, qy->userdata);
        query_end(qy);
}

static void query_reply(IfAddrQuery *qy) {
        g_autoptr(GArray) items = g_array_new(FALSE, TRUE, sizeof(IfAddr));

        for (guint i = 0; i < qy->nics->len; i++) {
                IfAddrNic *nic = qy->nics->pdata[i];

                for (guint k = 0; k < nic->addrs->len; k++)
                        g_array_append_val(items, *(IfAddr *) nic->addrs->pdata[k]);
        }
        qy->on_done((const VkQemudIfAddr *) items->data, items->len, NULL, qy->userdata);
        query_end(qy);
}

static void query_on_leases(VkVarlinkClient *cl, JsonObject *params, const char *error,
                            bool continues, void *userdata) {
        IfAddrNic *nic = userdata;
        IfAddrQuery *qy = nic->owner;
        JsonNode *node;
        JsonArray *leases;

        qy->n_pending--;
        if (qy->done)
                return;
        if (error) {
                const char *msg =
                        params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;

                query_fail(qy, nic, NETWORKD_NAME " at %s: %s%s%s", qy->socket, error,
                           msg ? ": " : "", msg ? msg : "");
                return;
        }
        node = params ? json_object_get_member(params, "leases") : NULL;
        leases = node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
        for (guint i = 0; leases && i < json_array_get_length(leases); i++) {
                JsonNode *e = json_array_get_element(leases, i);
                JsonObject *lo = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
                const char *ip = lo ? vk_json_object_get_string_member_or_null(lo, "ip") : NULL;
                IfAddr *a;

                if (!ip)
                        continue;
                a = g_new0(IfAddr, 1);
                a->name = g_strdup(nic->name);
                a->hwaddr = g_strdup(nic->mac);
                a->type = g_strdup(strchr(ip, ':') ? "ipv6" : "ipv4");
                a->addr = g_strdup(ip);
                a->prefix = json_object_get_int_member_with_default(lo, "prefix", 0);
                g_ptr_array_add(nic->addrs, a);
        }
        if (qy->n_pending == 0)
                query_reply(qy);
}

static int query_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        IfAddrQuery *qy = userdata;

        qy->timer = sd_event_source_disable_unref(qy->timer);
        query_fail(qy, qy->nics->pdata[0], NETWORKD_NAME " at %s did not answer in time",
                   qy->socket);
        return 0;
}

static JsonNode *leases_params(const IfAddrNic *nic) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "network");
        json_builder_add_string_value(b, nic->network);
        json_builder_set_member_name(b, "mac");
        json_builder_add_string_value(b, nic->mac);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/*
 * The addresses networkd's DHCP leases give the running domain @obj's type='network'
 * interfaces, asked from the loop: @done gets them (in the order of the interfaces) or an
 * error naming the network, once; it may run before this returns. Returns 0, or -errno with
 * @reterr when @obj does not run (@done is not called then).
 */
int vk_qemud_ifaddr_query(VkQemud *q, VkDomainObj *obj, VkQemudIfAddrFunc done, void *userdata,
                          VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        IfAddrQuery *qy;
        int r;

        if (!vk_domain_obj_is_active(obj) || !obj->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain '%s' is not running", obj->name);

        qy = g_new0(IfAddrQuery, 1);
        qy->nics = g_ptr_array_new_with_free_func((GDestroyNotify) nic_free);
        for (size_t i = 0; i < obj->live->n_nets; i++) {
                const VkDomainNet *net = obj->live->nets[i];
                IfAddrNic *nic;
                char mac[18];

                if (net->type != VK_NET_TYPE_NETWORK || !net->source)
                        continue;
                vk_domain_mac_format(net->mac, mac);
                nic = g_new0(IfAddrNic, 1);
                nic->owner = qy;
                nic->name = g_strdup(net->target_dev ? net->target_dev : "-");
                nic->mac = g_strdup(mac);
                nic->network = g_strdup(net->source);
                nic->addrs = g_ptr_array_new_with_free_func((GDestroyNotify) ifaddr_free);
                g_ptr_array_add(qy->nics, nic);
        }
        qy->on_done = done;
        qy->userdata = userdata;
        qy->event = sd_event_ref(q->event);
        qy->socket = g_strdup(q->network_socket);
        if (qy->nics->len == 0) {
                query_reply(qy);
                return 0;
        }
        r = q->network_socket
                    ? vk_varlink_client_connect(q->event, q->network_socket, &qy->client, &err)
                    : -ENOTCONN;
        for (guint i = 0; r >= 0 && i < qy->nics->len; i++) {
                g_autoptr(JsonNode) lp = leases_params(qy->nics->pdata[i]);

                r = vk_varlink_client_call(qy->client, "io.virtkit.Network.GetDHCPLeases", lp, 0,
                                           query_on_leases, qy->nics->pdata[i]);
                if (r >= 0)
                        qy->n_pending++;
        }
        if (r >= 0)
                r = sd_event_add_time_relative(q->event, &qy->timer, CLOCK_MONOTONIC,
                                               IFADDR_TIMEOUT_USEC, 0, query_on_timeout, qy);
        if (r < 0) {
                query_fail(qy, qy->nics->pdata[0], NETWORKD_NAME " at %s cannot be reached: %s",
                           vk_strempty(qy->socket), err.message ? err.message : g_strerror(-r));
                return 0;
        }
        return 0;
}

static void api_on_addresses(const VkQemudIfAddr *addrs, size_t n, const VkError *error,
                             void *userdata) {
        VkCall *call = userdata;
        IfAddrResult res = { .addresses = { .items = (void *) addrs, .n = n } };

        if (error)
                (void) vk_call_reply_error(call, error);
        else
                (void) vk_call_reply(call, &res);
        vk_call_unref(call);
}

static int api_interface_addresses(VkCall *call, void *params, void *userdata) {
        const IfAddrParams *p = params;
        VkQemud *q = userdata;
        VkError *e = vk_call_error(call);
        VkDomainObj *obj;
        int r;

        if (p->source && strcmp(p->source, "lease") != 0)
                return vk_error_set(e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "DomainInterfaceAddresses: source '%s' is not supported "
                                    "(only lease)",
                                    p->source);
        r = vk_qemu_driver_lookup(q->driver, p->domain, &obj, e);
        if (r < 0)
                return r;
        r = vk_qemud_ifaddr_query(q, obj, api_on_addresses, vk_call_ref(call), e);
        if (r < 0)
                vk_call_unref(call);
        return r < 0 ? r : 0;
}

const VkMethod vk_qemud_ifaddr_methods[] = {
        { "DomainInterfaceAddresses", &ifaddr_params, &ifaddr_result, api_interface_addresses,
          VK_AUTH_READ, 0,
          "The addresses of a running domain's interfaces: with source lease (the default), "
          "the DHCP leases of its type='network' interfaces, from virtkit-networkd." },
        {},
};
