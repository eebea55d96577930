/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-stats.c: org.libvirt.Domain.GetStats from what the host knows of the QEMU process */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

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

/* The block group: each disk by target name, with its path and sizes where we can tell them. */
static int stats_block(sd_bus_message *reply, const VkDomainDef *def) {
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

/* virDomainListGetStats of one domain: the state, cpu, balloon, vcpu and block groups. */
int vk_libvirt_domain_get_stats(VkCall *call, void *params, void *userdata) {
        g_autoptr(sd_bus_message) reply = NULL;
        VkQemuDomainInfo info;
        uint32_t stats, flags;
        VkQemud *q = userdata;
        VkDomainObj *obj;
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
        if (r >= 0 && (stats & STATS_STATE)) {
                int32_t state = vk_libvirt_state_number(info.state);
                int32_t reason = vk_libvirt_reason_number(info.state, info.reason);

                r = stats_append(reply, "state.state", 'i', &state);
                if (r >= 0)
                        r = stats_append(reply, "state.reason", 'i', &reason);
        }
        if (r >= 0 && (stats & STATS_CPU_TOTAL) && vk_domain_obj_is_active(obj))
                r = stats_append(reply, "cpu.time", 't', &info.cpu_time_ns);
        if (r >= 0 && (stats & STATS_BALLOON)) {
                uint64_t rss = obj->process ? domain_rss_kib(obj->process->pid) : 0;

                r = stats_append(reply, "balloon.current", 't', &info.memory_kib);
                if (r >= 0)
                        r = stats_append(reply, "balloon.maximum", 't', &info.max_memory_kib);
                /* what Cockpit shows as the memory a VM uses */
                if (r >= 0 && rss > 0)
                        r = stats_append(reply, "balloon.rss", 't', &rss);
        }
        if (r >= 0 && (stats & STATS_VCPU)) {
                uint32_t n = info.vcpus;

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
        if (r >= 0 && (stats & STATS_BLOCK))
                r = stats_block(reply, obj->live ? obj->live : obj->def);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}
