/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-stats.c: org.libvirt.Domain.GetStats from what the host knows of the QEMU process */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "libvirt-internal.h"
#include "macro.h"
#include "qemu-process.h"
#include "sd-glue.h"

/* virDomainStatsTypes */
enum {
        STATS_STATE = 1 << 0,
        STATS_CPU_TOTAL = 1 << 1,
        STATS_BALLOON = 1 << 2,
        STATS_VCPU = 1 << 3,
        STATS_INTERFACE = 1 << 4,
        STATS_BLOCK = 1 << 5,
};

static int stats_append(sd_bus_message *m, const char *key, char type, const void *value) {
        char sig[2] = { type, 0 };
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        /* libvirt-dbus wraps each value in a second variant */
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "v");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', sig);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, type, value);
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

/* The resident memory of QEMU @pid in KiB (VmRSS), or 0 when unknown. */
static uint64_t domain_rss_kib(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *text = NULL;
        const char *line;

        if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
                return 0;
        line = strstr(text, "\nVmRSS:");
        return line ? g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10) : 0;
}

/*
 * The CPU time of each vCPU thread of QEMU @pid in ns, by index into @times (@n of them):
 * QEMU names them "CPU <index>/<accelerator>" (we start it with debug-threads=on). Returns
 * how many were found.
 */
static unsigned stats_vcpu_times(pid_t pid, unsigned n, uint64_t *times) {
        g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int) pid);
        long hz = sysconf(_SC_CLK_TCK);
        g_autoptr(GDir) d = NULL;
        const char *tid;
        unsigned found = 0;

        d = g_dir_open(dir, 0, NULL);
        while (d && (tid = g_dir_read_name(d))) {
                g_autofree char *comm_path = g_strdup_printf("%s/%s/comm", dir, tid);
                g_autofree char *stat_path = g_strdup_printf("%s/%s/stat", dir, tid);
                g_autofree char *comm = NULL, *stat = NULL;
                unsigned long long utime, stime;
                const char *end;
                unsigned index;

                if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
                    sscanf(comm, "CPU %u/", &index) != 1 || index >= n ||
                    !g_file_get_contents(stat_path, &stat, NULL, NULL))
                        continue;
                /* after "pid (comm) ": state and 10 more fields, then utime and stime */
                end = strrchr(stat, ')');
                if (!end ||
                    sscanf(end + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                           &utime, &stime) != 2)
                        continue;
                times[index] = (utime + stime) *
                               (1000000000ULL / (hz > 0 ? (unsigned long long) hz : 100));
                found++;
        }
        return found;
}

/*
 * The sizes of a disk image that is a regular file @path: allocation (bytes on disk), physical
 * (file size), capacity (what the guest sees: the file size for raw, the header's size for
 * qcow2, unknown (0) otherwise). Returns false when @path is no regular file we can read.
 */
static bool stats_disk_sizes(const char *path, VkDiskFormat format, uint64_t *ret_allocation,
                             uint64_t *ret_physical, uint64_t *ret_capacity) {
        uint8_t header[32];
        struct stat st;
        vk_autofd fd = -EBADF;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        *ret_allocation = (uint64_t) st.st_blocks * 512;
        *ret_physical = (uint64_t) st.st_size;
        *ret_capacity = format == VK_DISK_FORMAT_QCOW2 ? 0 : (uint64_t) st.st_size;
        /* qcow2: "QFI\xfb", version, backing file offset and size, cluster bits, then the
         * virtual size at byte 24, all big-endian */
        if (format == VK_DISK_FORMAT_QCOW2 &&
            pread(fd, header, sizeof(header), 0) == sizeof(header) &&
            memcmp(header, "QFI\xfb", 4) == 0)
                for (int i = 24; i < 32; i++)
                        *ret_capacity = *ret_capacity << 8 | header[i];
        return true;
}

/*
 * The "stats" of QEMU's query-blockstats entry of disk @i of @n: its format node is
 * "libvirt-<n - i>-format" (qemu-argv-disk.c numbers them as libvirt does). NULL: none.
 */
static JsonObject *stats_qmp_disk(JsonArray *blockstats, size_t i, size_t n) {
        g_autofree char *node = g_strdup_printf("libvirt-%zu-format", n - i);

        for (guint k = 0; blockstats && k < json_array_get_length(blockstats); k++) {
                JsonNode *e = json_array_get_element(blockstats, k);
                JsonObject *o = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
                const char *name =
                        o ? vk_json_object_get_string_member_or_null(o, "node-name") : NULL;
                JsonNode *st = o ? json_object_get_member(o, "stats") : NULL;

                if (g_strcmp0(name, node) == 0 && st && JSON_NODE_HOLDS_OBJECT(st))
                        return json_node_get_object(st);
        }
        return NULL;
}

/* The I/O counters of one disk from its query-blockstats "stats", in libvirt's key names. */
static int stats_block_io(sd_bus_message *reply, uint32_t i, JsonObject *st) {
        static const char *const keys[][2] = {
                { "rd.reqs", "rd_operations" },     { "rd.bytes", "rd_bytes" },
                { "rd.times", "rd_total_time_ns" }, { "wr.reqs", "wr_operations" },
                { "wr.bytes", "wr_bytes" },         { "wr.times", "wr_total_time_ns" },
                { "fl.reqs", "flush_operations" },  { "fl.times", "flush_total_time_ns" },
        };
        int r = 0;

        for (size_t k = 0; r >= 0 && k < G_N_ELEMENTS(keys); k++) {
                g_autofree char *key = g_strdup_printf("block.%u.%s", i, keys[k][0]);
                uint64_t v;

                if (!json_object_has_member(st, keys[k][1]))
                        continue;
                v = (uint64_t) json_object_get_int_member(st, keys[k][1]);
                r = stats_append(reply, key, 't', &v);
        }
        return r;
}

/*
 * The block group: each disk by target name, with its path and sizes where we can tell them,
 * and its I/O counters from QEMU's query-blockstats (@blockstats; NULL while shut off).
 */
static int stats_block(sd_bus_message *reply, const VkDomainDef *def, JsonArray *blockstats) {
        uint32_t n = def ? (uint32_t) def->n_disks : 0;
        int r;

        r = stats_append(reply, "block.count", 'u', &n);
        for (uint32_t i = 0; r >= 0 && i < n; i++) {
                const VkDomainDisk *disk = def->disks[i];
                g_autofree char *name = g_strdup_printf("block.%u.name", i);
                g_autofree char *path = g_strdup_printf("block.%u.path", i);
                uint64_t sizes[3];
                static const char *const size_keys[] = { "allocation", "physical", "capacity" };

                r = stats_append(reply, name, 's', disk->target_dev ? disk->target_dev : "");
                JsonObject *io = stats_qmp_disk(blockstats, i, n);

                if (r >= 0 && io)
                        r = stats_block_io(reply, i, io);
                /* D-Bus strings are UTF-8: a path that is not has no block.N.path */
                if (r >= 0 && disk->src_path && g_utf8_validate(disk->src_path, -1, NULL))
                        r = stats_append(reply, path, 's', disk->src_path);
                if (r < 0 || !disk->src_path || disk->type != VK_DISK_TYPE_FILE ||
                    !stats_disk_sizes(disk->src_path, disk->format, &sizes[0], &sizes[1],
                                      &sizes[2]))
                        continue;
                for (size_t k = 0; r >= 0 && k < G_N_ELEMENTS(size_keys); k++) {
                        g_autofree char *key = g_strdup_printf("block.%u.%s", i, size_keys[k]);

                        if (k < 2 || sizes[k] > 0)
                                r = stats_append(reply, key, 't', &sizes[k]);
                }
        }
        return r;
}

/* The state, cpu, balloon and vcpu groups. */
static int stats_common(sd_bus_message *reply, VkDomainObj *obj, const VkQemuDomainInfo *info,
                        uint32_t stats) {
        int r = 0;

        if (r >= 0 && (stats & STATS_STATE)) {
                int32_t state = vk_libvirt_state_number(info->state);
                int32_t reason = vk_libvirt_reason_number(info->state, info->reason);

                r = stats_append(reply, "state.state", 'i', &state);
                if (r >= 0)
                        r = stats_append(reply, "state.reason", 'i', &reason);
        }
        if (r >= 0 && (stats & STATS_CPU_TOTAL) && vk_domain_obj_is_active(obj))
                r = stats_append(reply, "cpu.time", 't', &info->cpu_time_ns);
        if (r >= 0 && (stats & STATS_BALLOON)) {
                uint64_t rss = obj->process ? domain_rss_kib(obj->process->pid) : 0;

                r = stats_append(reply, "balloon.current", 't', &info->memory_kib);
                if (r >= 0)
                        r = stats_append(reply, "balloon.maximum", 't', &info->max_memory_kib);
                /* what Cockpit shows as the memory a VM uses */
                if (r >= 0 && rss > 0)
                        r = stats_append(reply, "balloon.rss", 't', &rss);
        }
        if (r >= 0 && (stats & STATS_VCPU)) {
                uint32_t n = info->vcpus;

                g_autofree uint64_t *times = g_new0(uint64_t, n ? n : 1);

                r = stats_append(reply, "vcpu.current", 'u', &n);
                if (r >= 0)
                        r = stats_append(reply, "vcpu.maximum", 'u', &n);
                /* per vCPU while QEMU runs: its state (VIR_VCPU_RUNNING) and CPU time */
                if (r >= 0 && obj->process && stats_vcpu_times(obj->process->pid, n, times) == n)
                        for (uint32_t i = 0; r >= 0 && i < n; i++) {
                                g_autofree char *state_key = g_strdup_printf("vcpu.%u.state", i);
                                g_autofree char *time_key = g_strdup_printf("vcpu.%u.time", i);
                                int32_t running = 1;

                                r = stats_append(reply, state_key, 'i', &running);
                                if (r >= 0)
                                        r = stats_append(reply, time_key, 't', &times[i]);
                        }
        }
        return r;
}

/* One counter of /sys/class/net/@dev/statistics, or -1. */
static int64_t stats_net_counter(const char *dev, const char *name) {
        g_autofree char *path = g_strdup_printf("/sys/class/net/%s/statistics/%s", dev, name);
        g_autofree char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -1;
        return (int64_t) g_ascii_strtoull(text, NULL, 10);
}

/*
 * The interface group of a running domain: each NIC by its host device (the tap), with the
 * tap's counters seen from the guest (what the host sends, the guest receives), as libvirt
 * reports them for taps.
 */
static int stats_net(sd_bus_message *reply, const VkDomainDef *def) {
        static const char *const keys[][2] = {
                { "rx.bytes", "tx_bytes" }, { "rx.pkts", "tx_packets" },
                { "rx.errs", "tx_errors" }, { "rx.drop", "tx_dropped" },
                { "tx.bytes", "rx_bytes" }, { "tx.pkts", "rx_packets" },
                { "tx.errs", "rx_errors" }, { "tx.drop", "rx_dropped" },
        };
        uint32_t n = def ? (uint32_t) def->n_nets : 0;
        int r;

        r = stats_append(reply, "net.count", 'u', &n);
        for (uint32_t i = 0; r >= 0 && i < n; i++) {
                const VkDomainNet *net = def->nets[i];
                g_autofree char *name = g_strdup_printf("net.%u.name", i);

                if (!net->target_dev || !g_utf8_validate(net->target_dev, -1, NULL))
                        continue;
                r = stats_append(reply, name, 's', net->target_dev);
                for (size_t k = 0; r >= 0 && k < G_N_ELEMENTS(keys); k++) {
                        g_autofree char *key = g_strdup_printf("net.%u.%s", i, keys[k][0]);
                        int64_t v = stats_net_counter(net->target_dev, keys[k][1]);
                        uint64_t u = (uint64_t) v;

                        if (v >= 0)
                                r = stats_append(reply, key, 't', &u);
                }
        }
        return r;
}

/* A GetStats reply waiting for QEMU's query-blockstats. */
typedef struct StatsQuery {
        VkCall *call;
        sd_bus_message *reply; /* the a{sv} is open */
        VkDomainObj *obj;
} StatsQuery;

/* Close @reply's a{sv} and send it (or the error @r). */
static void stats_finish(VkCall *call, sd_bus_message *reply, int r) {
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0) {
                (void) vk_call_reply_message(call, reply);
                return;
        }
        g_auto(VkError) e = VK_ERROR_INIT;

        vk_error_set_errno(&e, r, "cannot build the statistics");
        (void) vk_libvirt_fail(call, &e);
}

static void stats_on_blockstats(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                void *userdata) {
        StatsQuery *sq = userdata;
        JsonArray *blockstats =
                !error && ret && JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;
        VkDomainObj *obj = sq->obj;

        /* without QEMU's answer (it ended meanwhile) the group has no counters */
        stats_finish(sq->call, sq->reply,
                     stats_block(sq->reply, obj->live ? obj->live : obj->def, blockstats));
        sd_bus_message_unref(sq->reply);
        vk_domain_obj_unref(sq->obj);
        vk_call_unref(sq->call);
        g_free(sq);
}

/*
 * virDomainListGetStats of one domain: the state, cpu, balloon, vcpu, interface and block
 * groups; the block group's I/O counters come from QEMU (asked from the loop).
 */
int vk_libvirt_domain_get_stats(VkCall *call, void *params, void *userdata) {
        g_autoptr(sd_bus_message) reply = NULL;
        VkQemuDomainInfo info;
        uint32_t stats, flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        VkQmpClient *qmp;
        int r;

        r = vk_libvirt_read(call, "uu", &stats, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        r = vk_qemu_driver_get_info(q->driver, obj->uuid_str, &info, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        if (stats == 0)
                stats = UINT32_MAX;
        r = sd_bus_message_new_method_return(vk_call_get_bus_message(call), &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = stats_common(reply, obj, &info, stats);
        if (r >= 0 && (stats & STATS_INTERFACE) && vk_domain_obj_is_active(obj))
                r = stats_net(reply, obj->live ? obj->live : obj->def);
        qmp = obj->process && vk_domain_obj_is_active(obj) ? obj->process->qmp : NULL;
        if (r >= 0 && (stats & STATS_BLOCK) && qmp && vk_qmp_client_is_ready(qmp)) {
                StatsQuery *sq = g_new0(StatsQuery, 1);

                sq->call = vk_call_ref(call);
                sq->reply = g_steal_pointer(&reply);
                sq->obj = vk_domain_obj_ref(obj);
                r = vk_qmp_execute(qmp, "query-blockstats", NULL, stats_on_blockstats, sq, NULL,
                                   NULL);
                if (r < 0) /* never called back: the group without counters */
                        stats_on_blockstats(qmp, NULL, NULL, sq);
                return 0;
        }
        if (r >= 0 && (stats & STATS_BLOCK))
                r = stats_block(reply, obj->live ? obj->live : obj->def, NULL);
        stats_finish(call, reply, r);
        return 0;
}
