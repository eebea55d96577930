/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-fs.c: filesystems (9p, virtio-fs), smartcards, vsock */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/* ---- <filesystem> ---- */

static const char *argv_fs_security_model(VkFsAccessMode mode) {
        switch (mode) {
        case VK_FS_ACCESS_MAPPED:
                return "mapped";
        case VK_FS_ACCESS_SQUASH:
                return "none";
        default:
                return "passthrough";
        }
}

/* 9p: -fsdev local,... then virtio-9p-pci */
static int argv_build_fs_9p(ArgvBuilder *b, const VkDomainFs *fs, const char *alias) {
        g_autofree char *path = argv_escape(fs->source_dir);
        g_autofree char *fsdev = g_strdup_printf("fsdev-%s", alias);
        g_autoptr(GString) s = g_string_new("local");
        g_autofree char *what = g_strdup_printf("filesystem '%s'", alias);
        JsonObject *o;

        if (fs->wrpolicy == VK_FS_WRPOLICY_IMMEDIATE)
                g_string_append(s, ",writeout=immediate");
        g_string_append_printf(s, ",security_model=%s", argv_fs_security_model(fs->accessmode));
        if (fs->multidevs)
                g_string_append_printf(s, ",multidevs=%s",
                                       vk_fs_multidevs_to_string(fs->multidevs));
        if (fs->fmode)
                g_string_append_printf(s, ",fmode=%04o", fs->fmode);
        if (fs->dmode)
                g_string_append_printf(s, ",dmode=%04o", fs->dmode);
        g_string_append_printf(s, ",id=%s,path=%s", fsdev, path);
        if (fs->readonly)
                g_string_append(s, ",readonly=on");
        argv_add_pair(b, "-fsdev", s->str);

        o = argv_device_new("virtio-9p-pci");
        argv_jset_str(o, "id", alias);
        argv_jset_str(o, "fsdev", fsdev);
        argv_jset_str(o, "mount_tag", fs->target_dir);
        return argv_add_device_at(b, alias, o, &fs->info, what, 0);
}

/* virtio-fs: QEMU connects to virtiofsd's socket (<private dir>/ALIAS-fs.sock, the runtime
 * starts virtiofsd on it), then vhost-user-fs-pci */
static int argv_build_fs_virtiofs(ArgvBuilder *b, const VkDomainFs *fs, const char *alias) {
        g_autofree char *dir = argv_escape(b->opts->private_dir);
        g_autofree char *chr = g_strdup_printf("chr-vu-%s", alias);
        g_autofree char *what = g_strdup_printf("filesystem '%s'", alias);
        JsonObject *o;

        argv_add(b, "-chardev");
        argv_addf(b, "socket,id=%s,path=%s/%s-fs.sock", chr, dir, alias);
        o = argv_device_new("vhost-user-fs-pci");
        argv_jset_str(o, "id", alias);
        argv_jset_str(o, "chardev", chr);
        if (fs->queue_size)
                argv_jset_int(o, "queue-size", fs->queue_size);
        argv_jset_str(o, "tag", fs->target_dir);
        return argv_add_device_at(b, alias, o, &fs->info, what, 0);
}

/* The filesystems, after the disks, as libvirt 9.0. */
int argv_build_filesystems(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_filesystems; i++) {
                const VkDomainFs *fs = def->filesystems[i];
                g_autofree char *alias = argv_alias(&fs->info, "fs%zu", i);
                int r;

                if (fs->driver == VK_FS_DRIVER_VIRTIOFS)
                        r = argv_build_fs_virtiofs(b, fs, alias);
                else
                        r = argv_build_fs_9p(b, fs, alias);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- <smartcard> ---- */

/* The cards on their CCID controllers, after the NICs, as libvirt 9.0. */
int argv_build_smartcards(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_smartcards; i++) {
                const VkDomainSmartcard *sc = def->smartcards[i];
                g_autofree char *alias = argv_alias(&sc->info, "smartcard%zu", i);
                g_autofree char *bus = NULL;
                JsonObject *o;

                if (sc->info.addr.type != VK_ADDRESS_CCID)
                        return argv_error(b, VK_ERROR_INTERNAL, -EINVAL,
                                          "smartcard '%s' has no CCID address", alias);
                bus = g_strdup_printf("ccid%u.0", sc->info.addr.ccid.controller);
                switch (sc->mode) {
                case VK_SMARTCARD_HOST:
                        o = argv_device_new("ccid-card-emulated");
                        argv_jset_str(o, "backend", "nss-emulated");
                        break;
                case VK_SMARTCARD_HOST_CERTIFICATES:
                        o = argv_device_new("ccid-card-emulated");
                        argv_jset_str(o, "backend", "certificates");
                        for (size_t c = 0; c < VK_SMARTCARD_CERTS; c++) {
                                g_autofree char *key = g_strdup_printf("cert%zu", c + 1);

                                argv_jset_str(o, key, sc->certificates[c]);
                        }
                        argv_jset_str(o, "db", sc->database ? sc->database : "/etc/pki/nssdb");
                        break;
                default: {
                        g_autofree char *chr = g_strdup_printf("char%s", alias);

                        argv_add(b, "-chardev");
                        argv_addf(b, "spicevmc,id=%s,name=smartcard", chr);
                        o = argv_device_new("ccid-card-passthru");
                        argv_jset_str(o, "chardev", chr);
                        break;
                }
                }
                argv_jset_str(o, "id", alias);
                argv_jset_str(o, "bus", bus);
                argv_add_device(b, alias, o);
        }
        return 0;
}

/* ---- <vsock> ---- */

/* vhost-vsock-pci on the fd the caller opened, near the end, as libvirt 9.0. */
int argv_build_vsock(ArgvBuilder *b) {
        const VkDomainVsock *v = b->def->vsock;
        g_autofree char *alias = NULL;
        g_autofree char *fd = NULL;
        unsigned cid;
        JsonObject *o;

        if (!v)
                return 0;
        if (!argv_has(b, VK_QEMU_CAPS_VHOST_VSOCK))
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "<vsock> is not supported by this QEMU (no vhost-vsock-pci)");
        cid = v->cid ? v->cid : b->opts->vsock_cid;
        if (cid == 0)
                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                  "<vsock>: no guest CID was reserved for <cid auto='yes'>");
        if (!b->opts->has_vsock_fd)
                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                  "<vsock>: no /dev/vhost-vsock fd was opened for it");
        alias = argv_alias(&v->info, "vsock%d", 0);
        fd = g_strdup_printf("%d", b->opts->vsock_fd);
        o = argv_device_new("vhost-vsock-pci");
        argv_jset_str(o, "id", alias);
        argv_jset_int(o, "guest-cid", cid);
        argv_jset_str(o, "vhostfd", fd);
        return argv_add_device_at(b, alias, o, &v->info, "vsock", 0);
}
