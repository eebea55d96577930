/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-test-util.h: temporary directories and real images made with qemu-img */
#pragma once

#include <stdbool.h>
#include <stddef.h>

extern char *storage_test_qemu_img; /* NULL: qemu-img is not installed */
extern char *storage_test_dir;      /* the group's temporary directory */

void storage_test_init(void);
char *storage_test_tmpdir(void);
void storage_test_rm_rf(const char *dir);
int storage_test_setup(void **state);
int storage_test_teardown(void **state);
char **storage_test_env(void);
void storage_test_run(const char *const *argv);
char *storage_test_image(const char *name, const char *format, const char *backing,
                         const char *backing_format);
char *storage_test_read(const char *path, size_t *ret_len);
void storage_test_write(const char *path, const void *data, size_t len);
