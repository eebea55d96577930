/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-qemu-caps-probe.c: probe the real QEMU through the async API, then cache it */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "qemu-caps.h"
#include "sd-glue.h"

#define EMULATOR "/usr/bin/qemu-system-x86_64"

typedef struct Result {
        bool done;
        VkQemuCaps *caps;
        char *error;
} Result;

static void on_probed(VkQemuCapsProbe *probe, VkQemuCaps *caps, const VkError *error,
                      void *userdata) {
        Result *r = userdata;

        r->done = true;
        if (caps)
                r->caps = vk_qemu_caps_ref(caps);
        if (error)
                r->error = g_strdup(error->message);
}

static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void probe(const char *binary, Result *r, double *ret_ms) {
        g_autofree char *tmp = g_dir_make_tmp("vk-test-probe-XXXXXX", NULL);
        g_autoptr(sd_event) e = NULL;
        g_autoptr(VkQemuCapsProbe) p = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        double t0 = now_ms();

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(vk_qemu_caps_probe_async(e, binary, tmp, on_probed, r, &p, &err), 0);
        assert_false(r->done);
        while (!r->done)
                assert_true(sd_event_run(e, UINT64_MAX) >= 0);
        if (ret_ms)
                *ret_ms = now_ms() - t0;
        p = vk_qemu_caps_probe_free(g_steal_pointer(&p));
        /* let the loop reap whatever is left */
        for (int i = 0; i < 5; i++)
                (void) sd_event_run(e, 1000);
        assert_int_equal(rmdir(tmp), 0); /* QEMU left nothing behind */
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void test_probe_real_qemu(void **state) {
        double ms[5];
        Result r = {};

        if (access(EMULATOR, X_OK) < 0)
                skip();

        for (size_t i = 0; i < VK_ELEMENTSOF(ms); i++) {
                r = (Result){};
                probe(EMULATOR, &r, &ms[i]);
                assert_null(r.error);
                assert_non_null(r.caps);
                if (i + 1 < VK_ELEMENTSOF(ms))
                        r.caps = vk_qemu_caps_unref(r.caps);
        }
        qsort(ms, VK_ELEMENTSOF(ms), sizeof(double), compare_double);
        print_message("cold probe of %s: median %.1f ms (min %.1f, max %.1f)\n", EMULATOR, ms[2],
                      ms[0], ms[4]);

        assert_true(vk_qemu_caps_get_version(r.caps) >= 7000000);
        assert_string_equal(vk_qemu_caps_get_arch(r.caps), "x86_64");
        assert_non_null(vk_qemu_caps_get_default_machine(r.caps));
        assert_non_null(vk_qemu_caps_canonical_machine(r.caps, "q35"));
        assert_true(vk_qemu_caps_has(r.caps, VK_QEMU_CAPS_BLOCKDEV));
        assert_true(vk_qemu_caps_has(r.caps, VK_QEMU_CAPS_DEVICE_JSON));
        assert_true(vk_qemu_caps_device_has_property(r.caps, "virtio-blk-pci", "drive"));

        /* and through the cache */
        g_autofree char *dir = g_dir_make_tmp("vk-test-probe-cache-XXXXXX", NULL);
        g_autoptr(VkQemuCaps) loaded = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        assert_int_equal(vk_qemu_caps_save_cache(r.caps, dir, &err), 0);
        double t0 = now_ms();
        assert_int_equal(
                vk_qemu_caps_load_cache(dir, EMULATOR, VK_QEMU_CAPS_CACHE_CHECK_KVM, &loaded, &err),
                1);
        print_message("cache load: %.3f ms\n", now_ms() - t0);
        assert_true(vk_qemu_caps_equal(r.caps, loaded));
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;
        while ((name = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(dir, name, NULL);
                (void) unlink(p);
        }
        (void) rmdir(dir);
        vk_qemu_caps_unref(r.caps);
}

static void test_probe_not_qemu(void **state) {
        Result r = {};

        /* exits at once, QMP never answers: an error naming the binary, no caps */
        probe("/bin/false", &r, NULL);
        assert_null(r.caps);
        assert_non_null(r.error);
        assert_non_null(strstr(r.error, "/bin/false"));
        assert_non_null(strstr(r.error, "exited with status 1"));
        g_free(r.error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_probe_real_qemu),
                cmocka_unit_test(test_probe_not_qemu),
        };
        sigset_t ss;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return EXIT_FAILURE;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
