/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-argv.c: the qemu-img command lines that create, clone and resize volumes */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-argv.h"

/*
 * qemu-img takes -o and --object values as QemuOpts, where a comma separates options: a comma
 * inside a value is written twice.
 */
static void opts_append_value(GString *s, const char *v) {
        for (const char *p = v; *p; p++) {
                if (*p == ',')
                        g_string_append_c(s, ',');
                g_string_append_c(s, *p);
        }
}

static void opts_add(GString *s, const char *key, const char *value) {
        if (s->len > 0)
                g_string_append_c(s, ',');
        g_string_append(s, key);
        g_string_append_c(s, '=');
        opts_append_value(s, value);
}

static char *argv_size(uint64_t bytes) {
        return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

static void argv_add(GPtrArray *a, const char *s) {
        g_ptr_array_add(a, g_strdup(s));
}

static char **argv_steal(GPtrArray *a) {
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static int argv_check_secret(const VkStorageVolDef *vol, const char *secret_path, VkError *reterr) {
        if (vol->encryption.present && !secret_path)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s' is encrypted: its passphrase is needed",
                                    vol->name);
        if (!vol->encryption.present && secret_path)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s' is not encrypted: no passphrase is used",
                                    vol->name);
        return 0;
}

/* --object secret,id=sec0,file=PATH,format=raw: the passphrase is the file's bytes */
static void argv_add_secret(GPtrArray *a, const char *secret_path) {
        g_autoptr(GString) s = g_string_new("secret,id=" VK_STORAGE_SECRET_ID ",file=");

        opts_append_value(s, secret_path);
        g_string_append(s, ",format=raw");
        argv_add(a, "--object");
        argv_add(a, s->str);
}

/*
 * The qemu-img driver a volume is written with: raw with LUKS encryption is qemu's "luks"
 * format (libvirt's spelling: format raw, <encryption format='luks'>).
 */
static const char *argv_driver(const VkStorageVolDef *vol) {
        if (vol->format == VK_IMAGE_FORMAT_RAW && vol->encryption.present)
                return "luks";
        return vk_image_format_to_string(vol->format);
}

/*
 * preallocation= from <allocation>: the capacity (or more) is falloc, the blocks reserved but
 * not written; anything less is sparse. For qcow2 a partial allocation is what libvirt's
 * vol-dumpxml reports of a live image and grows on demand, so it asks for nothing (raw
 * refuses it in vk_storage_vol_def_check_new()).
 */
static const char *argv_preallocation(const VkStorageVolDef *vol) {
        if (vol->has_allocation && vol->allocation > 0 && vol->allocation >= vol->capacity)
                return "falloc";
        return NULL;
}

/* The -o options of a new image, in a fixed order. */
static void argv_create_options(const VkStorageVolDef *vol, GString *o) {
        const char *prealloc = argv_preallocation(vol);

        if (vol->format == VK_IMAGE_FORMAT_QCOW2) {
                if (vol->compat)
                        opts_add(o, "compat", vol->compat);
                if (vol->cluster_size) {
                        g_autofree char *cs = argv_size(vol->cluster_size);

                        opts_add(o, "cluster_size", cs);
                }
                if (vol->lazy_refcounts)
                        opts_add(o, "lazy_refcounts", "on");
        }
        if (prealloc)
                opts_add(o, "preallocation", prealloc);
        if (vol->nocow)
                opts_add(o, "nocow", "on");
        if (vol->encryption.present) {
                if (vol->format == VK_IMAGE_FORMAT_QCOW2) {
                        opts_add(o, "encrypt.format", "luks");
                        opts_add(o, "encrypt.key-secret", VK_STORAGE_SECRET_ID);
                } else
                        opts_add(o, "key-secret", VK_STORAGE_SECRET_ID);
        }
}

/* --image-opts of an existing encrypted volume: its driver, its key's secret object, its file */
static void argv_encrypted_image_opts(const VkStorageVolDef *vol, GString *o) {
        opts_add(o, "driver", argv_driver(vol));
        opts_add(o, vol->format == VK_IMAGE_FORMAT_QCOW2 ? "encrypt.key-secret" : "key-secret",
                 VK_STORAGE_SECRET_ID);
        opts_add(o, "file.filename", vol->path);
}

static int argv_check_file_vol(const VkStorageVolDef *vol, VkError *reterr) {
        if (!vol->path || vol->format == VK_IMAGE_FORMAT_NONE)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s' is not a file volume with a path and a format",
                                    vol->name);
        return 0;
}

/*
 * qemu-img create for @vol (defaults filled and checked with vk_storage_vol_def_check_new()):
 *
 *   qemu-img create -f qcow2 [--object secret,...] [-b BACKING -F FORMAT]
 *            [-o compat=1.1,cluster_size=N,lazy_refcounts=on,preallocation=..,nocow=on,
 *                encrypt.format=luks,encrypt.key-secret=sec0] PATH BYTES
 *
 * Raw volumes are made by qemu-img too (not in-process): one code path for every format, run
 * as a child so a fully allocated raw file never blocks the loop. The backing store must have
 * a known format (qemu-img refuses to guess it). Returns 0 with *@ret_argv (g_strfreev).
 */
int vk_storage_qemu_img_create_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                    const char *secret_path, char ***ret_argv, VkError *reterr) {
        g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) o = g_string_new(NULL);
        int r;

        assert(tools && vol && ret_argv);

        r = argv_check_file_vol(vol, reterr);
        if (r < 0)
                return r;
        r = argv_check_secret(vol, secret_path, reterr);
        if (r < 0)
                return r;
        if (!vol->has_capacity || vol->capacity == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s' needs a capacity above 0", vol->name);
        if (vol->backing_path && !vol->has_backing_format)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s': the format of backing store '%s' is not known",
                                    vol->name, vol->backing_path);

        argv_add(a, tools->qemu_img);
        argv_add(a, "create");
        argv_add(a, "-f");
        argv_add(a, argv_driver(vol));
        if (secret_path)
                argv_add_secret(a, secret_path);
        if (vol->backing_path) {
                argv_add(a, "-b");
                argv_add(a, vol->backing_path);
                argv_add(a, "-F");
                argv_add(a, vk_image_format_to_string(vol->backing_format));
        }
        argv_create_options(vol, o);
        if (o->len > 0) {
                argv_add(a, "-o");
                argv_add(a, o->str);
        }
        argv_add(a, vol->path);
        g_ptr_array_add(a, argv_size(vol->capacity));
        *ret_argv = argv_steal(g_steal_pointer(&a));
        return 0;
}

/*
 * qemu-img convert making @dst a full copy of @src (a clone flattens @src's backing chain):
 *
 *   qemu-img convert -p -f SRCFMT -O DSTFMT [--object secret,...] [-o options] SRC DST
 *
 * @secret_path is @dst's passphrase; an encrypted @src is not supported yet, nor a backing
 * store for @dst (the copy stands alone). The capacity of the copy is @src's.
 */
int vk_storage_qemu_img_convert_argv(const VkStorageTools *tools, const VkStorageVolDef *src,
                                     const VkStorageVolDef *dst, const char *secret_path,
                                     char ***ret_argv, VkError *reterr) {
        g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) o = g_string_new(NULL);
        int r;

        assert(tools && src && dst && ret_argv);

        r = argv_check_file_vol(src, reterr);
        if (r >= 0)
                r = argv_check_file_vol(dst, reterr);
        if (r >= 0)
                r = argv_check_secret(dst, secret_path, reterr);
        if (r < 0)
                return r;
        if (src->encryption.present)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "cloning the encrypted volume '%s' is not supported",
                                    src->name);
        if (dst->backing_path)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "volume '%s': a clone is a full copy and has no backing "
                                    "store",
                                    dst->name);

        argv_add(a, tools->qemu_img);
        argv_add(a, "convert");
        argv_add(a, "-p"); /* progress on stdout */
        argv_add(a, "-f");
        argv_add(a, argv_driver(src));
        argv_add(a, "-O");
        argv_add(a, argv_driver(dst));
        if (secret_path)
                argv_add_secret(a, secret_path);
        argv_create_options(dst, o);
        if (o->len > 0) {
                argv_add(a, "-o");
                argv_add(a, o->str);
        }
        argv_add(a, src->path);
        argv_add(a, dst->path);
        *ret_argv = argv_steal(g_steal_pointer(&a));
        return 0;
}

/*
 * qemu-img resize of @vol to @capacity bytes:
 *
 *   qemu-img resize [--object secret,...] -f FMT | --image-opts driver=..,file.filename=..
 *            [--preallocation=falloc] [--shrink] PATH|OPTS BYTES
 *
 * A smaller capacity needs VK_STORAGE_RESIZE_SHRINK (the data past the end is lost), and only
 * then is --shrink given. An encrypted volume is opened with its secret through --image-opts.
 */
int vk_storage_qemu_img_resize_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                    uint64_t capacity, unsigned flags, const char *secret_path,
                                    char ***ret_argv, VkError *reterr) {
        g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
        int r;

        assert(tools && vol && ret_argv);

        r = argv_check_file_vol(vol, reterr);
        if (r >= 0)
                r = argv_check_secret(vol, secret_path, reterr);
        if (r < 0)
                return r;
        if (capacity == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s': a capacity of 0 is not allowed", vol->name);
        if (capacity < vol->capacity && !(flags & VK_STORAGE_RESIZE_SHRINK))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s': %" G_GUINT64_FORMAT
                                    " bytes is less than its capacity of %" G_GUINT64_FORMAT
                                    "; shrinking loses data and must be asked for",
                                    vol->name, capacity, vol->capacity);

        argv_add(a, tools->qemu_img);
        argv_add(a, "resize");
        if (secret_path) {
                g_autoptr(GString) o = g_string_new(NULL);

                argv_add_secret(a, secret_path);
                argv_encrypted_image_opts(vol, o);
                argv_add(a, "--image-opts");
                if (flags & VK_STORAGE_RESIZE_ALLOCATE)
                        argv_add(a, "--preallocation=falloc");
                if (capacity < vol->capacity)
                        argv_add(a, "--shrink");
                argv_add(a, o->str);
        } else {
                argv_add(a, "-f");
                argv_add(a, argv_driver(vol));
                if (flags & VK_STORAGE_RESIZE_ALLOCATE)
                        argv_add(a, "--preallocation=falloc");
                if (capacity < vol->capacity)
                        argv_add(a, "--shrink");
                argv_add(a, vol->path);
        }
        g_ptr_array_add(a, argv_size(capacity));
        *ret_argv = argv_steal(g_steal_pointer(&a));
        return 0;
}

/*
 * qemu-img convert writing zeros over all of @vol, in its own format (a qcow2 stays a qcow2
 * of the same capacity, whose clusters now read as zeros; a raw file is zeroed or its blocks
 * discarded): the source is QEMU's null driver reading zeros.
 *
 *   qemu-img convert -p -n --image-opts driver=null-co,size=BYTES,read-zeroes=on -O FMT PATH
 *
 * An encrypted volume (@secret_path its passphrase) keeps its LUKS header and passphrase:
 * the zeros are written through the encryption, so every old sector is overwritten and the
 * volume still opens with its secret:
 *
 *   qemu-img convert -p -n --object secret,... --image-opts driver=null-co,...
 *            --target-image-opts driver=luks,key-secret=sec0,file.filename=PATH
 */
int vk_storage_qemu_img_wipe_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                  const char *secret_path, char ***ret_argv, VkError *reterr) {
        g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *size = NULL;
        g_autoptr(GString) o = g_string_new(NULL);
        int r;

        assert(tools && vol && ret_argv);

        r = argv_check_file_vol(vol, reterr);
        if (r >= 0)
                r = argv_check_secret(vol, secret_path, reterr);
        if (r < 0)
                return r;
        if (vol->format == VK_IMAGE_FORMAT_LUKS)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "volume '%s': a LUKS image is written as format raw with "
                                    "<encryption format='luks'>",
                                    vol->name);
        size = argv_size(vol->capacity);
        opts_add(o, "driver", "null-co");
        opts_add(o, "size", size);
        opts_add(o, "read-zeroes", "on");
        argv_add(a, tools->qemu_img);
        argv_add(a, "convert");
        argv_add(a, "-p");
        argv_add(a, "-n");
        if (secret_path)
                argv_add_secret(a, secret_path);
        argv_add(a, "--image-opts");
        argv_add(a, o->str);
        if (secret_path) {
                g_autoptr(GString) t = g_string_new(NULL);

                argv_encrypted_image_opts(vol, t);
                argv_add(a, "--target-image-opts");
                argv_add(a, t->str);
        } else {
                argv_add(a, "-O");
                argv_add(a, argv_driver(vol));
                argv_add(a, vol->path);
        }
        *ret_argv = argv_steal(g_steal_pointer(&a));
        return 0;
}

/*
 * dd copying bytes between the file @path and the caller's stream (dd's stdin for an upload,
 * its stdout for a download), from byte @offset of the file, @length bytes (0: up to the end
 * of the stream or of the file), telling its progress on stderr:
 *
 *   dd of=PATH bs=1M conv=notrunc,fsync oflag=seek_bytes seek=OFFSET
 *      iflag=fullblock[,count_bytes] [count=LENGTH] status=progress            (upload)
 *   dd if=PATH bs=1M iflag=skip_bytes[,count_bytes] skip=OFFSET [count=LENGTH]
 *      status=progress                                                          (download)
 */
char **vk_storage_dd_argv(const VkStorageTools *tools, const char *path, bool upload,
                          uint64_t offset, uint64_t length) {
        g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);

        assert(tools && tools->dd && path);

        argv_add(a, tools->dd);
        g_ptr_array_add(a, g_strdup_printf("%s=%s", upload ? "of" : "if", path));
        argv_add(a, "bs=1M");
        if (upload) {
                argv_add(a, "conv=notrunc,fsync");
                argv_add(a, "oflag=seek_bytes");
                g_ptr_array_add(a, g_strdup_printf("seek=%" G_GUINT64_FORMAT, offset));
                argv_add(a, length > 0 ? "iflag=fullblock,count_bytes" : "iflag=fullblock");
        } else {
                argv_add(a, length > 0 ? "iflag=skip_bytes,count_bytes" : "iflag=skip_bytes");
                g_ptr_array_add(a, g_strdup_printf("skip=%" G_GUINT64_FORMAT, offset));
        }
        if (length > 0)
                g_ptr_array_add(a, g_strdup_printf("count=%" G_GUINT64_FORMAT, length));
        argv_add(a, "status=progress");
        return argv_steal(g_steal_pointer(&a));
}

/* @argv one argument per line (a trailing newline after the last). */
char *vk_storage_argv_to_text(char *const *argv) {
        GString *s = g_string_new(NULL);

        for (char *const *p = argv; p && *p; p++) {
                g_string_append(s, *p);
                g_string_append_c(s, '\n');
        }
        return g_string_free(s, FALSE);
}

/* Each command of @cmds (char **) as vk_storage_argv_to_text(), an empty line between. */
char *vk_storage_cmds_to_text(GPtrArray *cmds) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < cmds->len; i++) {
                g_autofree char *t = vk_storage_argv_to_text(cmds->pdata[i]);

                if (i > 0)
                        g_string_append_c(s, '\n');
                g_string_append(s, t);
        }
        return g_string_free(s, FALSE);
}
