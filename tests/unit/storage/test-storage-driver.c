/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-driver.c: the driver runtime on a real loop with real qemu-img: jobs hold their
 * volumes, failures and cancels leave no file, state survives a new driver, the default pool */
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
#include "storage-test-util.h"

typedef struct Env {
        sd_event *event;
        char *dir;
        char *config, *run, *target;
        VkStorageDriverConfig cfg;
} Env;

typedef struct Done {
        bool called;
        int error;
        char *message;
        char *path;
} Done;

static void on_done(VkStorageDriver *drv, const VkStorageVolInfo *info, const VkError *error,
                    void *userdata) {
        Done *d = userdata;

        assert_false(d->called);
        d->called = true;
        d->error = error ? error->error : 0;
        d->message = error ? g_strdup(error->message) : NULL;
        d->path = info ? g_strdup(info->path) : NULL;
}

static void done_clear(Done *d) {
        g_free(d->message);
        g_free(d->path);
        *d = (Done){};
}

static void run_until(Env *env, const Done *d) {
        for (int i = 0; i < 3000 && !d->called; i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_true(d->called);
}

static int env_setup(void **state) {
        Env *env = g_new0(Env, 1);
        sigset_t ss;

        if (!storage_test_qemu_img) {
                g_free(env);
                return 0;
        }
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_BLOCK, &ss, NULL), 0);
        assert_int_equal(sd_event_new(&env->event), 0);
        env->dir = storage_test_tmpdir();
        env->config = g_build_filename(env->dir, "etc", NULL);
        env->run = g_build_filename(env->dir, "run", NULL);
        env->target = g_build_filename(env->dir, "images", NULL);
        env->cfg = (VkStorageDriverConfig){
                .event = env->event,
                .config_dir = env->config,
                .run_dir = env->run,
                .qemu_img = storage_test_qemu_img,
        };
        *state = env;
        return 0;
}

static int env_teardown(void **state) {
        Env *env = *state;

        if (!env)
                return 0;
        storage_test_rm_rf(env->dir);
        g_free(env->dir);
        g_free(env->config);
        g_free(env->run);
        g_free(env->target);
        sd_event_unref(env->event);
        g_free(env);
        return 0;
}

static VkStorageDriver *driver_new(Env *env, GPtrArray **ret_warnings) {
        g_autoptr(GPtrArray) warnings = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStorageDriver *drv = NULL;

        if (vk_storage_driver_new(&env->cfg, &drv, &warnings, &err) < 0)
                fail_msg("%s", err.message);
        if (ret_warnings)
                *ret_warnings = g_steal_pointer(&warnings);
        return drv;
}

/* A driver with the active dir pool "p" at env->target. */
static VkStorageDriver *driver_with_pool(Env *env) {
        g_autofree char *xml = g_strdup_printf("<pool type='dir'><name>p</name><target><path>"
                                               "%s</path></target></pool>",
                                               env->target);
        VkStorageDriver *drv = driver_new(env, NULL);
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_storage_driver_pool_define(drv, xml, NULL, &err) < 0 ||
            vk_storage_driver_pool_create(drv, "p", /* build= */ true, NULL, NULL, &err) < 0)
                fail_msg("%s", err.message);
        return drv;
}

static char *vol_path(Env *env, const char *name) {
        return g_build_filename(env->target, name, NULL);
}

static unsigned n_vols(VkStorageDriver *drv) {
        g_autoptr(GPtrArray) vols = NULL;

        assert_int_equal(vk_storage_driver_vol_list(drv, "p", &vols, NULL), 0);
        return vols->len;
}

#define QCOW2_XML(name)                                                                            \
        "<volume><name>" name "</name><capacity unit='MiB'>1</capacity>"                           \
        "<target><format type='qcow2'/></target></volume>"

/* Until a create ends (qemu-img, or the in-process write whose end comes from the loop), the
 * volume is held: no second create, delete, resize or stop. */
static void test_job_holds_volume(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autofree char *path = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {}, d2 = {};

        if (!env)
                skip();
        drv = driver_with_pool(env);
        path = vol_path(env, "a.qcow2");
        assert_int_equal(
                vk_storage_driver_vol_create(drv, "p", QCOW2_XML("a.qcow2"), on_done, &d, &err), 0);
        assert_false(d.called); /* never from inside the call */
        assert_int_equal(vk_storage_driver_jobs(drv), 1);
        assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

        assert_int_equal(
                vk_storage_driver_vol_create(drv, "p", QCOW2_XML("a.qcow2"), on_done, &d2, &err),
                -EEXIST);
        assert_non_null(strstr(err.message, "being created"));
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_vol_delete(drv, "p", "a.qcow2", NULL, NULL, &err),
                         -EBUSY);
        assert_string_equal(err.message, "Storage volume 'a.qcow2' of pool 'p' is being created");
        vk_error_done(&err);
        assert_int_equal(
                vk_storage_driver_vol_resize(drv, "p", "a.qcow2", 2 << 20, 0, on_done, &d2, &err),
                -EBUSY);
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_pool_destroy(drv, "p", NULL, NULL, &err), -EBUSY);
        vk_error_done(&err);
        /* a refresh meanwhile does not list the half-made file */
        assert_int_equal(vk_storage_driver_pool_refresh(drv, "p", NULL, NULL, &err), 0);
        assert_int_equal(n_vols(drv), 0);
        assert_false(d2.called);

        run_until(env, &d);
        assert_int_equal(d.error, 0);
        assert_string_equal(d.path, path);
        assert_int_equal(vk_storage_driver_jobs(drv), 0);
        assert_int_equal(n_vols(drv), 1);
        assert_int_equal(vk_storage_driver_vol_delete(drv, "p", "a.qcow2", NULL, NULL, &err), 0);
        assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        done_clear(&d);
}

/* The names of pool "p"'s volumes, in the list's order, are @want (joined by spaces). */
static void assert_names(VkStorageDriver *drv, const char *want) {
        g_autoptr(GPtrArray) vols = NULL;
        g_autoptr(GString) s = g_string_new(NULL);

        assert_int_equal(vk_storage_driver_vol_list(drv, "p", &vols, NULL), 0);
        for (guint i = 0; i < vols->len; i++)
                g_string_append_printf(s, "%s%s", i ? " " : "",
                                       ((VkStorageVolInfo *) vols->pdata[i])->name);
        assert_string_equal(s->str, want);
}

/* Volume @name of pool "p". */
static VkStorageVolInfo *vol_info(VkStorageDriver *drv, const char *name) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStorageVolInfo *info = NULL;

        if (vk_storage_driver_vol_lookup(drv, "p", name, NULL, NULL, &info, &err) < 0)
                fail_msg("%s", err.message);
        return info;
}

/* Creating qcow2 volume "b.qcow2" over @backing fails in qemu-img, which leaves no file:
 * @n_vols_left volumes are left. */
static void create_fails_over(Env *env, VkStorageDriver *drv, const char *backing,
                              unsigned n_vols_left) {
        g_autofree char *xml = NULL, *path = vol_path(env, "b.qcow2");
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {};

        xml = g_strdup_printf("<volume><name>b.qcow2</name><capacity unit='MiB'>1</capacity>"
                              "<target><format type='qcow2'/></target><backingStore><path>%s"
                              "</path><format type='qcow2'/></backingStore></volume>",
                              backing);
        assert_int_equal(vk_storage_driver_vol_create(drv, "p", xml, on_done, &d, &err), 0);
        run_until(env, &d);
        assert_int_equal(d.error, -EIO);
        assert_non_null(strstr(d.message, "qemu-img failed"));
        assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        assert_int_equal(n_vols(drv), n_vols_left);
        done_clear(&d);
}

/* A job (@r: its start) that succeeds. */
static void job_ok(Env *env, int r, Done *d) {
        assert_int_equal(r, 0);
        run_until(env, d);
        if (d->error != 0)
                fail_msg("%s", d->message);
        done_clear(d);
}

static void write_file(const char *dir, const char *name, size_t len) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *buf = g_malloc0(len);

        assert_true(g_file_set_contents(path, buf, (gssize) len, NULL));
}

/*
 * A job's end looks at its own volume only: a new volume (create, clone) takes its sorted
 * place, a resize changes its capacity in place, a delete takes it out, the pool's figures
 * follow; a file dropped in meanwhile waits for a refresh (as with libvirt, which also
 * refreshes only the new volume).
 */
static void test_job_updates_in_place(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autoptr(VkStoragePoolInfo) before = NULL, after = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkStorageVolInfo) v = NULL, v2 = NULL, v3 = NULL;
        Done d = {};

        if (!env)
                skip();
        assert_int_equal(g_mkdir_with_parents(env->target, 0700), 0);
        write_file(env->target, "a.img", 4096);
        write_file(env->target, "c.img", 4096);
        write_file(env->target, "e.img", 4096);
        drv = driver_with_pool(env);
        assert_names(drv, "a.img c.img e.img");
        assert_int_equal(vk_storage_driver_pool_lookup(drv, "p", NULL, &before, &err), 0);

        /* dropped in by hand after the last scan: not seen by the create's update */
        write_file(env->target, "b.img", 4096);
        job_ok(env, vk_storage_driver_vol_create(drv, "p", QCOW2_XML("d.qcow2"), on_done, &d, &err),
               &d);
        assert_names(drv, "a.img c.img d.qcow2 e.img");
        v = vol_info(drv, "d.qcow2");
        assert_int_equal(v->format, VK_IMAGE_FORMAT_QCOW2);
        assert_int_equal(v->capacity, 1 << 20);
        assert_true(v->allocation > 0);
        assert_int_equal(vk_storage_driver_pool_lookup(drv, "p", NULL, &after, &err), 0);
        assert_int_equal(after->n_volumes, 4);
        assert_true(after->capacity == before->capacity && after->capacity > 0);
        assert_true(after->allocation + after->available <= after->capacity);

        /* first and last places; a clone (qemu-img convert) likewise */
        job_ok(env, vk_storage_driver_vol_create(drv, "p", QCOW2_XML("0.qcow2"), on_done, &d, &err),
               &d);
        job_ok(env, vk_storage_driver_vol_create(drv, "p", QCOW2_XML("z.qcow2"), on_done, &d, &err),
               &d);
        job_ok(env,
               vk_storage_driver_vol_create_from(drv, "p", QCOW2_XML("d2.qcow2"), NULL, "d.qcow2",
                                                 on_done, &d, &err),
               &d);
        assert_names(drv, "0.qcow2 a.img c.img d.qcow2 d2.qcow2 e.img z.qcow2");
        v2 = vol_info(drv, "d2.qcow2");
        assert_int_equal(v2->format, VK_IMAGE_FORMAT_QCOW2);

        /* a resize: the same place, the new capacity */
        job_ok(env,
               vk_storage_driver_vol_resize(drv, "p", "d.qcow2", 4 << 20, 0, on_done, &d, &err),
               &d);
        assert_names(drv, "0.qcow2 a.img c.img d.qcow2 d2.qcow2 e.img z.qcow2");
        v3 = vol_info(drv, "d.qcow2");
        assert_int_equal(v3->capacity, 4 << 20);

        /* a delete takes it out in place; a refresh then finds the file dropped in */
        assert_int_equal(vk_storage_driver_vol_delete(drv, "p", "0.qcow2", NULL, NULL, &err), 0);
        assert_names(drv, "a.img c.img d.qcow2 d2.qcow2 e.img z.qcow2");
        assert_int_equal(vk_storage_driver_pool_refresh(drv, "p", NULL, NULL, &err), 0);
        assert_names(drv, "a.img b.img c.img d.qcow2 d2.qcow2 e.img z.qcow2");
}

/*
 * A plain qcow2 volume is written in-process: with a qemu-img that always fails it is made
 * all the same (and reads back as qemu-img's), while a volume over a backing store still
 * runs qemu-img, whose failure leaves no file.
 */
static void test_create_in_process(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autoptr(VkStorageVolInfo) info = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {};

        if (!env)
                skip();
        env->cfg.qemu_img = "/bin/false";
        drv = driver_with_pool(env);
        job_ok(env,
               vk_storage_driver_vol_create(drv, "p",
                                            "<volume><name>a.qcow2</name><capacity unit='GiB'>10"
                                            "</capacity><target><format type='qcow2'/><compat>1.1"
                                            "</compat><features><lazy_refcounts/></features>"
                                            "</target></volume>",
                                            on_done, &d, &err),
               &d);
        info = vol_info(drv, "a.qcow2");
        assert_int_equal(info->format, VK_IMAGE_FORMAT_QCOW2);
        assert_int_equal(info->capacity, 10ULL << 30);
        assert_null(info->warning);
        storage_test_run(VK_STRV(storage_test_qemu_img, "check", "-q", "-f", "qcow2", info->path));

        create_fails_over(env, drv, info->path, 1);
}

/* A clone holds its source: no second clone, no delete or resize of it until it ends. */
static void test_clone_holds_source(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {}, d2 = {};

        if (!env)
                skip();
        drv = driver_with_pool(env);
        assert_int_equal(
                vk_storage_driver_vol_create(drv, "p", QCOW2_XML("src.qcow2"), on_done, &d, &err),
                0);
        run_until(env, &d);
        assert_int_equal(d.error, 0);
        done_clear(&d);
        assert_int_equal(vk_storage_driver_vol_create_from(drv, "p", QCOW2_XML("c1.qcow2"), NULL,
                                                           "src.qcow2", on_done, &d, &err),
                         0);
        assert_int_equal(vk_storage_driver_vol_create_from(drv, "p", QCOW2_XML("c2.qcow2"), NULL,
                                                           "src.qcow2", on_done, &d2, &err),
                         -EBUSY);
        assert_string_equal(err.message, "Storage volume 'src.qcow2' of pool 'p' is being cloned");
        vk_error_done(&err);
        assert_int_equal(vk_storage_driver_vol_delete(drv, "p", "src.qcow2", NULL, NULL, &err),
                         -EBUSY);
        vk_error_done(&err);
        run_until(env, &d);
        assert_int_equal(d.error, 0);
        assert_false(d2.called);
        assert_int_equal(n_vols(drv), 2);
        /* free again: now the delete goes through */
        assert_int_equal(vk_storage_driver_vol_delete(drv, "p", "src.qcow2", NULL, NULL, &err), 0);
        done_clear(&d);
}

/* qemu-img fails (the backing file is no qcow2): the file made for it is removed. */
static void test_failed_create_leaves_nothing(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autofree char *garbage = NULL;

        if (!env)
                skip();
        drv = driver_with_pool(env);
        garbage = g_build_filename(env->dir, "garbage", NULL);
        storage_test_write(garbage, "QFI\xfb\0\0\0\3", 8);
        create_fails_over(env, drv, garbage, 0);
}

/* Freeing the driver cancels its jobs: the callback hears it, the half-made file goes. */
static void test_free_cancels_jobs(void **state) {
        Env *env = *state;
        VkStorageDriver *drv;
        g_autofree char *path = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Done d = {};

        if (!env)
                skip();
        drv = driver_with_pool(env);
        path = vol_path(env, "c.qcow2");
        assert_int_equal(
                vk_storage_driver_vol_create(drv, "p", QCOW2_XML("c.qcow2"), on_done, &d, &err), 0);
        vk_storage_driver_free(drv);
        assert_true(d.called);
        assert_int_equal(d.error, -ECANCELED);
        assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        done_clear(&d);
}

/* A new driver takes over the active pool; a broken status file is a warning and goes. */
static void test_restart(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        g_autoptr(GPtrArray) warnings = NULL;
        g_autofree char *status = NULL, *bad = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!env)
                skip();
        drv = driver_with_pool(env);
        drv = vk_storage_driver_free(drv);
        status = g_build_filename(env->run, "p.status", NULL);
        assert_true(g_file_test(status, G_FILE_TEST_EXISTS));
        bad = g_build_filename(env->run, "q.status", NULL);
        storage_test_write(bad, "{", 1);

        drv = driver_new(env, &warnings);
        assert_int_equal(vk_storage_driver_pool_lookup(drv, "p", NULL, &info, &err), 0);
        assert_true(info->active && info->persistent);
        assert_int_equal(warnings->len, 1);
        assert_non_null(strstr(warnings->pdata[0], "q.status"));
        assert_false(g_file_test(bad, G_FILE_TEST_EXISTS));

        /* stopped: the status goes; a new driver sees an inactive pool */
        assert_int_equal(vk_storage_driver_pool_destroy(drv, "p", NULL, NULL, &err), 0);
        assert_false(g_file_test(status, G_FILE_TEST_EXISTS));
        drv = vk_storage_driver_free(drv);
        g_clear_pointer(&info, vk_storage_pool_info_free);
        drv = driver_new(env, NULL);
        assert_int_equal(vk_storage_driver_pool_lookup(drv, "p", NULL, &info, &err), 0);
        assert_false(info->active);
}

/* The first start defines `default`, built and autostarted; later starts never again. */
static void test_default_pool(void **state) {
        Env *env = *state;
        g_autoptr(VkStorageDriver) drv = NULL;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!env)
                skip();
        env->cfg.default_target = env->target;
        drv = driver_new(env, NULL);
        vk_storage_driver_autostart(drv, warnings, NULL, NULL);
        assert_int_equal(warnings->len, 0);
        assert_int_equal(vk_storage_driver_pool_lookup(drv, "default", NULL, &info, &err), 0);
        assert_true(info->active && info->persistent && info->autostart);
        assert_true(g_file_test(env->target, G_FILE_TEST_IS_DIR));
        assert_int_equal(vk_storage_driver_pool_destroy(drv, "default", NULL, NULL, &err), 0);
        assert_int_equal(vk_storage_driver_pool_undefine(drv, "default", &err), 0);
        drv = vk_storage_driver_free(drv);
        drv = driver_new(env, NULL);
        assert_int_equal(vk_storage_driver_count(drv), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_job_holds_volume, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_job_updates_in_place, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_create_in_process, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_clone_holds_source, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_failed_create_leaves_nothing, env_setup,
                                                env_teardown),
                cmocka_unit_test_setup_teardown(test_free_cancels_jobs, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_restart, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_default_pool, env_setup, env_teardown),
        };

        storage_test_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
