/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-user.c: user and group lookups in the NSS databases of this host */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "user.h"

/* Ids no system hands out: their lookups find nothing. */
#define UNNAMED_ID 2147480000u

static void test_user(void **state) {
        g_autofree char *name = NULL;
        uid_t uid = 1;

        assert_int_equal(vk_user_lookup_name("root", &uid), 0);
        assert_int_equal(uid, 0);
        assert_int_equal(vk_user_lookup_uid(0, &name), 0);
        assert_string_equal(name, "root");

        uid = 7;
        assert_int_equal(vk_user_lookup_name("no-such-user-vk", &uid), -ENOENT);
        assert_int_equal(uid, 7); /* untouched on failure */
        assert_int_equal(vk_user_lookup_uid(UNNAMED_ID, &name), -ENOENT);
        assert_string_equal(name, "root");
}

static void test_group(void **state) {
        g_autofree char *name = NULL;
        gid_t gid = 1;

        assert_int_equal(vk_group_lookup_name("root", &gid), 0);
        assert_int_equal(gid, 0);
        assert_int_equal(vk_group_lookup_gid(0, &name), 0);
        assert_string_equal(name, "root");

        gid = 7;
        assert_int_equal(vk_group_lookup_name("no-such-group-vk", &gid), -ENOENT);
        assert_int_equal(gid, 7);
        assert_int_equal(vk_group_lookup_gid(UNNAMED_ID, &name), -ENOENT);
        assert_string_equal(name, "root");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user),
                cmocka_unit_test(test_group),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
