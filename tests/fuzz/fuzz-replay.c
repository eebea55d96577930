/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-replay.c: main() for the fuzz targets without libFuzzer: run each file once */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        g_autofree char *data = NULL;
        g_autoptr(GError) error = NULL;
        gint64 t0 = g_get_monotonic_time();
        gsize len;

        if (!g_file_get_contents(path, &data, &len, &error)) {
                fprintf(stderr, "%s\n", error->message);
                return 1;
        }
        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, len);
        printf("%s: %zu bytes, %.1f ms\n", path, (size_t) len,
               (double) (g_get_monotonic_time() - t0) / 1000.0);
        return 0;
}

static int replay_compare(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Arguments: files and directories (their files, sorted; not recursive). */
int main(int argc, char **argv) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                g_autoptr(GDir) dir = NULL;
                g_autoptr(GPtrArray) names = NULL;
                const char *name;

                if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
                        if (replay_file(argv[i]) != 0)
                                return 1;
                        n++;
                        continue;
                }
                dir = g_dir_open(argv[i], 0, NULL);
                if (!dir) {
                        fprintf(stderr, "cannot open '%s'\n", argv[i]);
                        return 1;
                }
                names = g_ptr_array_new_with_free_func(g_free);
                while ((name = g_dir_read_name(dir)))
                        g_ptr_array_add(names, g_build_filename(argv[i], name, NULL));
                g_ptr_array_sort(names, replay_compare);
                for (guint j = 0; j < names->len; j++) {
                        if (replay_file(names->pdata[j]) != 0)
                                return 1;
                        n++;
                }
        }
        if (n == 0) {
                fprintf(stderr, "no input\n");
                return 1;
        }
        printf("%u inputs replayed\n", n);
        return 0;
}
