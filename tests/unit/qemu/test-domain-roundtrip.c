/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-domain-roundtrip.c: every form we write of every golden domain loads again */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qemu-conf.h"
#include "qemu-domain-def.h"
#include "qemu-security.h"
#include "security-manager.h"
#include "security-state.h"
#include "vk-golden.h"

/*
 * For each input of tests/data/qemuxml that parses: the config form (with secrets) and the
 * status form (live: id, runtime aliases, the labels a start assigns) go through
 * vk_domain_def_format_checked(), which re-parses with the reader's flags and compares. The
 * status form is made under each security setup a daemon can have: root with DAC (files
 * relabelled), root with dynamic_ownership = 0, a non-root instance (session, embedded),
 * and SELinux or AppArmor stacked on DAC (their labels are only formatted and parsed here:
 * this host need not have the LSM). A setup that refuses a domain at prepare (a static DAC
 * label on a session instance, a <seclabel> model not in the stack) is counted, not failed.
 */

typedef struct Setup {
        const char *name;
        const char *driver; /* security_driver */
        bool privileged;
        bool dynamic_ownership;
        const char *model; /* the MAC label the live XML must show, NULL: DAC only */
} Setup;

static const Setup setups[] = {
        { "root-dac", "none", true, true, NULL },
        { "root-dac-no-dynamic-ownership", "none", true, false, NULL },
        { "non-root", "none", false, true, NULL },
        { "selinux", "selinux", true, true, "selinux" },
        { "apparmor", "apparmor", true, true, "apparmor" },
};

static char *data_dir;
static uint32_t rng_state = 1;

static uint32_t test_random(void) {
        rng_state = rng_state * 1103515245U + 12345U;
        return rng_state >> 8;
}

static VkSecurityManager *manager_new(const Setup *s) {
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        VkSecurityManagerOptions opts = {
                .flags = VK_SECURITY_MANAGER_NO_PROBE | VK_SECURITY_MANAGER_NO_HOST_POLICY,
                .random = test_random,
        };
        g_auto(VkError) err = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        g_strfreev(cfg->security_driver);
        cfg->security_driver = g_strdupv((char *[]){ (char *) s->driver, NULL });
        g_free(cfg->user);
        g_free(cfg->group);
        cfg->user = g_strdup("+107");
        cfg->group = g_strdup("+107");
        cfg->dynamic_ownership = s->dynamic_ownership;
        if (vk_qemu_security_manager_new(cfg, s->privileged, &opts, &m, &err) < 0)
                fail_msg("%s: %s", s->name, err.message);
        return m;
}

/* The inputs: NAME.xml without another dot in NAME. */
static GPtrArray *inputs(void) {
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) dir = g_dir_open(data_dir, 0, NULL);
        const char *e;

        assert_non_null(dir);
        while ((e = g_dir_read_name(dir)))
                if (g_str_has_suffix(e, ".xml") && strchr(e, '.') == strrchr(e, '.'))
                        g_ptr_array_add(names, g_strdup(e));
        g_ptr_array_sort(names, (GCompareFunc) g_strcmp0);
        return names;
}

static VkDomainDef *parse_input(const char *name) {
        g_autofree char *path = g_build_filename(data_dir, name, NULL);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        vk_golden_random_seed(1);
        if (vk_domain_def_parse_file(path, 0, &def, &err) < 0)
                return NULL; /* an .err golden */
        return def;
}

/* Runtime aliases on the devices a start names, as a live definition carries them. */
static void add_aliases(VkDomainDef *def) {
        unsigned n = 0;

#define ALIAS(arr, count)                                                                          \
        for (size_t i = 0; i < (count); i++)                                                       \
                if (!(arr)[i]->info.alias)                                                         \
                        (arr)[i]->info.alias = g_strdup_printf("dev%u", n++);
        ALIAS(def->disks, def->n_disks);
        ALIAS(def->controllers, def->n_controllers);
        ALIAS(def->nets, def->n_nets);
        ALIAS(def->serials, def->n_serials);
        ALIAS(def->channels, def->n_channels);
        ALIAS(def->videos, def->n_videos);
        ALIAS(def->rngs, def->n_rngs);
#undef ALIAS
}

static void test_config_form(void **state) {
        g_autoptr(GPtrArray) names = inputs();
        unsigned checked = 0;
        int64_t spent = 0;

        for (guint i = 0; i < names->len; i++) {
                g_autoptr(VkDomainDef) def = parse_input(names->pdata[i]);
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *xml = NULL;

                int64_t t0;

                if (!def)
                        continue;
                t0 = g_get_monotonic_time();
                if (vk_domain_def_format_checked(def, VK_DOMAIN_DEF_FORMAT_SECURE,
                                                 "the config file", &xml, &err) < 0)
                        fail_msg("%s: %s", (char *) names->pdata[i], err.message);
                spent += g_get_monotonic_time() - t0;
                checked++;
        }
        assert_true(checked > 50);
        print_message("# config form: %u goldens re-parse to the same model (the checked "
                      "format: %.0f us each)\n",
                      checked, (double) spent / checked);
}

static void test_status_form(void **state) {
        const Setup *s = *state;
        g_autoptr(VkSecurityManager) mgr = manager_new(s);
        g_autoptr(GPtrArray) names = inputs();
        unsigned checked = 0, refused = 0;

        for (guint i = 0; i < names->len; i++) {
                const char *name = names->pdata[i];
                g_autoptr(VkDomainDef) def = parse_input(name);
                g_autoptr(VkDomainDef) live = NULL;
                g_autoptr(VkDomainDef) again = NULL;
                g_autoptr(VkSecurityState) sec = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *config = NULL, *xml = NULL, *want = NULL;

                if (!def)
                        continue;
                if (vk_qemu_security_prepare(mgr, def, &sec, &err) < 0) {
                        refused++;
                        continue;
                }
                /* the driver's copy of the config for one start */
                assert_int_equal(
                        vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_SECURE, &config, NULL), 0);
                assert_int_equal(vk_domain_def_parse_string(config, 0, &live, NULL), 0);
                live->id = 7;
                add_aliases(live);
                assert_int_equal(vk_qemu_security_set_live_seclabels(sec, live), 0);
                if (vk_domain_def_format_checked(
                            live, VK_DOMAIN_DEF_FORMAT_LIVE | VK_DOMAIN_DEF_FORMAT_SECURE,
                            "the status file", &xml, &err) < 0)
                        fail_msg("%s (%s): %s", name, s->name, err.message);
                /* the labels are there, and the status parses as the daemon reads it */
                want = g_strdup_printf("model='%s'", s->model ? s->model : "dac");
                if (!strstr(xml, want))
                        fail_msg("%s (%s): no %s in\n%s", name, s->name, want, xml);
                assert_int_equal(
                        vk_domain_def_parse_string(xml, VK_DOMAIN_DEF_PARSE_LIVE, &again, NULL), 0);
                assert_int_equal(again->id, 7);
                assert_int_equal(again->n_seclabels, live->n_seclabels);
                checked++;
        }
        assert_true(checked > 50);
        print_message("# %s: %u status forms re-parse to the same model, %u refused at "
                      "prepare\n",
                      s->name, checked, refused);
}

/* A model that would not load again is refused, naming the element. */
static void test_refused(void **state) {
        g_autoptr(VkDomainDef) def = parse_input("serial-pty.xml");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;

        assert_non_null(def);
        assert_true(def->n_serials > 0);
        def->serials[0]->target_port = 9; /* ISA: 0-3 */
        assert_true(vk_domain_def_format_checked(def, 0, "the config file", &xml, &err) < 0);
        assert_null(xml);
        assert_string_equal(err.name, VK_ERROR_INTERNAL);
        print_message("# %s\n", err.message);
        assert_non_null(strstr(err.message, "the config file of domain 'guest' would not load"));
        assert_non_null(strstr(err.message, "/domain/devices/serial"));
        vk_error_done(&err);

        def->serials[0]->target_port = 0;
        g_free(def->title);
        def->title = g_strdup(" padded ");
        /* parses, but to another model: the parser strips the title */
        assert_true(vk_domain_def_format_checked(def, 0, "the config file", &xml, &err) < 0);
        print_message("# %s\n", err.message);
        assert_non_null(strstr(err.message, "would load as a different definition"));
        assert_non_null(strstr(err.message, "/domain/title (line 4: "));
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        data_dir = vk_golden_data_dir("qemuxml");
        if (!data_dir)
                return 1;
        vk_domain_def_set_random_source(vk_golden_random);
        vk_golden_tests_add(t, test_config_form, "config-form", NULL);
        vk_golden_tests_add(t, test_refused, "refused", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(setups); i++)
                vk_golden_tests_add(t, test_status_form, setups[i].name, (void *) &setups[i]);
        r = vk_golden_tests_run(t, "domain-roundtrip", NULL, NULL);
        g_free(data_dir);
        return r;
}
