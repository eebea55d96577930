/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-driver.c: the domain list (define, undefine, lookup, persistence) and the driver API */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/vk-test.h"
#include "atomic-file.h"
#include "qemu-domain-obj.h"
#include "qemu-driver.h"
#include "sd-glue.h"

#define UUID1 "c7a5fdbd-edaf-9455-926a-d65c16db1809"
#define UUID2 "c7a5fdbd-edaf-9455-926a-d65c16db1810"

static char *xml_of(const char *name, const char *uuid) {
        return g_strdup_printf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                               "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                               "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>",
                               name, uuid);
}

static void remove_tree(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(dir, e, NULL);
                if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                        remove_tree(p);
                else
                        (void) unlink(p);
        }
        (void) rmdir(dir);
}

static int setup(void **state) {
        *state = g_dir_make_tmp("vk-test-driver-XXXXXX", NULL);
        return *state ? 0 : -1;
}

static int teardown(void **state) {
        remove_tree(*state);
        g_free(*state);
        return 0;
}

static void test_define_lookup_persist(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_autoptr(VkDomainList) again = NULL;
        g_autofree char *xml = xml_of("vm1", UUID1);
        g_autofree char *path = g_build_filename(dir, "vm1.xml", NULL);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainObj *obj = NULL, *found = NULL;
        struct stat st;

        assert_int_equal(vk_domain_list_new(dir, &list, &err), 0);
        assert_int_equal(vk_domain_list_load(list, &err), 0);
        assert_int_equal(vk_domain_list_define(list, xml, &obj, &err), 0);
        assert_string_equal(obj->name, "vm1");
        assert_string_equal(obj->uuid_str, UUID1);
        assert_true(obj->persistent);
        assert_int_equal(obj->state, VK_DOMAIN_STATE_SHUTOFF);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        assert_int_equal(vk_domain_list_lookup(list, "vm1", &found, &err), 0);
        assert_ptr_equal(found, obj);
        assert_int_equal(vk_domain_list_lookup(list, UUID1, &found, &err), 0);
        assert_ptr_equal(found, obj);

        /* redefining the same name and uuid replaces the definition */
        assert_int_equal(vk_domain_list_define(list, xml, &found, &err), 0);
        assert_ptr_equal(found, obj);
        assert_int_equal(vk_domain_list_count(list), 1);

        assert_int_equal(vk_domain_list_set_autostart(list, obj, true, &err), 0);

        /* a new list reads back the same domain, autostart included */
        assert_int_equal(vk_domain_list_new(dir, &again, &err), 0);
        assert_int_equal(vk_domain_list_load(again, &err), 1);
        obj = vk_domain_list_find_by_name(again, "vm1");
        assert_non_null(obj);
        assert_string_equal(obj->uuid_str, UUID1);
        assert_true(obj->autostart);
        assert_true(obj->persistent);

        /* undefine removes the file and the autostart link */
        assert_int_equal(vk_domain_list_undefine(again, obj, &err), 1);
        assert_int_equal(stat(path, &st), -1);
        assert_null(vk_domain_list_find_by_name(again, "vm1"));
        assert_int_equal(vk_domain_list_count(again), 0);
}

/* What DefineDomain accepted loads again at the next start, unchanged: the graphics
 * password and a CR in text included. */
static void test_define_reload_same(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_autoptr(VkDomainList) again = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *before = NULL, *after = NULL;
        const char *xml = "<domain type='qemu'><name>vm1</name><uuid>" UUID1 "</uuid>"
                          "<description>a&#13;b</description>"
                          "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                          "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                          "<graphics type='vnc' autoport='yes' passwd='s3cret'/>"
                          "</devices></domain>";
        VkDomainObj *obj = NULL;

        assert_int_equal(vk_domain_list_new(dir, &list, &err), 0);
        assert_int_equal(vk_domain_list_define(list, xml, &obj, &err), 0);
        obj = vk_domain_list_find_by_name(list, "vm1");
        assert_int_equal(vk_domain_def_format(obj->def, VK_DOMAIN_DEF_FORMAT_SECURE, &before, &err),
                         0);
        assert_non_null(strstr(before, "passwd='s3cret'"));
        assert_non_null(strstr(before, "a&#13;b"));

        assert_int_equal(vk_domain_list_new(dir, &again, &err), 0);
        assert_int_equal(vk_domain_list_load(again, &err), 1);
        obj = vk_domain_list_find_by_name(again, "vm1");
        assert_non_null(obj);
        assert_int_equal(vk_domain_def_format(obj->def, VK_DOMAIN_DEF_FORMAT_SECURE, &after, &err),
                         0);
        assert_string_equal(after, before);
}

static void test_clashes(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_autofree char *a = xml_of("vm1", UUID1);
        g_autofree char *same_name = xml_of("vm1", UUID2);
        g_autofree char *same_uuid = xml_of("vm2", UUID1);

        {
                g_auto(VkError) err = VK_ERROR_INIT;
                assert_int_equal(vk_domain_list_new(dir, &list, &err), 0);
                assert_int_equal(vk_domain_list_define(list, a, NULL, &err), 0);
        }
        {
                g_auto(VkError) err = VK_ERROR_INIT;
                assert_true(vk_domain_list_define(list, same_name, NULL, &err) < 0);
                assert_string_equal(err.name, VK_ERROR_OPERATION_INVALID);
                assert_non_null(
                        strstr(err.message, "domain 'vm1' already exists with uuid " UUID1));
        }
        {
                g_auto(VkError) err = VK_ERROR_INIT;
                assert_true(vk_domain_list_define(list, same_uuid, NULL, &err) < 0);
                assert_string_equal(err.name, VK_ERROR_OPERATION_INVALID);
                assert_non_null(strstr(err.message, "'vm1'"));
        }
        {
                g_auto(VkError) err = VK_ERROR_INIT;
                VkDomainObj *obj;
                assert_true(vk_domain_list_lookup(list, "nope", &obj, &err) < 0);
                assert_string_equal(err.name, "NoSuchDomain");
                assert_string_equal(vk_error_get_param(&err, "domain"), "nope");
        }
        assert_int_equal(vk_domain_list_count(list), 1);
}

static void test_bad_xml(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = xml_of("vm1", UUID1);
        g_auto(GStrv) parts = g_strsplit(xml, "<vcpu>1</vcpu>", 2);
        char *bogus = NULL;

        assert_int_equal(vk_domain_list_new(dir, &list, NULL), 0);
        assert_true(vk_domain_list_define(list, "<domain><name>x", NULL, &err) < 0);
        assert_string_equal(err.name, VK_ERROR_INVALID_XML);
        vk_error_done(&err);

        bogus = g_strjoinv("<vcpu>1</vcpu><bogus/>", parts);
        assert_true(vk_domain_list_define(list, bogus, NULL, &err) < 0);
        assert_string_equal(err.name, VK_ERROR_INVALID_XML);
        assert_non_null(strstr(err.message, "/domain/bogus"));
        g_free(bogus);
        assert_int_equal(vk_domain_list_count(list), 0);
}

static void test_load_skips_bad_files(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_autofree char *good = xml_of("good", UUID1);
        g_autofree char *misnamed = xml_of("other", UUID2);
        g_autofree char *p1 = g_build_filename(dir, "good.xml", NULL);
        g_autofree char *p2 = g_build_filename(dir, "broken.xml", NULL);
        g_autofree char *p3 = g_build_filename(dir, "wrongname.xml", NULL);

        assert_int_equal(vk_atomic_file_write(p1, good, strlen(good), 0600, NULL), 0);
        assert_int_equal(vk_atomic_file_write(p2, "<domain>", 8, 0600, NULL), 0);
        assert_int_equal(vk_atomic_file_write(p3, misnamed, strlen(misnamed), 0600, NULL), 0);
        assert_int_equal(vk_domain_list_new(dir, &list, NULL), 0);
        assert_int_equal(vk_domain_list_load(list, NULL), 1);
        assert_non_null(vk_domain_list_find_by_name(list, "good"));
}

static void test_ids(void **state) {
        const char *dir = *state;
        g_autoptr(VkDomainList) list = NULL;
        g_autofree char *xml = xml_of("vm1", UUID1);
        VkDomainObj *obj;

        assert_int_equal(vk_domain_list_new(dir, &list, NULL), 0);
        assert_int_equal(vk_domain_list_define(list, xml, &obj, NULL), 0);
        assert_false(vk_domain_obj_is_active(obj));
        assert_int_equal(vk_domain_list_set_id(list, obj, 7), 0);
        assert_ptr_equal(vk_domain_list_find_by_id(list, 7), obj);
        assert_int_equal(vk_domain_list_next_id(list), 8);
        assert_int_equal(vk_domain_list_count_active(list), 1);
        assert_int_equal(vk_domain_list_set_id(list, obj, -1), 0);
        assert_null(vk_domain_list_find_by_id(list, 7));
        assert_int_equal(vk_domain_list_count_active(list), 0);
}

static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void on_defined(VkQemuDriver *drv, const char *result, const VkError *error,
                       void *userdata) {
        int *n = userdata;

        assert_null(error);
        assert_non_null(result);
        (*n)++;
}

/* The driver API over a full instance layout: define 1000, list 1000, restart, undefine. */
static void test_driver_1000(void **state) {
        const char *dir = *state;
        g_autoptr(sd_event) e = NULL;
        g_auto(VkPathsEnv) env = { .root = g_strdup(dir) };
        g_autoptr(VkPaths) paths = NULL;
        g_autoptr(VkQemuDriver) drv = NULL;
        g_autoptr(GPtrArray) all = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        double t0, t_define, t_list, t_load;
        int n_defined = 0;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &env, &paths, &err), 0);
        assert_int_equal(vk_paths_make_dirs(paths, 0755, &err), 0);
        assert_int_equal(vk_qemu_driver_new(e, paths, VK_INSTANCE_EMBEDDED, &drv, &err), 0);

        t0 = now_ms();
        for (int i = 0; i < 1000; i++) {
                g_autofree char *name = g_strdup_printf("vm%04d", i);
                g_autofree char *uuid = g_strdup_printf("c7a5fdbd-edaf-9455-926a-%012d", i);
                g_autofree char *xml = xml_of(name, uuid);
                assert_int_equal(vk_qemu_driver_define(drv, xml, on_defined, &n_defined, &err), 0);
        }
        /* each define completes from the loop (the first ones wait for the emulator's probe) */
        while (n_defined < 1000)
                assert_true(sd_event_run(e, UINT64_MAX) >= 0);
        t_define = now_ms() - t0;

        t0 = now_ms();
        assert_int_equal(vk_qemu_driver_list(drv, VK_QEMU_LIST_INACTIVE, &all), 0);
        t_list = now_ms() - t0;
        assert_int_equal(all->len, 1000);
        assert_string_equal(((VkDomainObj *) all->pdata[0])->name, "vm0000");
        g_clear_pointer(&all, g_ptr_array_unref);
        assert_int_equal(vk_qemu_driver_list(drv, VK_QEMU_LIST_ACTIVE, &all), 0);
        assert_int_equal(all->len, 0);
        g_clear_pointer(&all, g_ptr_array_unref);
        assert_false(vk_qemu_driver_is_busy(drv));

        drv = vk_qemu_driver_free(drv);
        t0 = now_ms();
        assert_int_equal(vk_qemu_driver_new(e, paths, VK_INSTANCE_EMBEDDED, &drv, &err), 0);
        t_load = now_ms() - t0;
        assert_int_equal(vk_qemu_driver_list(drv, 0, &all), 0);
        assert_int_equal(all->len, 1000);
        assert_int_equal(vk_qemu_driver_undefine(drv, "vm0001", 0, &err), 0);
        assert_true(vk_qemu_driver_undefine(drv, "vm0001", 0, &err) < 0);
        print_message("define 1000: %.0f ms, list 1000: %.2f ms, load 1000 at start: %.0f ms\n",
                      t_define, t_list, t_load);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_define_lookup_persist, setup, teardown),
                cmocka_unit_test_setup_teardown(test_define_reload_same, setup, teardown),
                cmocka_unit_test_setup_teardown(test_clashes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_xml, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_skips_bad_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
                cmocka_unit_test_setup_teardown(test_driver_1000, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
