/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-caps-hostcpu.c: the host-model CPU from recorded QEMU 7.2 replies (KVM; none under
 * TCG), its cache, and a host-model definition expanded and formatted as a started domain
 * shows it (libvirt 9.0's live XML: mode='custom' match='exact' check='full') */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "qemu-argv.h"
#include "qemu-caps-hostcpu.h"
#include "qemu-caps.h"

#define EMULATOR "/usr/bin/qemu-system-x86_64"
/* recorded as root on the test machine (a KVM guest: "Intel(R) Xeon(R) Processor", family 6
 * model 167, whose KVM offers no SSE3 and up) */
#define KVM_REPLIES "caps_7.2.0_x86_64.replies"

static char *replies_text(void) {
        const char *src = getenv("VK_TEST_SRCDIR");
        g_autofree char *path =
                g_build_filename(src ? src : "tests", "data", "qemucaps", KVM_REPLIES, NULL);
        char *text = NULL;

        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

static VkQemuCaps *load_text(const char *text) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuCaps *caps = NULL;

        assert_int_equal(vk_qemu_caps_new_from_replies(text, EMULATOR, NULL, &caps, &err), 0);
        return caps;
}

static VkQemuCaps *load(void) {
        g_autofree char *text = replies_text();
        return load_text(text);
}

/*
 * libvirt 9.0's <mode name='host-model'> of `virsh domcapabilities --virttype kvm` on the
 * machine and QEMU of KVM_REPLIES (policy and libvirt's names, in libvirt's order; "~": not
 * migratable, left out of a guest's CPU), recorded with tests/data/compat/regenerate.py's
 * private libvirtd. Its -cpu line is in tests/data/compat/cpu-host-model.libvirt.args.
 */
static const char *const libvirt_kvm_host_model[] = {
        "+vme",
        "+ss",
        "+x2apic",
        "+tsc-deadline",
        "+hypervisor",
        "+arat",
        "+tsc_adjust",
        "+hle",
        "+rtm",
        "+clflushopt",
        "+clwb",
        "+umip",
        "+gfni",
        "+la57",
        "+cldemote",
        "+movdiri",
        "+movdir64b",
        "+tsx-ldtrk",
        "+arch-capabilities",
        "+lahf_lm",
        "+3dnowprefetch",
        "+invtsc~",
        "+rdctl-no",
        "+rsba",
        "+skip-l1dfl-vmentry",
        "+mds-no",
        "+pschange-mc-no",
        "+taa-no",
        "-pni",
        NULL,
};

/*
 * KVM: QEMU's "host" here lacks SSE3 and everything after it, so no model with its family and
 * model exists and the smallest score wins: kvm64, as libvirt 9.0 picks. Every feature we
 * list, libvirt lists with the same policy; libvirt lists two more because its CPU map's
 * kvm64 lacks vme and x2apic, which QEMU's kvm64 has under KVM: the guest's CPU is the same.
 */
static void test_kvm(void **state) {
        g_autoptr(VkQemuCaps) caps = load();
        const VkQemuHostCpu *hc = vk_qemu_caps_get_host_cpu(caps, true);
        g_autoptr(GHashTable) theirs = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) only_theirs = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *joined = NULL;

        assert_non_null(hc);
        assert_null(vk_qemu_caps_get_host_cpu(caps, false));
        assert_string_equal(hc->model, "kvm64");
        assert_string_equal(hc->vendor, "Intel");
        for (size_t i = 0; libvirt_kvm_host_model[i]; i++)
                g_hash_table_add(theirs, (gpointer) libvirt_kvm_host_model[i]);
        for (size_t i = 0; i < hc->n_features; i++) {
                g_autofree char *f = g_strdup_printf("%c%s%s", hc->features[i].enabled ? '+' : '-',
                                                     vk_cpu_feature_from_qemu(hc->features[i].name),
                                                     hc->features[i].migratable ? "" : "~");
                if (!g_hash_table_remove(theirs, f))
                        fail_msg("%s: libvirt does not list it so", f);
        }
        for (size_t i = 0; libvirt_kvm_host_model[i]; i++)
                if (g_hash_table_contains(theirs, libvirt_kvm_host_model[i]))
                        g_ptr_array_add(only_theirs, g_strdup(libvirt_kvm_host_model[i]));
        g_ptr_array_add(only_theirs, NULL);
        joined = g_strjoinv(" ", (char **) only_theirs->pdata);
        assert_string_equal(joined, "+vme +x2apic");
}

/* TCG: no host to model; the probe computes nothing and host-model runs "max". */
static void test_tcg(void **state) {
        g_autofree char *text = replies_text();
        const char *kvm = "{\"return\": {\"enabled\": true, \"present\": true}, \"id\": \"vk-4\"}";
        g_autofree char *tcg_text = NULL;
        g_autoptr(VkQemuCaps) caps = NULL;
        g_autoptr(VkDomainDef) def = NULL;
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *native = NULL;
        VkQemuArgvOptions opts = { .private_dir = "/run/vk/domain-1-g" };
        char *at = strstr(text, kvm);

        assert_non_null(at);
        *at = 0;
        tcg_text = g_strconcat(text,
                               "{\"return\": {\"enabled\": false, \"present\": true}, "
                               "\"id\": \"vk-4\"}",
                               at + strlen(kvm), NULL);
        caps = load_text(tcg_text);
        assert_null(vk_qemu_caps_get_host_cpu(caps, false));
        assert_null(vk_qemu_caps_get_host_cpu(caps, true));

        assert_int_equal(vk_domain_def_parse_string(
                                 "<domain type='qemu'><name>g</name><memory>65536</memory>"
                                 "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                                 "<cpu mode='host-model'/></domain>",
                                 0, &def, &err),
                         0);
        assert_int_equal(vk_qemu_caps_expand_host_model(caps, false, &def->cpu), 0);
        assert_int_equal(def->cpu.mode, VK_CPU_MODE_HOST_MODEL);
        assert_int_equal(vk_qemu_build_command(def, caps, cfg, &opts, &cmd, &err), 0);
        native = vk_qemu_command_to_native(cmd);
        assert_non_null(strstr(native, " -cpu max "));
}

/* A host-model definition as a started domain shows it, and back. */
static void test_expand(void **state) {
        g_autoptr(VkQemuCaps) caps = load();
        g_autoptr(VkDomainDef) def = NULL;
        g_autoptr(VkDomainDef) again = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;
        g_autofree char *xml2 = NULL;
        const VkDomainCpu *cpu;
        bool saw_hle = false;

        assert_int_equal(
                vk_domain_def_parse_string(
                        "<domain type='kvm'><name>g</name><memory>65536</memory>"
                        "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                        "<vcpu>2</vcpu><cpu mode='host-model'><topology sockets='1' cores='2' "
                        "threads='1'/><feature policy='disable' name='hle'/>"
                        "<feature policy='require' name='lahf_lm'/></cpu></domain>",
                        0, &def, &err),
                0);

        assert_int_equal(vk_qemu_caps_expand_host_model(caps, true, &def->cpu), 1);
        cpu = &def->cpu;
        assert_int_equal(cpu->mode, VK_CPU_MODE_CUSTOM);
        assert_int_equal(cpu->match, VK_CPU_MATCH_EXACT);
        assert_int_equal(cpu->check, VK_CPU_CHECK_FULL);
        assert_int_equal(cpu->fallback, VK_CPU_FALLBACK_FORBID);
        assert_string_equal(cpu->model, "kvm64");
        assert_string_equal(cpu->vendor, "Intel");
        assert_int_equal(cpu->cores, 2);
        for (size_t i = 0; i < cpu->n_features; i++) {
                /* invtsc is the host's only: a migratable guest does not get it */
                assert_string_not_equal(cpu->features[i].name, "invtsc");
                /* libvirt's spelling in XML */
                assert_string_not_equal(cpu->features[i].name, "tsc-adjust");
                if (strcmp(cpu->features[i].name, "hle") == 0) {
                        assert_int_equal(cpu->features[i].policy, VK_CPU_FEATURE_DISABLE);
                        saw_hle = true;
                }
        }
        assert_true(saw_hle);
        /* expanded once: a second call changes nothing */
        assert_int_equal(vk_qemu_caps_expand_host_model(caps, true, &def->cpu), 0);

        assert_int_equal(vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_LIVE, &xml, &err), 0);
        assert_non_null(strstr(xml, "<cpu mode='custom' match='exact' check='full'>\n"
                                    "    <model fallback='forbid'>kvm64</model>\n"
                                    "    <vendor>Intel</vendor>\n"));
        assert_non_null(strstr(xml, "<feature policy='require' name='tsc_adjust'/>"));
        assert_non_null(strstr(xml, "<feature policy='disable' name='pni'/>"));
        assert_non_null(strstr(xml, "<feature policy='require' name='lahf_lm'/>"));
        assert_int_equal(vk_domain_def_parse_string(xml, VK_DOMAIN_DEF_PARSE_LIVE, &again, &err),
                         0);
        assert_int_equal(vk_domain_def_format(again, VK_DOMAIN_DEF_FORMAT_LIVE, &xml2, &err), 0);
        assert_string_equal(xml, xml2);
}

/* The command line of the host-model definition and of its expanded form are the same. */
static void test_argv(void **state) {
        g_autoptr(VkQemuCaps) caps = load();
        g_autoptr(VkDomainDef) def = NULL;
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autoptr(VkQemuCommand) cmd2 = NULL;
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *native = NULL;
        g_autofree char *native2 = NULL;
        VkQemuArgvOptions opts = { .private_dir = "/run/vk/domain-1-g" };
        const char *cpu;

        assert_int_equal(
                vk_domain_def_parse_string("<domain type='kvm'><name>g</name><memory>65536</memory>"
                                           "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                                           "<cpu mode='host-model'><feature policy='disable' "
                                           "name='tsc_adjust'/></cpu></domain>",
                                           0, &def, &err),
                0);
        assert_int_equal(vk_qemu_build_command(def, caps, cfg, &opts, &cmd, &err), 0);
        native = vk_qemu_command_to_native(cmd);
        cpu = strstr(native, "-cpu kvm64,3dnowprefetch=on,arat=on,");
        assert_non_null(cpu);
        /* QEMU's spelling on the command line, the definition's policy wins */
        assert_non_null(strstr(native, ",tsc-adjust=off"));
        assert_null(strstr(native, "tsc-adjust=on"));
        assert_null(strstr(native, "invtsc"));
        assert_non_null(strstr(native, ",pni=off"));
        assert_null(strstr(native, "ssse3"));

        assert_int_equal(vk_qemu_caps_expand_host_model(caps, true, &def->cpu), 1);
        assert_int_equal(vk_qemu_build_command(def, caps, cfg, &opts, &cmd2, &err), 0);
        native2 = vk_qemu_command_to_native(cmd2);
        assert_string_equal(native, native2);
}

/* The host model is in the cache file; a cache of the format before it is probed again. */
static void test_cache(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-test-hostcpu-XXXXXX", NULL);
        g_autofree char *bin = g_build_filename(dir, "qemu-system-x86_64", NULL);
        g_autofree char *cachedir = g_build_filename(dir, "cache", NULL);
        g_autoptr(VkQemuCaps) caps = NULL;
        g_autoptr(VkQemuCaps) loaded = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GDir) d = NULL;
        VkQemuCaps *none = NULL;
        struct stat st;
        char *at;

        assert_true(g_file_set_contents(bin, "not really qemu", -1, NULL));
        assert_int_equal(stat(bin, &st), 0);
        /* the recorded caps with the identity of @bin */
        {
                const char *src = getenv("VK_TEST_SRCDIR");
                g_autofree char *rp = g_build_filename(src ? src : "tests", "data", "qemucaps",
                                                       KVM_REPLIES, NULL);
                g_autofree char *replies = NULL;

                assert_true(g_file_get_contents(rp, &replies, NULL, NULL));
                assert_int_equal(vk_qemu_caps_new_from_replies(replies, bin, &st, &caps, &err), 0);
        }
        assert_int_equal(vk_qemu_caps_save_cache(caps, cachedir, &err), 0);
        assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &loaded, &err), 1);
        assert_true(vk_qemu_caps_equal(caps, loaded));
        assert_non_null(vk_qemu_caps_get_host_cpu(loaded, true));
        assert_string_equal(vk_qemu_caps_get_host_cpu(loaded, true)->model, "kvm64");

        /* written before the host model was cached: stale */
        d = g_dir_open(cachedir, 0, NULL);
        path = g_build_filename(cachedir, g_dir_read_name(d), NULL);
        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        at = strstr(text, "\"cacheFormat\":2");
        assert_non_null(at);
        at[strlen("\"cacheFormat\":")] = '1';
        assert_true(g_file_set_contents(path, text, -1, NULL));
        assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 0);
        assert_null(none);

        (void) unlink(path);
        (void) unlink(bin);
        (void) rmdir(cachedir);
        (void) rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kvm),    cmocka_unit_test(test_tcg),
                cmocka_unit_test(test_expand), cmocka_unit_test(test_argv),
                cmocka_unit_test(test_cache),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
