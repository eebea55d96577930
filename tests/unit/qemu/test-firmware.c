/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-firmware.c: firmware descriptors (caps/qemu-firmware.c) and the NVRAM copy (qemu-nvram.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "qemu-firmware.h"
#include "qemu-nvram.h"

/* A descriptor as Debian's ovmf writes them (tests never read the host's). */
static char *descriptor(const char *code, const char *vars, const char *machines,
                        const char *features) {
        return g_strdup_printf(
                "{ \"description\": \"test\", \"interface-types\": [ \"uefi\" ],\n"
                "  \"mapping\": { \"device\": \"flash\",\n"
                "    \"executable\": { \"filename\": \"%s\", \"format\": \"raw\" },\n"
                "    \"nvram-template\": { \"filename\": \"%s\", \"format\": \"raw\" } },\n"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ %s ] } ],\n"
                "  \"features\": [ %s ], \"tags\": [] }\n",
                code, vars, machines, features);
}

typedef struct Fixture {
        char *top;
        char *dirs[4]; /* usr, etc, home, NULL */
} Fixture;

static void put(const char *dir, const char *name, const char *text) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
        assert_true(g_file_set_contents(path, text, -1, NULL));
}

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);
        g_autofree char *sb = NULL, *ms = NULL, *plain = NULL;

        f->top = g_dir_make_tmp("vk-fw-XXXXXX", NULL);
        assert_non_null(f->top);
        f->dirs[0] = g_build_filename(f->top, "usr", NULL);
        f->dirs[1] = g_build_filename(f->top, "etc", NULL);
        f->dirs[2] = g_build_filename(f->top, "home", NULL);
        ms = descriptor("/fw/CODE.ms.fd", "/fw/VARS.ms.fd", "\"pc-q35-*\"",
                        "\"acpi-s3\", \"enrolled-keys\", \"requires-smm\", \"secure-boot\", "
                        "\"future-thing\"");
        sb = descriptor("/fw/CODE.secboot.fd", "/fw/VARS.fd", "\"pc-q35-*\"",
                        "\"acpi-s3\", \"requires-smm\", \"secure-boot\"");
        plain = descriptor("/fw/CODE.fd", "/fw/VARS.fd", "\"pc-i440fx-*\", \"pc-q35-*\"",
                           "\"acpi-s3\"");
        put(f->dirs[0], "40-secure-enrolled.json", ms);
        put(f->dirs[0], "50-secure.json", sb);
        put(f->dirs[0], "60-plain.json", plain);
        put(f->dirs[0], "README", "not a descriptor");
        *state = f;
        return 0;
}

static void rm_rf(const char *path) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(path, name, NULL);

                if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                        rm_rf(p);
                else
                        (void) g_unlink(p);
        }
        (void) g_rmdir(path);
}

static int teardown(void **state) {
        Fixture *f = *state;

        rm_rf(f->top);
        for (size_t i = 0; i < 3; i++)
                g_free(f->dirs[i]);
        g_free(f->top);
        g_free(f);
        return 0;
}

static VkDomainDef *domain(const char *os) {
        g_autofree char *xml = g_strdup_printf("<domain type='kvm'><name>vm</name>"
                                               "<memory unit='MiB'>64</memory>%s</domain>",
                                               os);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        if (vk_domain_def_parse_string(xml, 0, &def, &err) < 0)
                fail_msg("parse: %s", err.message);
        return def;
}

/* The descriptor chosen for @os on @machine (its file name), or the error text. */
static char *choose(Fixture *f, const char *os, const char *machine, VkDomainDef **ret_def) {
        g_autoptr(VkDomainDef) def = domain(os);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *chosen = NULL;

        if (vk_qemu_firmware_fill(def, machine, (const char *const *) f->dirs, "/nv", &chosen,
                                  &err) < 0)
                return g_strdup_printf("error: %s", err.message);
        if (ret_def)
                *ret_def = g_steal_pointer(&def);
        return chosen ? g_path_get_basename(chosen) : g_strdup("none");
}

#define EFI(extra) "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>" extra "</os>"

static void test_choice(void **state) {
        Fixture *f = *state;
        g_autoptr(VkDomainDef) def = NULL;
        g_autofree char *s = NULL;

        /* the first that suits: libvirt gives a plain <os firmware='efi'> the enrolled build */
        s = choose(f, EFI(""), "pc-q35-7.2", &def);
        assert_string_equal(s, "40-secure-enrolled.json");
        assert_string_equal(def->loader_path, "/fw/CODE.ms.fd");
        assert_string_equal(def->nvram_template, "/fw/VARS.ms.fd");
        assert_string_equal(def->nvram_path, "/nv/vm_VARS.fd");
        assert_int_equal(def->loader_type, VK_LOADER_TYPE_PFLASH);
        assert_int_equal(def->loader_readonly, VK_TRISTATE_YES);
        assert_int_equal(def->loader_secure, VK_TRISTATE_YES);
        assert_int_equal(def->features[VK_FEATURE_SMM], VK_TRISTATE_YES);
        assert_int_equal(def->os_firmware, VK_OS_FIRMWARE_NONE); /* the live XML shows the choice */

#define CHECK(os, machine, want)                                                                   \
        do {                                                                                       \
                g_autofree char *got = choose(f, os, machine, NULL);                               \
                assert_string_equal(got, want);                                                    \
        } while (0)
        CHECK(EFI("<firmware><feature enabled='no' name='secure-boot'/></firmware>"), "pc-q35-7.2",
              "60-plain.json");
        CHECK(EFI("<firmware><feature enabled='yes' name='secure-boot'/>"
                  "<feature enabled='no' name='enrolled-keys'/></firmware>"),
              "pc-q35-7.2", "50-secure.json");
        CHECK(EFI("<loader secure='no'/>"), "pc-q35-7.2", "60-plain.json");
        CHECK(EFI("<loader secure='yes'/>"), "pc-q35-7.2", "40-secure-enrolled.json");
        CHECK(EFI("<loader readonly='yes' type='pflash'>/fw/CODE.secboot.fd</loader>"),
              "pc-q35-7.2", "50-secure.json");
        /* only the plain build runs on i440fx; SMM off rules the secure ones out */
        CHECK("<os firmware='efi'><type arch='x86_64' machine='pc'>hvm</type></os>",
              "pc-i440fx-7.2", "60-plain.json");
        CHECK("<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>"
              "<features><smm state='off'/></features>",
              "pc-q35-7.2", "60-plain.json");
        CHECK("<os firmware='efi'><type arch='i686' machine='q35'>hvm</type></os>", "pc-q35-7.2",
              "error: Unable to find any firmware to satisfy 'efi' for machine 'pc-q35-7.2'");
        CHECK("<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>"
              "<pm><suspend-to-disk enabled='yes'/></pm>",
              "pc-q35-7.2",
              "error: Unable to find any firmware to satisfy 'efi' for machine 'pc-q35-7.2'");
        CHECK(EFI("<firmware><feature enabled='no' name='secure-boot'/></firmware>"
                  "<loader secure='yes'/>"),
              "pc-q35-7.2",
              "error: Unable to find any firmware to satisfy 'efi' for machine 'pc-q35-7.2'");
        CHECK(EFI("<loader type='pflash'>/fw/OTHER.fd</loader>"), "pc-q35-7.2",
              "error: Unable to find any firmware to satisfy 'efi' for machine 'pc-q35-7.2' "
              "with loader '/fw/OTHER.fd'");
        /* firmware='bios' without a bios descriptor: QEMU's own; no firmware=: untouched */
        CHECK("<os firmware='bios'><type arch='x86_64' machine='pc'>hvm</type></os>",
              "pc-i440fx-7.2", "none");
        CHECK("<os><type arch='x86_64' machine='pc'>hvm</type></os>", "pc-i440fx-7.2", "none");
}

/* A read-only pflash loader without a template: the descriptor of that file gives one. */
static void test_old_style(void **state) {
        Fixture *f = *state;
        g_autoptr(VkDomainDef) def = NULL;
        g_autofree char *s = NULL;

        s = choose(f,
                   "<os><type arch='x86_64' machine='q35'>hvm</type>"
                   "<loader readonly='yes' type='pflash'>/fw/CODE.fd</loader></os>",
                   "pc-q35-7.2", &def);
        assert_string_equal(s, "60-plain.json");
        assert_string_equal(def->nvram_template, "/fw/VARS.fd");
        assert_string_equal(def->nvram_path, "/nv/vm_VARS.fd");
        assert_int_equal(def->features[VK_FEATURE_SMM], VK_TRISTATE_ABSENT);
        g_clear_pointer(&def, vk_domain_def_free);
        g_clear_pointer(&s, g_free);
        /* a loader no descriptor knows keeps what it has, with the NVRAM path filled */
        s = choose(f,
                   "<os><type arch='x86_64' machine='q35'>hvm</type>"
                   "<loader readonly='yes' type='pflash'>/elsewhere/CODE.fd</loader></os>",
                   "pc-q35-7.2", &def);
        assert_string_equal(s, "none");
        assert_null(def->nvram_template);
        assert_string_equal(def->nvram_path, "/nv/vm_VARS.fd");
}

/* A later directory's file replaces the same name; an empty one takes it out. */
static void test_precedence(void **state) {
        Fixture *f = *state;
        g_autofree char *user =
                descriptor("/home/fw/MINE.fd", "/home/fw/MINE_VARS.fd", "\"pc-q35-*\"", "");
        g_auto(GStrv) paths = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *got = NULL;

        put(f->dirs[1], "40-secure-enrolled.json", "");
        put(f->dirs[2], "60-plain.json", user);
        put(f->dirs[2], ".hidden.json", "{");
        assert_int_equal(vk_qemu_firmware_list((const char *const *) f->dirs, &paths, &err), 0);
        assert_int_equal(g_strv_length(paths), 2);
        assert_true(g_str_has_suffix(paths[0], "/usr/50-secure.json"));
        assert_true(g_str_has_suffix(paths[1], "/home/60-plain.json"));

        got = choose(f, EFI("<firmware><feature enabled='no' name='secure-boot'/></firmware>"),
                     "pc-q35-7.2", NULL);
        assert_string_equal(got, "60-plain.json");
        {
                g_autoptr(VkDomainDef) def = NULL;
                g_autofree char *s = choose(f, EFI(""), "pc-q35-7.2", &def);

                assert_string_equal(s, "50-secure.json"); /* 40 is masked */
        }

        /* a broken descriptor is an error naming it, as in libvirt */
        put(f->dirs[2], "10-broken.json", "{ \"interface-types\": [ \"uefi\" ] }");
        g_clear_pointer(&got, g_free);
        got = choose(f, EFI(""), "pc-q35-7.2", NULL);
        assert_non_null(strstr(got, "10-broken.json': no mapping"));
}

static void test_dirs(void **state) {
        g_auto(GStrv) sys = vk_qemu_firmware_dirs(true, "/home/u/.config");
        g_auto(GStrv) ses = vk_qemu_firmware_dirs(false, "/home/u/.config");

        assert_int_equal(g_strv_length(sys), 2);
        assert_string_equal(sys[0], "/usr/share/qemu/firmware");
        assert_string_equal(sys[1], "/etc/qemu/firmware");
        assert_int_equal(g_strv_length(ses), 3);
        assert_string_equal(ses[2], "/home/u/.config/qemu/firmware");
}

/* The copy: whole, private, once; nothing left when it cannot be made. */
static void test_nvram(void **state) {
        Fixture *f = *state;
        g_autofree char *tmpl = g_build_filename(f->top, "VARS.fd", NULL);
        g_autofree char *nv = g_build_filename(f->top, "lib", "nvram", "vm_VARS.fd", NULL);
        g_autofree char *xml =
                g_strdup_printf("<os><type arch='x86_64' machine='q35'>hvm</type>"
                                "<loader readonly='yes' type='pflash'>/fw/CODE.fd</loader>"
                                "<nvram template='%s'>%s</nvram></os>",
                                tmpl, nv);
        g_autoptr(VkDomainDef) def = domain(xml);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *data = g_malloc(200000);
        g_autofree char *copy = NULL;
        gsize len = 0;
        struct stat st;

        for (size_t i = 0; i < 200000; i++)
                data[i] = (char) (i * 7);
        assert_true(g_file_set_contents(tmpl, data, 200000, NULL));

        assert_int_equal(vk_qemu_nvram_create(def, (uid_t) -1, (gid_t) -1, &err), 1);
        assert_true(g_file_get_contents(nv, &copy, &len, NULL));
        assert_int_equal(len, 200000);
        assert_memory_equal(copy, data, 200000);
        assert_int_equal(stat(nv, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* there already: kept as it is */
        assert_true(g_file_set_contents(nv, "guest's own", -1, NULL));
        assert_int_equal(vk_qemu_nvram_create(def, (uid_t) -1, (gid_t) -1, &err), 0);
        g_clear_pointer(&copy, g_free);
        assert_true(g_file_get_contents(nv, &copy, NULL, NULL));
        assert_string_equal(copy, "guest's own");

        /* no template: an error naming both, and nothing made */
        assert_int_equal(g_unlink(nv), 0);
        assert_int_equal(g_unlink(tmpl), 0);
        assert_true(vk_qemu_nvram_create(def, (uid_t) -1, (gid_t) -1, &err) < 0);
        assert_non_null(strstr(err.message, "VARS.fd"));
        assert_false(g_file_test(nv, G_FILE_TEST_EXISTS));
        {
                g_autofree char *dir = g_path_get_dirname(nv);
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

                assert_true(d == NULL || g_dir_read_name(d) == NULL); /* no temporary left */
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_choice, setup, teardown),
                cmocka_unit_test_setup_teardown(test_old_style, setup, teardown),
                cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
                cmocka_unit_test(test_dirs),
                cmocka_unit_test_setup_teardown(test_nvram, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
