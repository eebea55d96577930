/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-atomic-file.c: atomic replacement, bounded reads, removal and mkdir -p */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic-file.h"
#include "macro.h"

typedef struct Fixture {
        char *dir;
} Fixture;

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);

        f->dir = g_dir_make_tmp("test-atomic-file-XXXXXX", NULL);
        assert_non_null(f->dir);
        *state = f;
        return 0;
}

static void remove_tree(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return;
        if (S_ISDIR(st.st_mode)) {
                g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
                const char *name;

                (void) chmod(path, 0700);
                while (d && (name = g_dir_read_name(d))) {
                        g_autofree char *child = g_build_filename(path, name, NULL);
                        remove_tree(child);
                }
                (void) rmdir(path);
        } else {
                (void) unlink(path);
        }
}

static int teardown(void **state) {
        Fixture *f = *state;

        remove_tree(f->dir);
        g_free(f->dir);
        g_free(f);
        return 0;
}

/* Number of entries in @dir, not counting "." and "..". */
static unsigned count_entries(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        unsigned n = 0;

        assert_non_null(d);
        while (g_dir_read_name(d))
                n++;
        return n;
}

static void test_write_new_and_replace(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "domain.xml", NULL);
        g_autofree char *data = NULL;
        size_t len = 0;
        struct stat st;

        assert_int_equal(vk_atomic_file_write(path, "first", 5, 0600, NULL), 0);
        assert_int_equal(vk_file_read_all(path, 1024, &data, &len, NULL), 0);
        assert_string_equal(data, "first");
        assert_int_equal(len, 5);
        g_clear_pointer(&data, g_free);

        assert_int_equal(vk_atomic_file_write(path, "second, longer", 14, 0640, NULL), 0);
        assert_int_equal(vk_file_read_all(path, 1024, &data, &len, NULL), 0);
        assert_string_equal(data, "second, longer");
        assert_int_equal(len, 14);
        g_clear_pointer(&data, g_free);

        /* shorter content leaves no tail of the old one */
        assert_int_equal(vk_atomic_file_write(path, "3", 1, 0640, NULL), 0);
        assert_int_equal(vk_file_read_all(path, 1024, &data, &len, NULL), 0);
        assert_string_equal(data, "3");

        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(count_entries(f->dir), 1);
}

static void test_mode_ignores_umask(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "status", NULL);
        mode_t old = umask(0077);
        struct stat st;

        assert_int_equal(vk_atomic_file_write(path, "x", 1, 0644, NULL), 0);
        (void) umask(old);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);

        assert_int_equal(vk_atomic_file_write(path, "y", 1, 0400, NULL), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0400);
}

static void test_write_empty_and_binary(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "blob", NULL);
        g_autofree char *data = NULL;
        static const char bin[] = { 'a', 0, 'b', 0 };
        size_t len = 99;

        assert_int_equal(vk_atomic_file_write(path, NULL, 0, 0600, NULL), 0);
        assert_int_equal(vk_file_read_all(path, 10, &data, &len, NULL), 0);
        assert_int_equal(len, 0);
        assert_string_equal(data, "");
        g_clear_pointer(&data, g_free);

        assert_int_equal(vk_atomic_file_write(path, bin, sizeof(bin), 0600, NULL), 0);
        assert_int_equal(vk_file_read_all(path, 10, &data, &len, NULL), 0);
        assert_int_equal(len, sizeof(bin));
        assert_memory_equal(data, bin, sizeof(bin));
        assert_int_equal(data[len], '\0');
}

/* The target is a directory: the rename fails, the temp file goes, the directory stays. */
static void test_write_over_directory(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "a-dir", NULL);
        g_auto(VkError) err = VK_ERROR_INIT;
        struct stat st;
        int r;

        assert_int_equal(mkdir(path, 0755), 0);
        r = vk_atomic_file_write(path, "data", 4, 0644, &err);
        assert_true(r == -EISDIR);
        assert_string_equal(err.name, VK_ERROR_SYSTEM);
        assert_non_null(strstr(err.message, "rename into place"));
        assert_non_null(strstr(err.message, path));
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(count_entries(f->dir), 1);
}

/* The directory does not exist: nothing can be created, nothing is left. */
static void test_write_missing_dir(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "nope", "file", NULL);
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_atomic_file_write(path, "data", 4, 0644, &err), -ENOENT);
        assert_non_null(strstr(err.message, "temporary file"));
        assert_int_equal(count_entries(f->dir), 0);
}

/* Write @path as an unprivileged user, in a child: returns the child's -errno result. */
static int write_as_nobody(const char *path) {
        int status;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int r;

                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(255);
                r = vk_atomic_file_write(path, "new", 3, 0644, NULL);
                _exit(r < 0 ? -r : 0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_not_equal(WEXITSTATUS(status), 255);
        return -WEXITSTATUS(status);
}

/* A directory we may not write to: the old file stays and nothing is added beside it. */
static void test_write_readonly_dir(void **state) {
        Fixture *f = *state;
        g_autofree char *sub = g_build_filename(f->dir, "ro", NULL);
        g_autofree char *path = g_build_filename(sub, "file", NULL);
        g_autofree char *data = NULL;

        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(vk_atomic_file_write(path, "old", 3, 0644, NULL), 0);
        assert_int_equal(chmod(sub, 0555), 0);

        if (geteuid() == 0) {
                /* root ignores the mode bits: try as nobody instead */
                assert_int_equal(chmod(f->dir, 0755), 0);
                assert_int_equal(write_as_nobody(path), -EACCES);
        } else {
                g_auto(VkError) err = VK_ERROR_INIT;

                assert_int_equal(vk_atomic_file_write(path, "new", 3, 0644, &err), -EACCES);
                assert_non_null(strstr(err.message, "temporary file"));
        }
        assert_int_equal(chmod(sub, 0755), 0);

        assert_int_equal(vk_file_read_all(path, 100, &data, NULL, NULL), 0);
        assert_string_equal(data, "old");
        assert_int_equal(count_entries(sub), 1);
}

static void test_write_bad_name(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_atomic_file_write("/", "x", 1, 0644, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        assert_string_equal(err.message, "Cannot write '/': not a file name");
}

static void test_read_limits(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "ten", NULL);
        g_autofree char *expect =
                g_strdup_printf("File '%s' is 10 bytes, more than the limit of 9 bytes", path);
        g_autofree char *data = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        size_t len = 0;

        assert_int_equal(vk_atomic_file_write(path, "0123456789", 10, 0600, NULL), 0);

        assert_int_equal(vk_file_read_all(path, 10, &data, &len, NULL), 0);
        assert_int_equal(len, 10);
        g_clear_pointer(&data, g_free);

        assert_int_equal(vk_file_read_all(path, 9, &data, &len, &err), -EFBIG);
        assert_null(data);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_string_equal(err.message, expect);
}

static void test_read_errors(void **state) {
        Fixture *f = *state;
        g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        char *data = NULL;

        assert_int_equal(vk_file_read_all(missing, 10, &data, NULL, &e1), -ENOENT);
        assert_null(data);
        assert_string_equal(e1.name, VK_ERROR_SYSTEM);
        assert_non_null(strstr(e1.message, missing));

        assert_int_equal(vk_file_read_all(f->dir, 10, &data, NULL, &e2), -EISDIR);
        assert_null(data);
        assert_non_null(strstr(e2.message, "it is a directory"));
}

/* Files whose size stat() does not know (procfs) are read up to the limit too. */
static void test_read_unsized(void **state) {
        g_autofree char *data = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        size_t len = 0;

        assert_int_equal(vk_file_read_all("/proc/self/stat", 65536, &data, &len, NULL), 0);
        assert_true(len > 0);
        assert_int_equal(strlen(data), len);
        g_clear_pointer(&data, g_free);

        assert_int_equal(vk_file_read_all("/proc/self/stat", 3, &data, &len, &err), -EFBIG);
        assert_null(data);
}

static void test_remove(void **state) {
        Fixture *f = *state;
        g_autofree char *path = g_build_filename(f->dir, "gone", NULL);

        assert_int_equal(vk_atomic_file_write(path, "x", 1, 0600, NULL), 0);
        assert_int_equal(vk_file_remove(path), 0);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(vk_file_remove(path), 0);
        assert_int_equal(vk_file_remove(f->dir), -EISDIR);
}

static void test_mkdir_p(void **state) {
        Fixture *f = *state;
        g_autofree char *deep = g_build_filename(f->dir, "a", "b", "c", NULL);
        g_autofree char *slashes = g_strdup_printf("%s//x///y/", f->dir);
        g_autofree char *y = g_build_filename(f->dir, "x", "y", NULL);
        g_autofree char *file = g_build_filename(f->dir, "file", NULL);
        g_autofree char *under_file = g_build_filename(file, "sub", NULL);
        struct stat st;

        assert_int_equal(vk_mkdir_p(deep, 0750), 0);
        assert_int_equal(stat(deep, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(vk_mkdir_p(deep, 0750), 0);

        assert_int_equal(vk_mkdir_p(slashes, 0755), 0);
        assert_int_equal(stat(y, &st), 0);
        assert_true(S_ISDIR(st.st_mode));

        assert_int_equal(vk_atomic_file_write(file, "x", 1, 0600, NULL), 0);
        assert_int_equal(vk_mkdir_p(file, 0755), -ENOTDIR);
        assert_int_equal(vk_mkdir_p(under_file, 0755), -ENOTDIR);
        assert_int_equal(vk_mkdir_p("", 0755), -EINVAL);
        assert_int_equal(vk_mkdir_p("/", 0755), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_write_new_and_replace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mode_ignores_umask, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_empty_and_binary, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_over_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_missing_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_readonly_dir, setup, teardown),
                cmocka_unit_test(test_write_bad_name),
                cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
                cmocka_unit_test(test_read_unsized),
                cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
