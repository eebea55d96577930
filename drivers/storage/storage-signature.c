/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-signature.c: whether a device already holds a filesystem, a PV or a partition table */
#include <assert.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "storage-signature.h"

/*
 * Building a pool writes a filesystem or an LVM label over a device. mke2fs asks before it
 * overwrites a filesystem only on a terminal, and pvcreate's question is answered by whatever
 * stdin holds, so the driver looks first: without "overwrite", a device with any of these
 * signatures is refused. The magic numbers are the ones each format documents (the same that
 * blkid looks for); the list covers what a pool device is likely to hold.
 */
typedef struct Signature {
        uint64_t offset;
        const char *magic;
        size_t len;
        const char *what;
} Signature;

static const Signature signatures[] = {
        { 1024 + 56, "\x53\xef", 2, "an ext2/ext3/ext4 filesystem" },
        { 0, "XFSB", 4, "an XFS filesystem" },
        { 65536 + 64, "_BHRfS_M", 8, "a btrfs filesystem" },
        { 512 + 24, "LVM2 001", 8, "an LVM physical volume" },
        { 0, "LUKS\xba\xbe", 6, "a LUKS volume" },
        { 0, "SKUL\xba\xbe", 6, "a LUKS2 volume" },
        { 4096 - 10, "SWAPSPACE2", 10, "swap space" },
        { 0x8001, "CD001", 5, "an ISO 9660 filesystem" },
        { 512, "EFI PART", 8, "a GPT partition table" },
        { 54, "FAT1", 4, "a FAT filesystem" },
        { 82, "FAT32   ", 8, "a FAT filesystem" },
};

/*
 * Look for a filesystem, LVM, LUKS, swap or partition table signature through @read_fn on a
 * device of @size bytes. Returns 1 with *@ret_what ("an XFS filesystem"; static) when one is
 * found, 0 when none is, or the read function's negative errno. An MBR boot signature alone
 * counts as a partition table only with a non-empty partition entry.
 */
int vk_storage_signature(VkImageReadFn read_fn, void *userdata, uint64_t size,
                         const char **ret_what) {
        uint8_t buf[16], mbr[512];

        assert(read_fn && ret_what);
        for (size_t i = 0; i < VK_ELEMENTSOF(signatures); i++) {
                const Signature *s = &signatures[i];
                ssize_t n;

                if (s->offset + s->len > size)
                        continue;
                n = read_fn(userdata, s->offset, buf, s->len);
                if (n < 0)
                        return (int) n;
                if ((size_t) n == s->len && memcmp(buf, s->magic, s->len) == 0) {
                        *ret_what = s->what;
                        return 1;
                }
        }
        if (size >= sizeof(mbr)) {
                ssize_t n = read_fn(userdata, 0, mbr, sizeof(mbr));

                if (n < 0)
                        return (int) n;
                if (n == (ssize_t) sizeof(mbr) && mbr[510] == 0x55 && mbr[511] == 0xaa)
                        for (int p = 0; p < 4; p++)
                                if (mbr[446 + p * 16 + 4] != 0) { /* a partition type */
                                        *ret_what = "a partition table";
                                        return 1;
                                }
        }
        return 0;
}

static ssize_t signature_fd_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        ssize_t n;

        do
                n = pread(*(int *) userdata, buf, len, (off_t) offset);
        while (n < 0 && errno == EINTR);
        return n < 0 ? vk_negative_errno(errno) : n;
}

/*
 * vk_storage_signature() of the file or block device @path. Returns 1 (found, *@ret_what
 * set), 0 (none) or a negative errno with @reterr set.
 */
int vk_storage_signature_path(const char *path, const char **ret_what, VkError *reterr) {
        vk_autofd fd = -1;
        struct stat st;
        uint64_t size = 0;
        int r;

        assert(path && ret_what);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", path);
        if (fstat(fd, &st) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", path);
        if (S_ISREG(st.st_mode))
                size = (uint64_t) st.st_size;
        else if (!S_ISBLK(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "'%s' is neither a block device nor a file", path);
        else if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to get the size of '%s'", path);
        r = vk_storage_signature(signature_fd_read, &fd, size, ret_what);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to read '%s'", path);
        return r;
}
