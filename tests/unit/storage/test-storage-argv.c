/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-argv.c: golden tests of the qemu-img, mount, mkfs and LVM command lines */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "macro.h"
#include "storage-argv.h"
#include "storage-golden.h"
#include "storage-test-util.h"
#include "vk-golden.h"

/*
 * Data: tests/data/storage-argv/, one argument per line, commands separated by an empty line:
 *
 *   vol-NAME.create.args      qemu-img create for tests/data/volxml/NAME.xml
 *   lv-NAME.create.args       lvcreate for tests/data/volxml/logical/NAME.xml
 *   pool-NAME.OP.args         the commands of operation OP of tests/data/poolxml/NAME.xml
 *                             (fs: mount, umount, mkfs; logical: build, start, stop, delete,
 *                             vgs, lvs); pool-NAME.OP.err when OP refuses the pool
 *   NAME.args                 the clone and resize cases of the tables below
 *   wipe-NAME.args            qemu-img convert from the null driver over volxml/NAME.xml
 *   dd-OP.args                dd of an upload or download (offset, length or all)
 *
 * An encrypted volume reads its passphrase from /dev/fd/3. When qemu-img is installed, every
 * create command is also run for real (in a temporary directory, backing files made first)
 * and the image checked with qemu-img info.
 */

static const VkStorageTools tools = {
        .qemu_img = "/usr/bin/qemu-img",
        .dd = "/bin/dd",
        .mount = "/usr/bin/mount",
        .umount = "/usr/bin/umount",
        .mkfs_dir = "/usr/sbin",
        .lvm = "/usr/sbin/lvm",
};

#define SECRET_PATH "/dev/fd/3"

static char *argv_dir, *vol_dir, *lv_dir, *pool_dir;
static char *qemu_img; /* NULL: not installed, the real runs are skipped */

static char *golden_path(const char *prefix, const char *name, const char *suffix) {
        return g_strdup_printf("%s/%s%s%s", argv_dir, prefix, name, suffix);
}

/* ---- real qemu-img runs ------------------------------------------------------------------ */

/* Run @argv in storage_test_env(): stdout, or stdout and stderr when it failed. */
static char *run(char **argv, int *ret_status) {
        g_autofree char *out = NULL, *errout = NULL;
        g_autoptr(GError) gerr = NULL;
        g_auto(GStrv) env = storage_test_env();

        assert_true(g_spawn_sync(NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                                 ret_status, &gerr));
        if (!g_spawn_check_wait_status(*ret_status, NULL))
                return g_strdup_printf("%s%s", out, errout);
        return g_steal_pointer(&out);
}

/* Run @argv (run()), which must succeed. */
static void run_ok(char **argv) {
        g_autofree char *out = NULL;
        int status;

        out = run(argv, &status);
        if (!g_spawn_check_wait_status(status, NULL)) {
                g_autofree char *cmd = g_strjoinv(" ", argv);

                fail_msg("'%s' failed: %s", cmd, out);
        }
}

/* qemu-img info --output=json of @path: its format and virtual size */
static void image_info(const char *path, char **ret_format, uint64_t *ret_size,
                       char **ret_backing) {
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *out = NULL;
        JsonObject *o;
        int status;

        out = run((char **) VK_STRV(qemu_img, "info", "-U", "--output=json", path), &status);
        assert_true(g_spawn_check_wait_status(status, NULL));
        assert_true(json_parser_load_from_data(p, out, -1, NULL));
        o = json_node_get_object(json_parser_get_root(p));
        *ret_format = g_strdup(json_object_get_string_member(o, "format"));
        *ret_size = json_object_get_int_member(o, "virtual-size");
        if (ret_backing)
                *ret_backing = g_strdup(
                        json_object_get_string_member_with_default(o, "backing-filename", NULL));
}

static void rm_rf(const char *dir) {
        g_autofree char *cmd = g_strdup_printf("rm -rf -- '%s'", dir);
        int status;

        assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
}

/*
 * Make @vol_in for real in @tmp, named by its name: its backing file first (1 MiB of the
 * backing format), a passphrase file when encrypted (*@ret_secret), made @sparse when asked
 * (so a fully allocated raw source costs no disk). *@ret_vol is the volume as made.
 */
static void real_create(const char *tmp, const VkStorageVolDef *vol_in, bool sparse,
                        VkStorageVolDef **ret_vol, char **ret_secret) {
        g_autofree char *xml = vk_storage_vol_def_format(vol_in);
        g_autofree char *secret = NULL;
        g_autoptr(VkStorageVolDef) vol = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;

        assert_int_equal(vk_storage_vol_def_parse_string(xml, &vol, &err), 0);
        g_free(vol->path);
        vol->path = g_build_filename(tmp, vol->name, NULL);
        if (sparse)
                vol->allocation = 0;
        if (vol->backing_path) {
                g_autofree char *base = g_build_filename(tmp, "base", NULL);

                run_ok((char **) VK_STRV(qemu_img, "create", "-q", "-f",
                                         vk_image_format_to_string(vol->backing_format), base,
                                         "1M"));
                g_free(vol->backing_path);
                vol->backing_path = g_steal_pointer(&base);
        }
        if (vol->encryption.present) {
                secret = g_build_filename(tmp, "passphrase", NULL);
                assert_true(g_file_set_contents(secret, "hunter2", -1, NULL));
        }
        assert_int_equal(vk_storage_qemu_img_create_argv(&tools, vol, secret, &argv, &err), 0);
        g_free(argv[0]);
        argv[0] = g_strdup(qemu_img);
        /* LUKS spends 2 s deriving its key by default: the test needs no strong key */
        for (char **a = argv; *a; a++)
                if (strstr(*a, "key-secret=")) {
                        char *o = g_strconcat(*a,
                                              vol->format == VK_IMAGE_FORMAT_QCOW2
                                                      ? ",encrypt.iter-time=10"
                                                      : ",iter-time=10",
                                              NULL);

                        g_free(*a);
                        *a = o;
                }
        run_ok(argv);
        *ret_vol = g_steal_pointer(&vol);
        if (ret_secret)
                *ret_secret = g_steal_pointer(&secret);
}

/* qemu-img info agrees: the format qemu-img knows the volume by, the capacity in sectors */
static void check_image(const VkStorageVolDef *vol, uint64_t capacity, const char *backing) {
        g_autofree char *format = NULL, *got_backing = NULL;
        uint64_t size;

        image_info(vol->path, &format, &size, &got_backing);
        assert_string_equal(format, vol->encryption.present && vol->format == VK_IMAGE_FORMAT_RAW
                                            ? "luks"
                                            : vk_image_format_to_string(vol->format));
        if (vol->format == VK_IMAGE_FORMAT_RAW)
                assert_true(size == capacity);
        else if (vol->format == VK_IMAGE_FORMAT_QCOW2)
                assert_true(size == (capacity + 511) / 512 * 512);
        else
                assert_true(size >= capacity && size - capacity < (16 << 20));
        if (backing)
                assert_string_equal(got_backing, backing);
        else
                assert_null(got_backing);
}

/* Run @vol's create command in a temporary directory and check the image qemu-img made. */
static void qemu_img_create_for_real(const VkStorageVolDef *vol_in) {
        g_autofree char *tmp = g_dir_make_tmp("vk-storage-argv-XXXXXX", NULL);
        g_autoptr(VkStorageVolDef) vol = NULL;

        assert_non_null(tmp);
        real_create(tmp, vol_in, false, &vol, NULL);
        check_image(vol, vol->capacity, vol->backing_path);
        rm_rf(tmp);
}

/* ---- volumes ----------------------------------------------------------------------------- */

static void test_vol_create(void **state) {
        const char *name = *state;
        g_autoptr(VkStorageVolDef) vol = storage_golden_vol_load(vol_dir, name, false);
        g_autofree char *path = golden_path("vol-", name, ".create.args");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        g_autofree char *text = NULL;

        if (vk_storage_qemu_img_create_argv(
                    &tools, vol, vol->encryption.present ? SECRET_PATH : NULL, &argv, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        text = vk_storage_argv_to_text(argv);
        storage_golden_check(path, text);

        /*
         * A fully allocated image of gigabytes is not worth the disk. LUKS benchmarks the
         * host for seconds before it writes a header: luks-raw and luks-comma run for real,
         * luks-qcow2 has the options of luks-comma.
         */
        if (!qemu_img || vol->allocation > (64 << 20) || strcmp(name, "luks-qcow2") == 0)
                return;
        qemu_img_create_for_real(vol);
}

static void test_lv_create(void **state) {
        const char *name = *state;
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(true);
        g_autoptr(VkStorageVolDef) vol = storage_golden_vol_load(lv_dir, name, true);
        g_autofree char *path = golden_path("lv-", name, ".create.args");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        g_autofree char *text = NULL;

        if (vk_storage_lvm_lvcreate_argv(&tools, pool, vol, false, &argv, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        text = vk_storage_argv_to_text(argv);
        storage_golden_check(path, text);
}

typedef struct ArgvCase {
        const char *name;
        const char *src;    /* tests/data/volxml input */
        const char *dst;    /* clone: the new volume's input; NULL for a resize */
        uint64_t capacity;  /* resize */
        unsigned flags;     /* resize */
        const char *secret; /* the new volume's (clone) or the volume's (resize) */
} ArgvCase;

static const ArgvCase cases[] = {
        { "clone-qcow2-to-raw", "qcow2-basic", "raw-sparse", 0, 0, NULL },
        { "clone-raw-to-qcow2-options", "raw-default", "qcow2-options", 0, 0, NULL },
        { "clone-to-luks-qcow2", "qcow2-basic", "luks-qcow2", 0, 0, SECRET_PATH },
        { "clone-to-luks-raw", "qcow2-backing", "luks-raw", 0, 0, SECRET_PATH },
        { "resize-grow", "qcow2-basic", NULL, 30ULL << 30, 0, NULL },
        { "resize-grow-allocate", "raw-default", NULL, 20ULL << 30, VK_STORAGE_RESIZE_ALLOCATE,
          NULL },
        { "resize-shrink", "qcow2-basic", NULL, 1ULL << 30, VK_STORAGE_RESIZE_SHRINK, NULL },
        { "resize-shrink-flag-growing", "raw-sparse", NULL, 2ULL << 40, VK_STORAGE_RESIZE_SHRINK,
          NULL },
        { "resize-luks-qcow2", "luks-qcow2", NULL, 6ULL << 30, 0, SECRET_PATH },
        { "resize-luks-raw-shrink", "luks-raw", NULL, 4ULL << 30, VK_STORAGE_RESIZE_SHRINK,
          SECRET_PATH },
        { "resize-comma-path", "qcow2-backing-raw", NULL, 9ULL << 30, 0, NULL },
        { "resize-luks-comma-path", "luks-comma", NULL, 128ULL << 20, 0, SECRET_PATH },
};

/*
 * Run a clone or resize case for real on a source made sparse in a temporary directory, and
 * check the result with qemu-img info. Not run: what allocates gigabytes, and LUKS cases but
 * one (resize-luks-comma-path, whose --image-opts carries a doubled comma), as LUKS takes
 * seconds to make a key.
 */
static void case_for_real(const ArgvCase *c, const VkStorageVolDef *src_in,
                          const VkStorageVolDef *dst_in) {
        g_autofree char *tmp = NULL, *secret = NULL;
        g_autoptr(VkStorageVolDef) src = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;

        if (!qemu_img || (c->flags & VK_STORAGE_RESIZE_ALLOCATE) ||
            (c->secret && strcmp(c->name, "resize-luks-comma-path") != 0))
                return;
        tmp = g_dir_make_tmp("vk-storage-argv-XXXXXX", NULL);
        assert_non_null(tmp);
        real_create(tmp, src_in, true, &src, &secret);
        if (dst_in) {
                g_autofree char *xml = vk_storage_vol_def_format(dst_in);
                g_autoptr(VkStorageVolDef) dst = NULL;

                assert_int_equal(vk_storage_vol_def_parse_string(xml, &dst, &err), 0);
                g_free(dst->path);
                dst->path = g_build_filename(tmp, "clone", NULL);
                assert_int_equal(
                        vk_storage_qemu_img_convert_argv(&tools, src, dst, NULL, &argv, &err), 0);
                g_free(argv[0]);
                argv[0] = g_strdup(qemu_img);
                run_ok(argv);
                check_image(dst, src->capacity, NULL);
        } else {
                assert_int_equal(vk_storage_qemu_img_resize_argv(&tools, src, c->capacity, c->flags,
                                                                 secret, &argv, &err),
                                 0);
                g_free(argv[0]);
                argv[0] = g_strdup(qemu_img);
                run_ok(argv);
                check_image(src, c->capacity, src->backing_path);
        }
        rm_rf(tmp);
}

static void test_case(void **state) {
        const ArgvCase *c = *state;
        g_autoptr(VkStorageVolDef) src = storage_golden_vol_load(vol_dir, c->src, false);
        g_autoptr(VkStorageVolDef) dst = NULL;
        g_autofree char *path = golden_path("", c->name, ".args");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        g_autofree char *text = NULL;
        int r;

        if (c->dst) {
                dst = storage_golden_vol_load(vol_dir, c->dst, false);
                r = vk_storage_qemu_img_convert_argv(&tools, src, dst, c->secret, &argv, &err);
        } else
                r = vk_storage_qemu_img_resize_argv(&tools, src, c->capacity, c->flags, c->secret,
                                                    &argv, &err);
        if (r < 0)
                fail_msg("%s: %s", c->name, err.message);
        text = vk_storage_argv_to_text(argv);
        storage_golden_check(path, text);
        case_for_real(c, src, dst);
}

/* what the generators refuse */
static void test_refused(void **state) {
        g_autoptr(VkStorageVolDef) qcow2 = storage_golden_vol_load(vol_dir, "qcow2-basic", false);
        g_autoptr(VkStorageVolDef) luks = storage_golden_vol_load(vol_dir, "luks-raw", false);
        g_autoptr(VkStorageVolDef) backing =
                storage_golden_vol_load(vol_dir, "qcow2-backing", false);
        g_auto(VkError) err = VK_ERROR_INIT;
        char **argv = NULL;

        assert_int_equal(
                vk_storage_qemu_img_resize_argv(&tools, qcow2, 1 << 30, 0, NULL, &argv, &err),
                -EINVAL);
        assert_string_equal(err.message,
                            "volume 'vm.qcow2': 1073741824 bytes is less than its capacity of "
                            "21474836480; shrinking loses data and must be asked for");
        vk_error_done(&err);
        assert_int_equal(vk_storage_qemu_img_create_argv(&tools, luks, NULL, &argv, &err), -EINVAL);
        assert_string_equal(err.message,
                            "volume 'secret.img' is encrypted: its passphrase is needed");
        vk_error_done(&err);
        assert_int_equal(vk_storage_qemu_img_create_argv(&tools, qcow2, SECRET_PATH, &argv, &err),
                         -EINVAL);
        vk_error_done(&err);
        assert_int_equal(vk_storage_qemu_img_convert_argv(&tools, luks, qcow2, NULL, &argv, &err),
                         -EOPNOTSUPP);
        vk_error_done(&err);
        assert_int_equal(
                vk_storage_qemu_img_convert_argv(&tools, qcow2, backing, NULL, &argv, &err),
                -EOPNOTSUPP);
        vk_error_done(&err);
        backing->has_backing_format = false;
        assert_int_equal(vk_storage_qemu_img_create_argv(&tools, backing, NULL, &argv, &err),
                         -EINVAL);
        assert_string_equal(err.message, "volume 'myos': the format of backing store "
                                         "'/var/lib/virtkit/images/base.qcow2' is not known");
        assert_null(argv);
}

/* wipe: zeros from QEMU's null driver, in the volume's own format (through the encryption of
 * a LUKS volume); run for real too */
static void test_wipe(void **state) {
        static const char *const names[] = { "qcow2-basic", "raw-sparse", "qcow2-backing-raw",
                                             "luks-raw", "luks-qcow2" };
        g_autoptr(VkStorageVolDef) luks = storage_golden_vol_load(vol_dir, "luks-raw", false);
        g_auto(VkError) err = VK_ERROR_INIT;
        char **argv = NULL;

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autoptr(VkStorageVolDef) vol = storage_golden_vol_load(vol_dir, names[i], false);
                g_autofree char *path = golden_path("wipe-", names[i], ".args");
                const char *secret = vol->encryption.present ? SECRET_PATH : NULL;
                g_auto(GStrv) a = NULL;
                g_autofree char *text = NULL;

                assert_int_equal(vk_storage_qemu_img_wipe_argv(&tools, vol, secret, &a, &err), 0);
                text = vk_storage_argv_to_text(a);
                storage_golden_check(path, text);
        }
        assert_int_equal(vk_storage_qemu_img_wipe_argv(&tools, luks, NULL, &argv, &err), -EINVAL);
        assert_string_equal(err.message,
                            "volume 'secret.img' is encrypted: its passphrase is needed");
        assert_null(argv);
        for (size_t i = 0; qemu_img && i < 3; i++) {
                static const char *const real[] = { "qcow2-basic", "luks-qcow2", "luks-raw" };
                g_autofree char *tmp = g_dir_make_tmp("vk-storage-argv-XXXXXX", NULL);
                g_autoptr(VkStorageVolDef) src = storage_golden_vol_load(vol_dir, real[i], false);
                g_autoptr(VkStorageVolDef) vol = NULL;
                g_autofree char *secret = NULL;
                g_auto(GStrv) a = NULL;

                src->capacity = 64ULL << 20;
                real_create(tmp, src, true, &vol, &secret);
                assert_int_equal(vk_storage_qemu_img_wipe_argv(&tools, vol, secret, &a, &err), 0);
                g_free(a[0]);
                a[0] = g_strdup(qemu_img);
                run_ok(a);
                check_image(vol, vol->capacity, NULL);
                rm_rf(tmp);
        }
}

static void test_dd(void **state) {
        static const struct {
                const char *name;
                bool upload;
                uint64_t offset, length;
        } dd[] = {
                { "upload", true, 1 << 20, 4096 },
                { "upload-all", true, 0, 0 },
                { "download", false, 512, 1000 },
                { "download-all", false, 0, 0 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(dd); i++) {
                g_auto(GStrv) a = vk_storage_dd_argv(&tools, "/var/lib/virtkit/images/a b.raw",
                                                     dd[i].upload, dd[i].offset, dd[i].length);
                g_autofree char *path = golden_path("dd-", dd[i].name, ".args");
                g_autofree char *text = vk_storage_argv_to_text(a);

                storage_golden_check(path, text);
        }
}

/* a thin snapshot of a thin origin */
static void test_lv_thin_snapshot(void **state) {
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(true);
        g_autoptr(VkStorageVolDef) vol = storage_golden_vol_load(lv_dir, "snapshot", true);
        g_autofree char *path = golden_path("lv-", "snapshot", ".create-thin.args");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        g_autofree char *text = NULL;

        assert_int_equal(vk_storage_lvm_lvcreate_argv(&tools, pool, vol, true, &argv, &err), 0);
        text = vk_storage_argv_to_text(argv);
        storage_golden_check(path, text);
}

static void test_lv_remove(void **state) {
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(true);
        g_autoptr(VkStorageVolDef) vol = storage_golden_vol_load(lv_dir, "basic", true);
        g_auto(GStrv) argv = vk_storage_lvm_lvremove_argv(&tools, pool, vol);
        g_autofree char *path = golden_path("lv-", "basic", ".remove.args");
        g_autofree char *text = vk_storage_argv_to_text(argv);

        storage_golden_check(path, text);
}

/* ---- pools ------------------------------------------------------------------------------- */

static VkStoragePoolDef *pool_load(const char *name) {
        g_autofree char *path = g_strdup_printf("%s/%s.xml", pool_dir, name);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStoragePoolDef *pool = NULL;

        if (vk_storage_pool_def_parse_file(path, &pool, &err) < 0 ||
            vk_storage_pool_def_fill_defaults(pool, vk_golden_random, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        return pool;
}

static void pool_check(const char *name, const char *op, char *text, const VkError *err) {
        g_autofree char *args_suffix = g_strdup_printf(".%s.args", op);
        g_autofree char *err_suffix = g_strdup_printf(".%s.err", op);
        g_autofree char *args = golden_path("pool-", name, args_suffix);
        g_autofree char *errp = golden_path("pool-", name, err_suffix);
        g_autofree char *msg = err ? g_strdup_printf("%s\n", err->message) : NULL;

        storage_golden_check(args, text);
        storage_golden_check(errp, msg);
        g_free(text);
}

static void test_pool(void **state) {
        const char *name = *state;
        g_autoptr(VkStoragePoolDef) pool = pool_load(name);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GPtrArray) cmds = NULL;
        char **argv = NULL;

        if (pool->type == VK_STORAGE_POOL_FS) {
                assert_int_equal(vk_storage_fs_mount_argv(
                                         &tools, pool, g_str_has_suffix(pool->devices[0], ".img"),
                                         &argv, &err),
                                 0);
                pool_check(name, "mount", vk_storage_argv_to_text(argv), NULL);
                g_strfreev(argv);
                argv = vk_storage_fs_umount_argv(&tools, pool);
                pool_check(name, "umount", vk_storage_argv_to_text(argv), NULL);
                g_clear_pointer(&argv, g_strfreev);
                if (vk_storage_fs_mkfs_argv(&tools, pool, true, &argv, &err) < 0)
                        pool_check(name, "mkfs", NULL, &err);
                else
                        pool_check(name, "mkfs", vk_storage_argv_to_text(argv), NULL);
                g_strfreev(argv);
                return;
        }
        if (pool->type != VK_STORAGE_POOL_LOGICAL)
                return;
        if (vk_storage_lvm_build_argv(&tools, pool, false, &cmds, &err) < 0)
                pool_check(name, "build", NULL, &err);
        else
                pool_check(name, "build", vk_storage_cmds_to_text(cmds), NULL);
        g_clear_pointer(&cmds, g_ptr_array_unref);
        argv = vk_storage_lvm_activate_argv(&tools, pool, true);
        pool_check(name, "start", vk_storage_argv_to_text(argv), NULL);
        g_strfreev(argv);
        argv = vk_storage_lvm_activate_argv(&tools, pool, false);
        pool_check(name, "stop", vk_storage_argv_to_text(argv), NULL);
        g_strfreev(argv);
        cmds = vk_storage_lvm_delete_argv(&tools, pool);
        pool_check(name, "delete", vk_storage_cmds_to_text(cmds), NULL);
        argv = vk_storage_lvm_vgs_argv(&tools, pool);
        pool_check(name, "vgs", vk_storage_argv_to_text(argv), NULL);
        g_strfreev(argv);
        argv = vk_storage_lvm_lvs_argv(&tools, pool);
        pool_check(name, "lvs", vk_storage_argv_to_text(argv), NULL);
        g_strfreev(argv);
}

static void test_lvm_build_overwrite(void **state) {
        g_autoptr(VkStoragePoolDef) pool = pool_load("logical-vg");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GPtrArray) cmds = NULL;

        assert_int_equal(vk_storage_lvm_build_argv(&tools, pool, true, &cmds, &err), 0);
        pool_check("logical-vg", "build-overwrite", vk_storage_cmds_to_text(cmds), NULL);
}

static void test_mkfs_no_overwrite(void **state) {
        g_autoptr(VkStoragePoolDef) pool = pool_load("fs-ext4");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;

        assert_int_equal(vk_storage_fs_mkfs_argv(&tools, pool, false, &argv, &err), 0);
        pool_check("fs-ext4", "mkfs-no-overwrite", vk_storage_argv_to_text(argv), NULL);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        g_autoptr(GPtrArray) vols = NULL, lvs = NULL, pools = NULL;
        int r;

        argv_dir = vk_golden_data_dir("storage-argv");
        vol_dir = vk_golden_data_dir("volxml");
        lv_dir = vk_golden_data_dir("volxml/logical");
        pool_dir = vk_golden_data_dir("poolxml");
        if (!argv_dir)
                return 1;
        qemu_img = g_find_program_in_path("qemu-img");
        if (!qemu_img)
                fprintf(stderr, "# qemu-img is not installed: the real runs are skipped\n");

        vols = storage_golden_inputs(vol_dir);
        for (guint i = 0; i < vols->len; i++)
                vk_golden_tests_add(t, test_vol_create, vols->pdata[i], vols->pdata[i]);
        lvs = storage_golden_inputs(lv_dir);
        for (guint i = 0; i < lvs->len; i++)
                vk_golden_tests_add(t, test_lv_create, lvs->pdata[i], lvs->pdata[i]);
        for (size_t i = 0; i < VK_ELEMENTSOF(cases); i++)
                vk_golden_tests_add(t, test_case, cases[i].name, (void *) &cases[i]);
        pools = storage_golden_inputs(pool_dir);
        for (guint i = 0; i < pools->len; i++)
                vk_golden_tests_add(t, test_pool, pools->pdata[i], pools->pdata[i]);
        vk_golden_tests_add(t, test_refused, "refused", NULL);
        vk_golden_tests_add(t, test_wipe, "wipe", NULL);
        vk_golden_tests_add(t, test_dd, "dd", NULL);
        vk_golden_tests_add(t, test_lv_thin_snapshot, "lv-thin-snapshot", NULL);
        vk_golden_tests_add(t, test_lv_remove, "lv-remove", NULL);
        vk_golden_tests_add(t, test_lvm_build_overwrite, "lvm-build-overwrite", NULL);
        vk_golden_tests_add(t, test_mkfs_no_overwrite, "mkfs-no-overwrite", NULL);
        r = vk_golden_tests_run(t, "storage-argv", argv_dir, NULL);
        g_free(argv_dir);
        g_free(vol_dir);
        g_free(lv_dir);
        g_free(pool_dir);
        g_free(qemu_img);
        return r;
}
