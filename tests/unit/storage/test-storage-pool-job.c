/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-pool-job.c: pool jobs on a real loop with real mkfs: the pool is held while
 * they run, their end comes from the loop, a failure removes what they made; mountinfo */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "sd-glue.h"
#include "storage-driver.h"
#include "storage-fs.h"
#include "storage-signature.h"
#include "storage-test-util.h"

/* --- mountinfo --- */

static const char mountinfo[] =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "36 22 7:3 / /srv/my\\040pool rw,nosuid,nodev,noexec shared:5 master:2 - ext4 "
        "/dev/loop3 rw\n"
        "37 22 0:40 / /srv/other rw - tmpfs tmp\\040fs rw\n"
        "38 37 7:4 / /srv/other rw,nosuid - xfs /dev/loop4 rw\n";

static void test_mountinfo(void **state) {
        g_auto(VkStorageMount) m = {};

        assert_int_equal(vk_storage_mountinfo_find(mountinfo, "/srv/my pool", &m), 1);
        assert_int_equal(m.major, 7);
        assert_int_equal(m.minor, 3);
        assert_string_equal(m.source, "/dev/loop3");
        assert_string_equal(m.fstype, "ext4");
        vk_storage_mount_done(&m);

        /* the mount on top wins */
        assert_int_equal(vk_storage_mountinfo_find(mountinfo, "/srv/other", &m), 1);
        assert_string_equal(m.source, "/dev/loop4");
        assert_string_equal(m.fstype, "xfs");
        vk_storage_mount_done(&m);

        assert_int_equal(vk_storage_mountinfo_find(mountinfo, "/srv/my", &m), 0);
        assert_int_equal(vk_storage_mountinfo_find(mountinfo, "/srv", &m), 0);
        assert_int_equal(vk_storage_mountinfo_find("36 22 7:3 /\n", "/", &m), -EBADMSG);
        assert_int_equal(vk_storage_mountinfo_find("1 2 x / / rw - ext4 /dev/a rw\n", "/", &m),
                         -EBADMSG);
}

/* --- a driver with an fs pool on an image file --- */

typedef struct Env {
        sd_event *event;
        char *dir, *image, *target;
        VkStorageDriver *drv;
} Env;

typedef struct Done {
        bool called;
        int error;
        char *message;
} Done;

static void on_done(VkStorageDriver *drv, const char *pool, const VkError *error, void *userdata) {
        Done *d = userdata;

        assert_false(d->called);
        d->called = true;
        d->error = error ? error->error : 0;
        d->message = error ? g_strdup(error->message) : NULL;
}

static void run_until(Env *env, Done *d) {
        for (int i = 0; i < 3000 && !d->called; i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_true(d->called);
}

static void make_image(const char *path, off_t size) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_int_equal(ftruncate(fileno(f), size), 0);
        fclose(f);
}

static void define_fs(Env *env, const char *name, const char *image, const char *format) {
        g_autofree char *xml = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        xml = g_strdup_printf("<pool type='fs'><name>%s</name><source><device path='%s'/>"
                              "<format type='%s'/></source><target><path>%s</path></target>"
                              "</pool>",
                              name, image, format, env->target);
        if (vk_storage_driver_pool_define(env->drv, xml, NULL, &err) < 0)
                fail_msg("%s", err.message);
}

/* While mkfs runs the pool is held: every other change is Busy, naming the pool. */
static void test_build_holds_pool(void **state) {
        Env *env = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        const char *what = NULL;
        Done d = {};

        make_image(env->image, 32 << 20);
        define_fs(env, "fsp", env->image, "ext4");
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "fsp", 0, on_done, &d, &err), 1);
        assert_false(d.called); /* never from inside the call */
        assert_int_equal(vk_storage_driver_jobs(env->drv), 1);

        assert_int_equal(vk_storage_driver_pool_create(env->drv, "fsp", false, NULL, NULL, &err),
                         -EBUSY);
        assert_string_equal(err.name, VK_ERROR_BUSY);
        assert_string_equal(err.message, "Storage pool 'fsp' is being built");
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "fsp", 0, NULL, NULL, &err),
                         -EBUSY);
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_pool_delete(env->drv, "fsp", NULL, NULL, &err), -EBUSY);
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_pool_undefine(env->drv, "fsp", &err), -EBUSY);
        vk_error_done(&err);

        run_until(env, &d);
        assert_int_equal(d.error, 0);
        assert_int_equal(vk_storage_driver_jobs(env->drv), 0);
        assert_int_equal(vk_storage_signature_path(env->image, &what, &err), 1);
        assert_string_equal(what, "an ext2/ext3/ext4 filesystem");
        assert_true(g_file_test(env->target, G_FILE_TEST_IS_DIR));

        /* a second build would replace the filesystem: refused at once without overwrite */
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "fsp", 0, NULL, NULL, &err),
                         -EEXIST);
        assert_non_null(strstr(err.message, "already holds an ext2/ext3/ext4 filesystem"));
        assert_non_null(strstr(err.message, "overwrite"));
}

/* mkfs fails (an XFS cannot be this small): the error says what mkfs said, the target
 * directory the build made is gone again. */
static void test_failed_build_leaves_nothing(void **state) {
        Env *env = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {};

        if (!g_file_test("/usr/sbin/mkfs.xfs", G_FILE_TEST_IS_EXECUTABLE))
                skip();
        make_image(env->image, 1 << 20);
        define_fs(env, "tiny", env->image, "xfs");
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "tiny", 0, on_done, &d, &err), 1);
        assert_true(g_file_test(env->target, G_FILE_TEST_IS_DIR));
        run_until(env, &d);
        assert_int_equal(d.error, -EIO);
        assert_non_null(strstr(d.message, "Storage pool 'tiny': mkfs.xfs failed (exit status"));
        assert_false(g_file_test(env->target, G_FILE_TEST_EXISTS));
        g_free(d.message);

        /* a device that does not exist: nothing starts */
        assert_int_equal(unlink(env->image), 0);
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "tiny", 0, NULL, NULL, &err),
                         -ENOENT);
        assert_non_null(strstr(err.message, "does not exist"));
        assert_false(g_file_test(env->target, G_FILE_TEST_EXISTS));
}

/* A daemon stopping cancels the job: the caller hears it from the cancel. */
static void test_cancel(void **state) {
        Env *env = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {};

        make_image(env->image, 32 << 20);
        define_fs(env, "fsp", env->image, "ext4");
        assert_int_equal(vk_storage_driver_pool_build(env->drv, "fsp", 0, on_done, &d, &err), 1);
        vk_storage_driver_cancel_jobs(env->drv);
        assert_true(d.called);
        assert_int_equal(d.error, -ECANCELED);
        assert_int_equal(vk_storage_driver_jobs(env->drv), 0);
        g_free(d.message);
        /* the pool is free again */
        assert_int_equal(vk_storage_driver_pool_undefine(env->drv, "fsp", &err), 0);
}

static int env_setup(void **state) {
        Env *env = g_new0(Env, 1);
        g_autoptr(GPtrArray) warnings = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *config = NULL, *run = NULL;
        sigset_t ss;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_BLOCK, &ss, NULL), 0);
        assert_int_equal(sd_event_new(&env->event), 0);
        env->dir = storage_test_tmpdir();
        env->image = g_build_filename(env->dir, "dev.img", NULL);
        env->target = g_build_filename(env->dir, "mnt", NULL);
        config = g_build_filename(env->dir, "etc", NULL);
        run = g_build_filename(env->dir, "run", NULL);
        if (vk_storage_driver_new(&(VkStorageDriverConfig){ .event = env->event,
                                                            .config_dir = config,
                                                            .run_dir = run },
                                  &env->drv, &warnings, &err) < 0)
                fail_msg("%s", err.message);
        *state = env;
        return 0;
}

static int env_teardown(void **state) {
        Env *env = *state;

        vk_storage_driver_free(env->drv);
        storage_test_rm_rf(env->dir);
        g_free(env->dir);
        g_free(env->image);
        g_free(env->target);
        sd_event_unref(env->event);
        g_free(env);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mountinfo),
                cmocka_unit_test_setup_teardown(test_build_holds_pool, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_failed_build_leaves_nothing, env_setup,
                                                env_teardown),
                cmocka_unit_test_setup_teardown(test_cancel, env_setup, env_teardown),
        };

        if (!g_file_test("/usr/sbin/mkfs.ext4", G_FILE_TEST_IS_EXECUTABLE)) {
                printf("1..0 # SKIP needs /usr/sbin/mkfs.ext4 (e2fsprogs)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
