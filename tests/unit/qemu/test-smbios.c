/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-smbios.c: the host's SMBIOS strings read for <os><smbios mode='host'/> */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "qemu-smbios.h"

static void put(const char *dir, const char *name, const char *text) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A fake /sys/class/dmi/id: present files become entries (trimmed), unreadable, empty and
 * missing ones are left out, the host's UUID never comes along. */
static void test_read(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-smbios-XXXXXX", NULL);
        g_auto(VkDomainSysinfo) si = {};
        g_autofree char *serial = NULL;

        (void) state;
        assert_non_null(dir);
        put(dir, "bios_vendor", "SeaBIOS\n");
        put(dir, "bios_date", "04/01/2014\n");
        put(dir, "sys_vendor", "  QEMU \n");
        put(dir, "product_name", "\n");
        put(dir, "product_uuid", "1b4e28ba-2fa1-11d2-883f-0016d3cca427\n");
        put(dir, "product_serial", "secret\n");
        serial = g_build_filename(dir, "product_serial", NULL);
        assert_int_equal(g_chmod(serial, 0), 0);

        vk_qemu_host_sysinfo_read(dir, &si);
        assert_true(si.present);
        assert_true(si.has_bios);
        assert_string_equal(si.bios.v[0], "SeaBIOS");
        assert_null(si.bios.v[1]);
        assert_string_equal(si.bios.v[2], "04/01/2014");
        assert_true(si.has_system);
        assert_string_equal(si.system.v[0], "QEMU");
        assert_null(si.system.v[1]); /* empty */
        for (size_t i = 3; i < VK_SYSINFO_ENTRIES_MAX; i++)
                if (geteuid() != 0 || i != 3) /* root reads a mode 0 file */
                        assert_null(si.system.v[i]);
        assert_false(si.has_chassis);
        (void) g_chmod(serial, 0600);
        (void) g_remove(serial);
        for (const char *const *n = (const char *const[]){ "bios_vendor", "bios_date", "sys_vendor",
                                                           "product_name", "product_uuid", NULL };
             *n; n++) {
                g_autofree char *p = g_build_filename(dir, *n, NULL);

                (void) g_remove(p);
        }
        (void) g_rmdir(dir);
}

/* No DMI at all (this kind of VM): nothing, and no failure */
static void test_missing(void **state) {
        g_auto(VkDomainSysinfo) si = {};

        (void) state;
        vk_qemu_host_sysinfo_read("/nonexistent/dmi", &si);
        assert_false(si.has_bios);
        assert_false(si.has_system);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_missing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
