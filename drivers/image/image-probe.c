/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-probe.c: what an image's header says (format, size, backing file), in-process */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "image-probe.h"

/*
 * Every number in a header is untrusted: offsets and lengths are checked against the file
 * and the buffer before use, loops are bounded, and a header we cannot read whole gives what
 * it did say plus a warning. Nothing here fails on bad data; only a read error fails.
 */

/* The first bytes read of every image: all the magic numbers and fixed headers fit. */
#define PROBE_HEAD 4096
/* qcow2 header extensions live in the first cluster; at most this much of it is read. */
#define PROBE_EXT_MAX       (64 * 1024)
#define PROBE_EXT_COUNT_MAX 1024

#define QCOW_MAGIC                    "QFI\xfb"
#define QCOW2_EXT_END                 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT      0xe2792acau
#define QCOW2_EXT_DATA_FILE           0x44415441u
#define QCOW2_INCOMPAT_DIRTY          (1u << 0)
#define QCOW2_INCOMPAT_CORRUPT        (1u << 1)
#define QCOW2_INCOMPAT_DATA_FILE      (1u << 2)
#define QCOW2_COMPAT_LAZY_REFCOUNTS   (1u << 0)
#define QED_MAGIC                     "QED\0"
#define QED_F_BACKING_FILE            (1u << 0)
#define QED_F_BACKING_FORMAT_NO_PROBE (1u << 2)
#define VMDK_MAGIC                    "KDMV"
#define VDI_SIGNATURE                 0xbeda107fu
#define LUKS_MAGIC                    "LUKS\xba\xbe"

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p + 4) << 32 | le32(p);
}

typedef struct Probe {
        VkImageReadFn read_fn;
        void *userdata;
        uint64_t file_size;
        uint8_t head[PROBE_HEAD];
        size_t head_len;
        VkImageProbe *out;
} Probe;

static void probe_warn(Probe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Keep the first warning: later ones usually follow from it. */
static void probe_warn(Probe *p, const char *fmt, ...) {
        va_list ap;

        if (p->out->warning)
                return;
        va_start(ap, fmt);
        p->out->warning = g_strdup_vprintf(fmt, ap);
        va_end(ap);
}

/* Read exactly @len bytes at @offset (from the head already read, when they are in it): 1
 * done, 0 the file is shorter, < 0 a read error. */
static int probe_read(Probe *p, uint64_t offset, void *buf, size_t len) {
        size_t done = 0;

        if (offset > p->file_size || len > p->file_size - offset)
                return 0;
        if (offset <= p->head_len && len <= p->head_len - offset) {
                memcpy(buf, p->head + offset, len);
                return 1;
        }
        while (done < len) {
                ssize_t n =
                        p->read_fn(p->userdata, offset + done, (uint8_t *) buf + done, len - done);

                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return 0;
                done += (size_t) n;
        }
        return 1;
}

/*
 * A name stored in the image (a backing file): @len bytes at @offset, at most
 * VK_IMAGE_PROBE_NAME_MAX, no NUL inside. Returns 1 with *ret set, 0 when it cannot be
 * read (a warning is set), < 0 on a read error.
 */
static int probe_read_name(Probe *p, const char *what, uint64_t offset, uint64_t len, char **ret) {
        g_autofree char *name = NULL;
        int r;

        if (len == 0 || len > VK_IMAGE_PROBE_NAME_MAX) {
                probe_warn(p, "%s name of %" G_GUINT64_FORMAT " bytes", what, len);
                return 0;
        }
        name = g_malloc0(len + 1);
        r = probe_read(p, offset, name, len);
        if (r < 0)
                return r;
        if (r == 0) {
                probe_warn(p, "%s name past the end of the image", what);
                return 0;
        }
        if (strlen(name) != len) {
                probe_warn(p, "%s name contains a NUL byte", what);
                return 0;
        }
        *ret = g_steal_pointer(&name);
        return 1;
}

static void probe_set_capacity(Probe *p, uint64_t capacity) {
        p->out->has_capacity = true;
        p->out->capacity = capacity;
}

/* Where the header extensions in @buf (@len bytes) end: just past their end marker; 0 when
 * @buf does not hold the end marker (the list goes on past @buf, or is malformed). */
static size_t qcow2_extensions_span(const uint8_t *buf, size_t len) {
        size_t off = 0;

        for (unsigned n = 0; n < PROBE_EXT_COUNT_MAX && len - off >= 8; n++) {
                uint32_t type = be32(buf + off), elen = be32(buf + off + 4);

                off += 8;
                if (type == QCOW2_EXT_END)
                        return off;
                if (elen > len - off)
                        return 0;
                off += (elen + 7u) & ~7u;
                if (off > len)
                        return 0;
        }
        return 0;
}

/* The header extensions in @buf (@len bytes): the backing file's format, the data file. */
static int probe_qcow2_parse_extensions(Probe *p, const uint8_t *buf, size_t len) {
        size_t off = 0;

        for (unsigned n = 0; n < PROBE_EXT_COUNT_MAX; n++) {
                uint32_t type, elen;

                if (len - off < 8) {
                        probe_warn(p, "truncated qcow2 header extensions");
                        return 0;
                }
                type = be32(buf + off);
                elen = be32(buf + off + 4);
                off += 8;
                if (type == QCOW2_EXT_END)
                        return 0;
                if (elen > len - off) {
                        probe_warn(p, "qcow2 header extension 0x%08x runs past the header", type);
                        return 0;
                }
                if (type == QCOW2_EXT_BACKING_FORMAT) {
                        g_autofree char *fmt = g_strndup((const char *) buf + off, elen);
                        int f = vk_image_format_from_string(fmt);

                        if (f < 0 || f == VK_IMAGE_FORMAT_NONE)
                                probe_warn(p, "unknown backing file format '%s'", fmt);
                        else {
                                p->out->has_backing_format = true;
                                p->out->backing_format = f;
                        }
                } else if (type == QCOW2_EXT_DATA_FILE && elen > 0 &&
                           elen <= VK_IMAGE_PROBE_NAME_MAX && !memchr(buf + off, 0, elen)) {
                        g_free(p->out->data_file);
                        p->out->data_file = g_strndup((const char *) buf + off, elen);
                }
                off += (elen + 7u) & ~7u;
                if (off > len)
                        off = len;
        }
        probe_warn(p, "more than %d qcow2 header extensions", PROBE_EXT_COUNT_MAX);
        return 0;
}

/*
 * qcow2 header extensions, from @start to @end (the first cluster at most). They usually end
 * within the head already read (qemu-img writes a few hundred bytes of them): then nothing
 * more is read; otherwise up to PROBE_EXT_MAX bytes are.
 */
static int probe_qcow2_extensions(Probe *p, uint64_t start, uint64_t end) {
        g_autofree uint8_t *buf = NULL;
        size_t len;
        int r;

        if (end <= start)
                return 0;
        len = (size_t) MIN(end - start, (uint64_t) PROBE_EXT_MAX);
        len = (size_t) MIN((uint64_t) len, p->file_size > start ? p->file_size - start : 0);
        if (len < 8) {
                probe_warn(p, "truncated qcow2 header extensions");
                return 0;
        }
        if (start < p->head_len) {
                size_t span = qcow2_extensions_span(p->head + start,
                                                    MIN(len, p->head_len - (size_t) start));

                if (span > 0)
                        return probe_qcow2_parse_extensions(p, p->head + start, span);
        }
        buf = g_malloc(len);
        r = probe_read(p, start, buf, len);
        if (r <= 0)
                return r;
        return probe_qcow2_parse_extensions(p, buf, len);
}

/*
 * qcow2 (version 2 and 3; qemu's docs/interop/qcow2.txt): big endian; size at 24, cluster
 * bits at 20, crypt method at 32, the backing file name at the offset and size of 8 and 16;
 * version 3 adds feature bits at 72 and 80 and the header length at 100. qcow (version 1)
 * shares the magic: size at 24, cluster bits at 32, crypt method at 36.
 */
static int probe_qcow(Probe *p) {
        const uint8_t *h = p->head;
        VkImageProbe *o = p->out;
        uint64_t backing_off, ext_start, ext_end;
        uint32_t backing_len, crypt;
        int r;

        if (p->head_len < 8) {
                o->format = VK_IMAGE_FORMAT_QCOW2;
                probe_warn(p, "truncated qcow2 header (%zu bytes)", p->head_len);
                return 0;
        }
        o->version = be32(h + 4);
        if (o->version == 1) {
                o->format = VK_IMAGE_FORMAT_QCOW;
                if (p->head_len < 48) {
                        probe_warn(p, "truncated qcow header (%zu bytes)", p->head_len);
                        return 0;
                }
                probe_set_capacity(p, be64(h + 24));
                o->cluster_bits = h[32];
                crypt = be32(h + 36);
                o->crypt = crypt == 1 ? VK_IMAGE_PROBE_CRYPT_AES : VK_IMAGE_PROBE_CRYPT_NONE;
                backing_off = be64(h + 8);
                backing_len = be32(h + 16);
                if (backing_off) {
                        r = probe_read_name(p, "backing file", backing_off, backing_len,
                                            &o->backing);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        o->format = VK_IMAGE_FORMAT_QCOW2;
        if (o->version != 2 && o->version != 3) {
                probe_warn(p, "unknown qcow2 version %u", o->version);
                return 0;
        }
        if (p->head_len < (o->version == 2 ? 72u : 104u)) {
                probe_warn(p, "truncated qcow2 header (%zu bytes)", p->head_len);
                return 0;
        }
        probe_set_capacity(p, be64(h + 24));
        o->cluster_bits = be32(h + 20);
        if (o->cluster_bits < 9 || o->cluster_bits > 21) {
                probe_warn(p, "invalid qcow2 cluster bits %u", o->cluster_bits);
                return 0;
        }
        crypt = be32(h + 32);
        o->crypt = crypt == 1   ? VK_IMAGE_PROBE_CRYPT_AES
                   : crypt == 2 ? VK_IMAGE_PROBE_CRYPT_LUKS
                                : VK_IMAGE_PROBE_CRYPT_NONE;
        if (crypt > 2)
                probe_warn(p, "unknown qcow2 encryption method %u", crypt);
        ext_start = 72;
        if (o->version == 3) {
                uint64_t incompat = be64(h + 72), compat = be64(h + 80);

                o->lazy_refcounts = compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
                if (incompat & QCOW2_INCOMPAT_CORRUPT)
                        probe_warn(p, "the qcow2 image is marked corrupt");
                ext_start = be32(h + 100);
                if (ext_start < 104 || ext_start > PROBE_EXT_MAX) {
                        probe_warn(p, "invalid qcow2 header length %" G_GUINT64_FORMAT, ext_start);
                        return 0;
                }
        }
        backing_off = be64(h + 8);
        backing_len = be32(h + 16);
        /* the extensions end where the backing file name starts, or with the first cluster */
        ext_end = 1ULL << o->cluster_bits;
        if (backing_off && backing_off > ext_start && backing_off < ext_end)
                ext_end = backing_off;
        r = probe_qcow2_extensions(p, ext_start, ext_end);
        if (r < 0)
                return r;
        if (backing_off) {
                r = probe_read_name(p, "backing file", backing_off, backing_len, &o->backing);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* QED: little endian; cluster size at 4, features at 16, image size at 48, backing name at
 * the offset and size of 56 and 60 (present with feature bit 0). */
static int probe_qed(Probe *p) {
        const uint8_t *h = p->head;
        VkImageProbe *o = p->out;
        uint64_t features;
        uint32_t cluster;
        int r;

        o->format = VK_IMAGE_FORMAT_QED;
        if (p->head_len < 64) {
                probe_warn(p, "truncated qed header (%zu bytes)", p->head_len);
                return 0;
        }
        cluster = le32(h + 4);
        if (cluster && !(cluster & (cluster - 1)))
                o->cluster_bits = (unsigned) __builtin_ctz(cluster);
        features = le64(h + 16);
        probe_set_capacity(p, le64(h + 48));
        if (!(features & QED_F_BACKING_FILE))
                return 0;
        if (features & QED_F_BACKING_FORMAT_NO_PROBE) {
                o->has_backing_format = true;
                o->backing_format = VK_IMAGE_FORMAT_RAW;
        }
        r = probe_read_name(p, "backing file", le32(h + 56), le32(h + 60), &o->backing);
        return r < 0 ? r : 0;
}

/*
 * A VMDK descriptor (text): the parent is named by parentFileNameHint="..", a vmdk like its
 * child; with @sizes, the capacity is the sum of the extent lines' sectors
 * ("RW 20480 FLAT "d-flat.vmdk" 0").
 */
static void probe_vmdk_descriptor(Probe *p, const char *desc, bool sizes) {
        g_auto(GStrv) lines = g_strsplit(desc, "\n", 1024);
        uint64_t sectors = 0;
        bool extents = false;

        for (char **l = lines; *l; l++) {
                const char *line = *l;

                if (g_str_has_prefix(line, "parentFileNameHint=\"") && !p->out->backing) {
                        const char *start = line + strlen("parentFileNameHint=\"");
                        const char *end = strchr(start, '"');

                        if (end && end > start && end - start <= VK_IMAGE_PROBE_NAME_MAX) {
                                p->out->backing = g_strndup(start, end - start);
                                p->out->has_backing_format = true;
                                p->out->backing_format = VK_IMAGE_FORMAT_VMDK;
                        }
                } else if (sizes &&
                           (g_str_has_prefix(line, "RW ") || g_str_has_prefix(line, "RDONLY ") ||
                            g_str_has_prefix(line, "NOACCESS "))) {
                        const char *n = strchr(line, ' ') + 1;
                        char *end = NULL;
                        guint64 v = g_ascii_strtoull(n, &end, 10);

                        if (end == n || *end != ' ' || v > (UINT64_MAX / 512) - sectors) {
                                probe_warn(p, "invalid vmdk extent line");
                                return;
                        }
                        sectors += v;
                        extents = true;
                }
        }
        if (sizes && extents)
                probe_set_capacity(p, sectors * 512);
        else if (sizes)
                probe_warn(p, "vmdk descriptor without extents");
}

/* VMDK sparse extent ("KDMV"): capacity in sectors at 12, little endian. A parent (backing)
 * is named by parentFileNameHint= in the embedded descriptor (offset and size in sectors at
 * 28 and 36). */
static int probe_vmdk(Probe *p) {
        const uint8_t *h = p->head;
        uint64_t desc_off, desc_len;
        g_autofree char *desc = NULL;
        int r;

        p->out->format = VK_IMAGE_FORMAT_VMDK;
        if (p->head_len < 44) {
                probe_warn(p, "truncated vmdk header (%zu bytes)", p->head_len);
                return 0;
        }
        if (le64(h + 12) > UINT64_MAX / 512) {
                probe_warn(p, "invalid vmdk capacity");
                return 0;
        }
        probe_set_capacity(p, le64(h + 12) * 512);
        desc_off = le64(h + 28);
        desc_len = le64(h + 36);
        if (desc_off == 0 || desc_len == 0 || desc_len > 128 || desc_off > UINT64_MAX / 512)
                return 0;
        desc = g_malloc0(desc_len * 512 + 1);
        r = probe_read(p, desc_off * 512, desc, desc_len * 512);
        if (r < 0)
                return r;
        if (r == 0) {
                probe_warn(p, "vmdk descriptor past the end of the image");
                return 0;
        }
        probe_vmdk_descriptor(p, desc, false);
        return 0;
}

/* VDI: the signature at 64, the disk size at 368 (header version 1.1), little endian. */
static void probe_vdi(Probe *p) {
        p->out->format = VK_IMAGE_FORMAT_VDI;
        if (p->head_len < 376) {
                probe_warn(p, "truncated vdi header (%zu bytes)", p->head_len);
                return;
        }
        probe_set_capacity(p, le64(p->head + 368));
}

/* LUKS1: the payload starts at the sector number at 104 (big endian); the volume is the rest
 * of the file. LUKS2 keeps that in JSON, and qemu's luks driver does not read it. */
static void probe_luks(Probe *p) {
        uint64_t payload;

        p->out->format = VK_IMAGE_FORMAT_LUKS;
        p->out->crypt = VK_IMAGE_PROBE_CRYPT_LUKS;
        if (p->head_len < 108) {
                probe_warn(p, "truncated LUKS header (%zu bytes)", p->head_len);
                return;
        }
        if (be16(p->head + 6) != 1) {
                probe_warn(p, "LUKS version %u: qemu reads LUKS1 only", be16(p->head + 6));
                return;
        }
        payload = (uint64_t) be32(p->head + 104) * 512;
        if (payload > p->file_size) {
                probe_warn(p, "LUKS payload offset past the end of the image");
                return;
        }
        probe_set_capacity(p, p->file_size - payload);
}

/* VPC (VHD) with its footer copy at the start (dynamic disks): current size at 48, BE. */
static void probe_vpc(Probe *p) {
        p->out->format = VK_IMAGE_FORMAT_VPC;
        if (p->head_len < 56) {
                probe_warn(p, "truncated vpc footer (%zu bytes)", p->head_len);
                return;
        }
        probe_set_capacity(p, be64(p->head + 48));
}

/* GUIDs as VHDX stores them: the first three fields little endian */
static const uint8_t vhdx_metadata_region[16] = { 0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
                                                  0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e };
static const uint8_t vhdx_virtual_disk_size[16] = {
        0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
        0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8
};

#define VHDX_REGION_TABLE 0x30000
#define VHDX_TABLE_SIZE   0x10000

/*
 * VHDX: the region table at 192 KiB ("regi", entries of GUID, offset, length from 16) finds
 * the metadata region; its table ("metadata", entries from 32 of GUID, offset, length) finds
 * the Virtual Disk Size item, a little endian 64-bit number. Returns 1 with *ret, 0 when the
 * structures are not there.
 */
static int probe_vhdx_capacity(Probe *p, uint64_t *ret) {
        g_autofree uint8_t *t = g_malloc(VHDX_TABLE_SIZE);
        uint64_t meta_off = 0;
        uint32_t n;
        int r;

        r = probe_read(p, VHDX_REGION_TABLE, t, VHDX_TABLE_SIZE);
        if (r <= 0 || memcmp(t, "regi", 4) != 0)
                return r;
        n = le32(t + 8);
        for (uint32_t i = 0; i < n && 16 + (i + 1) * 32 <= VHDX_TABLE_SIZE; i++) {
                const uint8_t *e = t + 16 + i * 32;

                if (memcmp(e, vhdx_metadata_region, 16) == 0)
                        meta_off = le64(e + 16);
        }
        if (!meta_off)
                return 0;
        r = probe_read(p, meta_off, t, VHDX_TABLE_SIZE);
        if (r <= 0 || memcmp(t, "metadata", 8) != 0)
                return r;
        n = t[10] | t[11] << 8;
        for (uint32_t i = 0; i < n && 32 + (i + 1) * 32 <= VHDX_TABLE_SIZE; i++) {
                const uint8_t *e = t + 32 + i * 32;
                uint8_t v[8];

                if (memcmp(e, vhdx_virtual_disk_size, 16) != 0)
                        continue;
                if (le32(e + 20) < 8)
                        return 0;
                r = probe_read(p, meta_off + le32(e + 16), v, sizeof(v));
                if (r <= 0)
                        return r;
                *ret = le64(v);
                return 1;
        }
        return 0;
}

/*
 * Probe an image through @read_fn (@file_size bytes long) into *@ret (vk_image_probe_done()
 * it): the format from the magic numbers qemu-img knows (qcow2, qcow, qed, vmdk, vdi, vhdx,
 * vpc, luks, an ISO 9660 filesystem), else raw; the virtual capacity; the backing file and
 * its format as the header records them; what could not be read as a warning. Returns 0, or
 * the read function's negative errno (then *@ret is cleared).
 */
int vk_image_probe(VkImageReadFn read_fn, void *userdata, uint64_t file_size, VkImageProbe *ret) {
        g_autofree Probe *p = g_new0(Probe, 1);
        ssize_t n;
        int r = 0;

        assert(read_fn && ret);
        *ret = (VkImageProbe){ .format = VK_IMAGE_FORMAT_RAW };
        p->read_fn = read_fn;
        p->userdata = userdata;
        p->file_size = file_size;
        p->out = ret;

        while (p->head_len < MIN((uint64_t) PROBE_HEAD, file_size)) {
                n = read_fn(userdata, p->head_len, p->head + p->head_len,
                            MIN((uint64_t) PROBE_HEAD, file_size) - p->head_len);
                if (n < 0) {
                        vk_image_probe_done(ret);
                        return (int) n;
                }
                if (n == 0)
                        break;
                p->head_len += (size_t) n;
        }

        if (p->head_len >= 4 && memcmp(p->head, QCOW_MAGIC, 4) == 0)
                r = probe_qcow(p);
        else if (p->head_len >= 4 && memcmp(p->head, QED_MAGIC, 4) == 0)
                r = probe_qed(p);
        else if (p->head_len >= 4 && memcmp(p->head, VMDK_MAGIC, 4) == 0)
                r = probe_vmdk(p);
        else if (p->head_len >= 21 && memcmp(p->head, "# Disk DescriptorFile", 21) == 0) {
                /* a descriptor file of at most the bytes read (qemu's limit is smaller) */
                g_autofree char *desc = g_strndup((const char *) p->head, p->head_len);

                p->out->format = VK_IMAGE_FORMAT_VMDK;
                probe_vmdk_descriptor(p, desc, true);
        } else if (p->head_len >= 68 && le32(p->head + 64) == VDI_SIGNATURE)
                probe_vdi(p);
        else if (p->head_len >= 8 && memcmp(p->head, "vhdxfile", 8) == 0) {
                uint64_t cap = 0;

                ret->format = VK_IMAGE_FORMAT_VHDX;
                r = probe_vhdx_capacity(p, &cap);
                if (r > 0)
                        probe_set_capacity(p, cap);
                else if (r == 0)
                        probe_warn(p, "cannot read the vhdx metadata");
                r = MIN(r, 0);
        } else if (p->head_len >= 8 && memcmp(p->head, "conectix", 8) == 0)
                probe_vpc(p);
        else if (p->head_len >= 6 && memcmp(p->head, LUKS_MAGIC, 6) == 0)
                probe_luks(p);
        else {
                uint8_t iso[5];

                r = probe_read(p, 0x8001, iso, sizeof(iso));
                if (r > 0 && memcmp(iso, "CD001", 5) == 0)
                        ret->format = VK_IMAGE_FORMAT_ISO;
                if (r >= 0) {
                        r = 0;
                        probe_set_capacity(p, file_size);
                }
        }
        if (r < 0) {
                vk_image_probe_done(ret);
                return r;
        }
        return 0;
}

static ssize_t probe_buffer_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        const GBytes *b = userdata;
        gsize size;
        const uint8_t *data = g_bytes_get_data((GBytes *) b, &size);

        if (offset >= size)
                return 0;
        len = MIN(len, (size_t) (size - offset));
        memcpy(buf, data + offset, len);
        return (ssize_t) len;
}

/* vk_image_probe() of an image held in memory (@len bytes: the whole file). */
int vk_image_probe_buffer(const void *buf, size_t len, VkImageProbe *ret) {
        g_autoptr(GBytes) b = g_bytes_new_static(buf, len);

        return vk_image_probe(probe_buffer_read, b, len, ret);
}

static ssize_t probe_fd_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        int fd = *(int *) userdata;
        ssize_t n;

        do
                n = pread(fd, buf, len, (off_t) offset);
        while (n < 0 && errno == EINTR);
        return n < 0 ? vk_negative_errno(errno) : n;
}

/*
 * vk_image_probe() of the open file @fd, @file_size bytes long (its st_size, or a block
 * device's size). Reads a few kilobytes with pread(): cheap enough for the loop on a local
 * file. Returns 0 or a negative errno of the read.
 */
int vk_image_probe_fd(int fd, uint64_t file_size, VkImageProbe *ret) {
        assert(fd >= 0);
        return vk_image_probe(probe_fd_read, &fd, file_size, ret);
}

/* Free what *@p holds and zero it. */
void vk_image_probe_done(VkImageProbe *p) {
        g_free(p->backing);
        g_free(p->data_file);
        g_free(p->warning);
        *p = (VkImageProbe){};
}
