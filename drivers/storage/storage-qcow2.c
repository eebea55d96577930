/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-qcow2.c: a new, empty qcow2 image written in-process, as `qemu-img create` writes it */
#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "storage-qcow2.h"

/*
 * `qemu-img create -f qcow2` of an empty image (no preallocation, no encryption) costs a
 * fork and exec of a program that maps dozens of libraries, for a few hundred kilobytes of
 * metadata. The common images, the ones every new VM disk starts as, are written here instead,
 * byte for byte what QEMU 7.2's qemu-img writes (qemu's docs/interop/qcow2.txt for the format;
 * tests/unit/storage/test-storage-qcow2.c compares the two, byte for byte, for each kind):
 *
 *   cluster 0     the header (version 2 for compat 0.10, 3 for 1.1), for version 3 the
 *                 feature name table extension, the end of the extensions
 *   cluster 1     the refcount table: one entry, cluster 2
 *   cluster 2     the refcount block (16-bit refcounts): 1 for each cluster in use
 *   cluster 3...  the L1 table, all zero, just long enough for the capacity; the file ends
 *                 with its last entry
 *
 * Clusters are 64 KiB. Anything else is left to qemu-img: a backing store (qemu-img opens it
 * and refuses one it cannot read), preallocation, encryption, nocow, other cluster sizes, an
 * unknown compat, more than 1 MiB of metadata; vk_storage_qcow2_can_write() says which.
 */

#define QCOW2_MAGIC             0x514649fbu
#define QCOW2_V2_HEADER_LEN     72u
#define QCOW2_V3_HEADER_LEN     112u /* with the compression type and its padding */
#define QCOW2_REFCOUNT_ORDER    4u   /* 16-bit refcounts, qemu-img's default */
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_COMPAT_LAZY       (1u << 0)
#define QCOW2_CLUSTER_BITS      16u
#define QCOW2_CLUSTER_SIZE      (1u << QCOW2_CLUSTER_BITS)
/* Bigger images (past 52 TiB) are left to qemu-img: the handler writes them synchronously. */
#define QCOW2_INLINE_MAX (1024u * 1024u)

/* The feature name table of QEMU 7.2 (type, bit, name). */
static const struct {
        uint8_t type, bit;
        const char *name;
} qcow2_features[] = {
        { 0, 0, "dirty bit" },
        { 0, 1, "corrupt bit" },
        { 0, 2, "external data file" },
        { 0, 3, "compression type" },
        { 0, 4, "extended L2 entries" },
        { 1, 0, "lazy refcounts" },
        { 2, 0, "bitmaps" },
        { 2, 1, "raw external data" },
};
#define QCOW2_FEATURE_NAME_LEN 46u

static void put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

static void put_be32(uint8_t *p, uint32_t v) {
        put_be16(p, (uint16_t) (v >> 16));
        put_be16(p + 2, (uint16_t) v);
}

static void put_be64(uint8_t *p, uint64_t v) {
        put_be32(p, (uint32_t) (v >> 32));
        put_be32(p + 4, (uint32_t) v);
}

/* What the image is made of: the length of each part. */
typedef struct Qcow2Layout {
        unsigned version;
        uint64_t size;     /* the capacity, rounded up to 512 as qemu-img does */
        uint64_t l1_size;  /* entries */
        uint64_t clusters; /* in use: header, refcount table, refcount block, L1 */
        uint64_t file_len;
} Qcow2Layout;

/* @vol's layout; false when it is not one this file writes. */
static bool qcow2_layout(const VkStorageVolDef *vol, Qcow2Layout *ret) {
        const uint64_t l2_span = (uint64_t) QCOW2_CLUSTER_SIZE * (QCOW2_CLUSTER_SIZE / 8);
        Qcow2Layout l = {};

        if (vol->format != VK_IMAGE_FORMAT_QCOW2 || !vol->path || !vol->has_capacity ||
            vol->capacity == 0 || vol->capacity > UINT64_MAX / 2 || vol->backing_path ||
            vol->encryption.present || vol->nocow ||
            (vol->cluster_size && vol->cluster_size != QCOW2_CLUSTER_SIZE))
                return false;
        /* preallocation (storage-argv.c asks falloc for an allocation up to the capacity) */
        if (vol->has_allocation && vol->allocation > 0 && vol->allocation >= vol->capacity)
                return false;
        if (!vol->compat || strcmp(vol->compat, "1.1") == 0)
                l.version = 3;
        else if (strcmp(vol->compat, "0.10") == 0 && !vol->lazy_refcounts)
                l.version = 2;
        else
                return false; /* qemu-img says what is wrong */
        l.size = (vol->capacity + 511u) & ~(uint64_t) 511u;
        l.l1_size = (l.size + l2_span - 1) / l2_span;
        l.clusters = 3 + (l.l1_size * 8 + QCOW2_CLUSTER_SIZE - 1) / QCOW2_CLUSTER_SIZE;
        l.file_len = 3 * QCOW2_CLUSTER_SIZE + l.l1_size * 8;
        /* small enough to write in the handler (and one refcount block counts it all) */
        if (l.file_len > QCOW2_INLINE_MAX)
                return false;
        *ret = l;
        return true;
}

/* Whether vk_storage_qcow2_create() writes @vol (defaults filled, checked), not qemu-img. */
bool vk_storage_qcow2_can_write(const VkStorageVolDef *vol) {
        Qcow2Layout l;

        assert(vol);
        return qcow2_layout(vol, &l);
}

/* Cluster 0 of @vol's image (@buf: a cluster, zeroed). */
static void qcow2_fill_header(const VkStorageVolDef *vol, const Qcow2Layout *l, uint8_t *buf) {
        size_t off;

        put_be32(buf, QCOW2_MAGIC);
        put_be32(buf + 4, l->version);
        /* 8: no backing file (its offset), 16: (its length) */
        put_be32(buf + 20, QCOW2_CLUSTER_BITS);
        put_be64(buf + 24, l->size);
        /* 32: no encryption */
        put_be32(buf + 36, (uint32_t) l->l1_size);
        put_be64(buf + 40, 3 * QCOW2_CLUSTER_SIZE);
        put_be64(buf + 48, QCOW2_CLUSTER_SIZE);
        put_be32(buf + 56, 1);
        /* 60: no snapshots, 64: their table's offset */
        if (l->version == 2)
                return; /* no extensions: their end is the zeros that follow */
        /* 72: incompatible features, 88: autoclear features, 104: zlib compression */
        put_be64(buf + 80, vol->lazy_refcounts ? QCOW2_COMPAT_LAZY : 0);
        put_be32(buf + 96, QCOW2_REFCOUNT_ORDER);
        put_be32(buf + 100, QCOW2_V3_HEADER_LEN);
        off = QCOW2_V3_HEADER_LEN;
        put_be32(buf + off, QCOW2_EXT_FEATURE_TABLE);
        put_be32(buf + off + 4, (uint32_t) (G_N_ELEMENTS(qcow2_features) * 48));
        off += 8;
        for (size_t i = 0; i < G_N_ELEMENTS(qcow2_features); i++, off += 48) {
                buf[off] = qcow2_features[i].type;
                buf[off + 1] = qcow2_features[i].bit;
                strncpy((char *) buf + off + 2, qcow2_features[i].name, QCOW2_FEATURE_NAME_LEN);
        }
        /* then the end of the extensions: 8 zeros */
}

/*
 * The bytes of @vol's new image (vk_storage_qcow2_can_write() must be true): *@ret_len of
 * them, the whole file. For tests; vk_storage_qcow2_create() writes them.
 */
uint8_t *vk_storage_qcow2_image(const VkStorageVolDef *vol, size_t *ret_len) {
        Qcow2Layout l;
        uint8_t *buf;

        if (!qcow2_layout(vol, &l))
                return NULL;
        buf = g_malloc0(l.file_len);
        qcow2_fill_header(vol, &l, buf);
        put_be64(buf + QCOW2_CLUSTER_SIZE, 2 * QCOW2_CLUSTER_SIZE);
        for (uint64_t i = 0; i < l.clusters; i++)
                put_be16(buf + 2 * QCOW2_CLUSTER_SIZE + 2 * i, 1);
        *ret_len = l.file_len;
        return buf;
}

/*
 * Write @vol's new image into @fd (an empty file: the volume's, just made), then fdatasync()
 * it, as qemu-img does before it exits. Returns 0, or < 0 with @reterr naming the path.
 */
int vk_storage_qcow2_create(int fd, const VkStorageVolDef *vol, VkError *reterr) {
        g_autofree uint8_t *buf = NULL;
        size_t len = 0, done = 0;

        assert(fd >= 0 && vol);
        buf = vk_storage_qcow2_image(vol, &len);
        if (!buf)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                    "volume '%s': not an image written in-process", vol->name);
        while (done < len) {
                ssize_t n = pwrite(fd, buf + done, len - done, (off_t) done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return vk_error_set_errno(reterr, n < 0 ? errno : EIO,
                                                  "Failed to write '%s'", vol->path);
                done += (size_t) n;
        }
        if (fdatasync(fd) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to sync '%s'", vol->path);
        return 0;
}
