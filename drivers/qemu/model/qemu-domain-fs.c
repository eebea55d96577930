/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-fs.c: <filesystem type='mount'>: a host directory shared over 9p or virtio-fs */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_fs_driver, VkFsDriver, _VK_FS_DRIVER_MAX, NULL, "path", "handle", "virtiofs")
VK_DOMAIN_ENUM_IMPL(vk_fs_access, VkFsAccessMode, _VK_FS_ACCESS_MAX, NULL, "passthrough", "mapped",
                    "squash")
VK_DOMAIN_ENUM_IMPL(vk_fs_wrpolicy, VkFsWrpolicy, _VK_FS_WRPOLICY_MAX, NULL, "immediate")
VK_DOMAIN_ENUM_IMPL(vk_fs_multidevs, VkFsMultidevs, _VK_FS_MULTIDEVS_MAX, "default", "remap",
                    "forbid", "warn")
VK_DOMAIN_ENUM_IMPL(vk_fs_cache, VkFsCache, _VK_FS_CACHE_MAX, NULL, "none", "always")
VK_DOMAIN_ENUM_IMPL(vk_fs_sandbox, VkFsSandbox, _VK_FS_SANDBOX_MAX, NULL, "namespace", "chroot")

/* Free @fs; takes NULL, returns NULL. */
VkDomainFs *vk_domain_fs_free(VkDomainFs *fs) {
        if (!fs)
                return NULL;
        g_free(fs->source_dir);
        g_free(fs->target_dir);
        g_free(fs->binary_path);
        vk_domain_device_info_clear(&fs->info);
        g_free(fs);
        return NULL;
}

/* fmode=/dmode=: an octal file mode, at most 0777 */
static int fs_parse_mode(xmlNode *node, const char *attr, unsigned *ret, VkError *reterr) {
        g_autofree char *s = NULL;
        char *end = NULL;
        unsigned long v;
        int r;

        r = vk_xml_prop_string(node, attr, 0, &s, reterr);
        if (r <= 0)
                return r;
        errno = 0;
        v = strtoul(s, &end, 8);
        if (errno != 0 || end == s || *end != '\0' || v > 0777 || v == 0)
                return vk_xml_error(node, attr, reterr, "invalid octal mode '%s' (0001-0777)", s);
        *ret = (unsigned) v;
        return 0;
}

/*
 * <binary path= xattr=><cache mode=/><lock posix= flock=/><sandbox mode=/>
 * <thread_pool size=/></binary>: virtiofsd's settings
 */
static int fs_parse_binary(VkDomainFs *fs, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("path", "xattr"),
                              VK_STRV("cache", "lock", "sandbox", "thread_pool"), reterr);
        if (r >= 0)
                r = vk_xml_check_unique(node, VK_STRV("cache", "lock", "sandbox", "thread_pool"),
                                        reterr);
        if (r >= 0)
                r = vk_xml_prop_string(node, "path", VK_XML_NONZERO, &fs->binary_path, reterr);
        if (r > 0)
                r = vk_domain_check_path(node, "path", fs->binary_path, reterr);
        if (r >= 0)
                r = vk_xml_prop_tristate_switch(node, "xattr", 0, &fs->binary_xattr, reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "cache")) {
                        r = vk_xml_check_node(c, VK_STRV("mode"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "mode", vk_fs_cache_from_string,
                                                     VK_XML_REQUIRED | VK_XML_NONZERO,
                                                     &fs->binary_cache, reterr);
                } else if (vk_xml_node_is(c, NULL, "sandbox")) {
                        r = vk_xml_check_node(c, VK_STRV("mode"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "mode", vk_fs_sandbox_from_string,
                                                     VK_XML_REQUIRED | VK_XML_NONZERO,
                                                     &fs->binary_sandbox, reterr);
                } else if (vk_xml_node_is(c, NULL, "thread_pool")) {
                        r = vk_xml_check_node(c, VK_STRV("size"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_uint(c, "size", VK_XML_REQUIRED,
                                                     &fs->thread_pool_size, reterr);
                        fs->has_thread_pool = r >= 0;
                } else {
                        r = vk_xml_check_node(c, VK_STRV("posix", "flock"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_tristate_switch(c, "posix", 0, &fs->lock_posix,
                                                                reterr);
                        if (r >= 0)
                                r = vk_xml_prop_tristate_switch(c, "flock", 0, &fs->lock_flock,
                                                                reterr);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int fs_parse_children(VkDomainFs *fs, xmlNode *node, VkError *reterr) {
        int r = 0;

        for (xmlNode *c = vk_xml_first_element(node); c && r >= 0; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "driver")) {
                        r = vk_xml_check_node(c, VK_STRV("type", "wrpolicy", "queue"), VK_XML_NONE,
                                              reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "type", vk_fs_driver_from_string,
                                                     VK_XML_NONZERO, &fs->driver, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "wrpolicy", vk_fs_wrpolicy_from_string,
                                                     VK_XML_NONZERO, &fs->wrpolicy, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_uint(c, "queue", VK_XML_NONZERO, &fs->queue_size,
                                                     reterr);
                } else if (vk_xml_node_is(c, NULL, "binary"))
                        r = fs_parse_binary(fs, c, reterr);
                else if (vk_xml_node_is(c, NULL, "source")) {
                        r = vk_xml_check_node(c, VK_STRV("dir"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_string(c, "dir", VK_XML_REQUIRED | VK_XML_NONZERO,
                                                       &fs->source_dir, reterr);
                        if (r >= 0)
                                r = vk_domain_check_path(c, "dir", fs->source_dir, reterr);
                } else if (vk_xml_node_is(c, NULL, "target")) {
                        r = vk_xml_check_node(c, VK_STRV("dir"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_string(c, "dir", VK_XML_REQUIRED | VK_XML_NONZERO,
                                                       &fs->target_dir, reterr);
                        /* QEMU's 9p mount tags are at most 31 bytes; virtio-fs tags 36 */
                        if (r >= 0 &&
                            (strlen(fs->target_dir) > 36 || strpbrk(fs->target_dir, ",= '\"")))
                                r = vk_xml_error(c, "dir", reterr,
                                                 "invalid mount tag '%s' (at most 36 characters, "
                                                 "no commas, quotes or blanks)",
                                                 fs->target_dir);
                } else if (vk_xml_node_is(c, NULL, "readonly")) {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        fs->readonly = true;
                }
        }
        return r;
}

/*
 *   <filesystem type='mount' accessmode='mapped'>
 *     <driver type='path|virtiofs' [wrpolicy='immediate'] [queue='1024']/>
 *     <binary path='/usr/lib/qemu/virtiofsd' xattr='on'>...</binary>
 *     <source dir='/srv/share'/> <target dir='share'/> [<readonly/>]
 *   </filesystem>
 */
int vk_domain_fs_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainFs) fs = g_new0(VkDomainFs, 1);
        g_autofree char *type = NULL;
        int r;

        r = vk_xml_check_node(
                node, VK_STRV("type", "accessmode", "multidevs", "fmode", "dmode"),
                VK_STRV("driver", "binary", "source", "target", "readonly", "alias", "address"),
                reterr);
        if (r >= 0)
                r = vk_xml_check_unique(
                        node, VK_STRV("driver", "binary", "source", "target", "readonly"), reterr);
        if (r >= 0)
                r = vk_xml_prop_string(node, "type", 0, &type, reterr);
        if (r < 0)
                return r;
        if (type && strcmp(type, "mount") != 0)
                return vk_xml_error(node, "type", reterr,
                                    "filesystem type '%s' is not supported (only 'mount': a host "
                                    "directory)",
                                    type);
        if (vk_xml_prop_enum(node, "accessmode", vk_fs_access_from_string, VK_XML_NONZERO,
                             &fs->accessmode, reterr) < 0 ||
            vk_xml_prop_enum(node, "multidevs", vk_fs_multidevs_from_string, 0, &fs->multidevs,
                             reterr) < 0 ||
            fs_parse_mode(node, "fmode", &fs->fmode, reterr) < 0 ||
            fs_parse_mode(node, "dmode", &fs->dmode, reterr) < 0)
                return -EINVAL;
        r = fs_parse_children(fs, node, reterr);
        if (r < 0)
                return r;
        if (!fs->source_dir)
                return vk_xml_error(node, NULL, reterr, "missing <source dir=>");
        if (!fs->target_dir)
                return vk_xml_error(node, NULL, reterr, "missing <target dir=>");
        if (fs->driver == VK_FS_DRIVER_HANDLE)
                return vk_xml_error(node, NULL, reterr,
                                    "<driver type='handle'> is not supported: QEMU 6.0 removed "
                                    "the handle fsdriver (use 'path')");
        if (fs->driver == VK_FS_DRIVER_VIRTIOFS) {
                if (fs->accessmode != VK_FS_ACCESS_DEFAULT &&
                    fs->accessmode != VK_FS_ACCESS_PASSTHROUGH)
                        return vk_xml_error(node, "accessmode", reterr,
                                            "virtiofs supports accessmode='passthrough' only");
                if (fs->readonly)
                        return vk_xml_error(node, NULL, reterr,
                                            "<readonly/> is not supported with virtiofs");
                if (fs->wrpolicy || fs->multidevs || fs->fmode || fs->dmode)
                        return vk_xml_error(node, NULL, reterr,
                                            "wrpolicy, multidevs, fmode and dmode are 9p "
                                            "settings, not virtiofs ones");
        } else {
                if (vk_xml_child(node, "binary") || fs->queue_size)
                        return vk_xml_error(node, NULL, reterr,
                                            "<binary> and <driver queue=> need "
                                            "<driver type='virtiofs'>");
                if ((fs->fmode || fs->dmode) && fs->accessmode != VK_FS_ACCESS_MAPPED)
                        return vk_xml_error(node, fs->fmode ? "fmode" : "dmode", reterr,
                                            "only allowed with accessmode='mapped'");
        }
        r = vk_domain_parse_device_info(node, flags, /* allow_boot= */ false, &fs->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->filesystems, def->n_filesystems, g_steal_pointer(&fs));
        return 0;
}

void vk_domain_fs_format(VkXmlWriter *w, const VkDomainFs *fs, unsigned flags) {
        vk_xml_writer_start(w, "filesystem");
        vk_xml_writer_attr(w, "type", "mount");
        vk_xml_writer_attr(w, "accessmode", vk_fs_access_to_string(fs->accessmode));
        if (fs->multidevs)
                vk_xml_writer_attr(w, "multidevs", vk_fs_multidevs_to_string(fs->multidevs));
        if (fs->fmode)
                vk_xml_writer_attrf(w, "fmode", "%04o", fs->fmode);
        if (fs->dmode)
                vk_xml_writer_attrf(w, "dmode", "%04o", fs->dmode);
        if (fs->driver || fs->wrpolicy || fs->queue_size) {
                vk_xml_writer_start(w, "driver");
                vk_xml_writer_attr(w, "type", vk_fs_driver_to_string(fs->driver));
                if (fs->queue_size)
                        vk_xml_writer_attrf(w, "queue", "%u", fs->queue_size);
                vk_xml_writer_attr(w, "wrpolicy", vk_fs_wrpolicy_to_string(fs->wrpolicy));
                vk_xml_writer_end(w);
        }
        if (fs->binary_path || fs->binary_xattr || fs->binary_cache || fs->lock_posix ||
            fs->lock_flock || fs->binary_sandbox || fs->has_thread_pool) {
                vk_xml_writer_start(w, "binary");
                vk_xml_writer_attr(w, "path", fs->binary_path);
                vk_xml_writer_attr(w, "xattr", vk_tristate_switch_to_string(fs->binary_xattr));
                if (fs->binary_cache) {
                        vk_xml_writer_start(w, "cache");
                        vk_xml_writer_attr(w, "mode", vk_fs_cache_to_string(fs->binary_cache));
                        vk_xml_writer_end(w);
                }
                if (fs->lock_posix || fs->lock_flock) {
                        vk_xml_writer_start(w, "lock");
                        vk_xml_writer_attr(w, "posix",
                                           vk_tristate_switch_to_string(fs->lock_posix));
                        vk_xml_writer_attr(w, "flock",
                                           vk_tristate_switch_to_string(fs->lock_flock));
                        vk_xml_writer_end(w);
                }
                if (fs->binary_sandbox) {
                        vk_xml_writer_start(w, "sandbox");
                        vk_xml_writer_attr(w, "mode", vk_fs_sandbox_to_string(fs->binary_sandbox));
                        vk_xml_writer_end(w);
                }
                if (fs->has_thread_pool) {
                        vk_xml_writer_start(w, "thread_pool");
                        vk_xml_writer_attrf(w, "size", "%u", fs->thread_pool_size);
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        vk_xml_writer_start(w, "source");
        vk_xml_writer_attr(w, "dir", fs->source_dir);
        vk_xml_writer_end(w);
        vk_xml_writer_start(w, "target");
        vk_xml_writer_attr(w, "dir", fs->target_dir);
        vk_xml_writer_end(w);
        if (fs->readonly) {
                vk_xml_writer_start(w, "readonly");
                vk_xml_writer_end(w);
        }
        vk_domain_format_device_info(w, &fs->info, flags);
        vk_xml_writer_end(w);
}

/* Whether the guest's RAM can be shared with another process (vhost-user needs it). */
static bool fs_memory_shared(const VkDomainDef *def) {
        bool cells_shared = def->cpu.n_numa_cells > 0;

        for (size_t i = 0; i < def->cpu.n_numa_cells; i++) {
                VkMemAccess a = def->cpu.numa_cells[i].mem_access;

                if (a == VK_MEM_ACCESS_DEFAULT)
                        a = def->memory_backing.access;
                cells_shared = cells_shared && a == VK_MEM_ACCESS_SHARED;
        }
        return cells_shared ||
               (def->cpu.n_numa_cells == 0 && def->memory_backing.access == VK_MEM_ACCESS_SHARED);
}

/*
 * Post-parse of the filesystems: virtiofs defaults to accessmode='passthrough' (as libvirt
 * writes it), needs the guest's memory shared (<memoryBacking><access mode='shared'/>, or
 * every NUMA cell memAccess='shared'), mount tags are unique, addresses are PCI ones.
 */
int vk_domain_fs_post_parse(VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                VkDomainFs *fs = def->filesystems[i];
                VkAddressType t = fs->info.addr.type;

                if (t != VK_ADDRESS_NONE && t != VK_ADDRESS_PCI)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/devices/filesystem[%zu]/address/@type: a "
                                            "filesystem cannot have an address of type '%s'",
                                            i + 1, vk_address_type_to_string(t));
                for (size_t j = 0; j < i; j++)
                        if (strcmp(def->filesystems[j]->target_dir, fs->target_dir) == 0)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/devices/filesystem[%zu]/target/@dir: "
                                                    "mount tag '%s' is used twice",
                                                    i + 1, fs->target_dir);
                if (fs->driver != VK_FS_DRIVER_VIRTIOFS)
                        continue;
                if (fs->accessmode == VK_FS_ACCESS_DEFAULT)
                        fs->accessmode = VK_FS_ACCESS_PASSTHROUGH;
                if (!fs_memory_shared(def))
                        return vk_error_set(
                                reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                "/domain/devices/filesystem[%zu]: virtiofs needs the "
                                "guest's memory shared with virtiofsd: add "
                                "<memoryBacking><access mode='shared'/></memoryBacking> "
                                "(with <source type='memfd'/>)",
                                i + 1);
        }
        return 0;
}

static VkDomainFs *fs_copy(const VkDomainFs *src) {
        VkDomainFs *fs = g_memdup2(src, sizeof(*src));

        fs->source_dir = g_strdup(src->source_dir);
        fs->target_dir = g_strdup(src->target_dir);
        fs->binary_path = g_strdup(src->binary_path);
        fs->info.alias = g_strdup(src->info.alias);
        return fs;
}

/* Replace @def's filesystems, smartcards and vsock (of a struct copy) by copies. */
void vk_domain_fs_copy_devices(VkDomainDef *def) {
        VkDomainFs **fss = def->filesystems;
        VkDomainSmartcard **scs = def->smartcards;

        def->filesystems = def->n_filesystems ? g_new(VkDomainFs *, def->n_filesystems) : NULL;
        for (size_t i = 0; i < def->n_filesystems; i++)
                def->filesystems[i] = fs_copy(fss[i]);
        def->smartcards = def->n_smartcards ? g_new(VkDomainSmartcard *, def->n_smartcards) : NULL;
        for (size_t i = 0; i < def->n_smartcards; i++)
                def->smartcards[i] = vk_domain_smartcard_copy(scs[i]);
        if (def->vsock) {
                def->vsock = g_memdup2(def->vsock, sizeof(*def->vsock));
                def->vsock->info.alias = g_strdup(def->vsock->info.alias);
        }
}
