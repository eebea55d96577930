/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* atomic-file.c: crash-safe file replacement and bounded whole-file reads */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"

/* How many random names we try before giving up on creating the temporary file. */
#define ATOMIC_FILE_TMP_ATTEMPTS 16

static int atomic_file_write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return vk_negative_errno(errno);
                }
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

/*
 * Create "<dir>/.#<base>.<random>" exclusively. The name is unique per attempt, so two
 * writers of the same target never share a temporary file; the last rename wins.
 */
static int atomic_file_open_tmp(const char *dir, const char *base, char **ret_tmp) {
        for (unsigned attempt = 0; attempt < ATOMIC_FILE_TMP_ATTEMPTS; attempt++) {
                g_autofree char *tmp = NULL;
                uint64_t rnd;
                int fd;

                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = g_random_int() | ((uint64_t) g_random_int() << 32);

                tmp = g_strdup_printf("%s/.#%s.%016" G_GINT64_MODIFIER "x", dir, base,
                                      (guint64) rnd);
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd >= 0) {
                        *ret_tmp = g_steal_pointer(&tmp);
                        return fd;
                }
                if (errno != EEXIST)
                        return vk_negative_errno(errno);
        }
        return -EEXIST;
}

static int atomic_file_fsync_dir(const char *dir) {
        vk_autofd fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return vk_negative_errno(errno);
        if (fsync(fd) < 0)
                return vk_negative_errno(errno);
        return 0;
}

/*
 * Replace @path with @len bytes of @data, atomically: a reader sees either the old content or
 * the new, never a mix, and a crash leaves one of the two on disk. The data goes to a new
 * temporary file in the same directory, which gets @mode (not filtered by the umask), is
 * fsync()ed and renamed over @path; the directory is then fsync()ed so the rename itself is
 * durable. On failure the temporary file is removed and @path is untouched.
 *
 * Blocks on disk I/O: fine for the small configuration and status files it is meant for.
 * Returns 0, or a negative errno with @reterr naming the path and the failed step.
 */
int vk_atomic_file_write(const char *path, const void *data, size_t len, mode_t mode,
                         VkError *reterr) {
        return vk_atomic_file_write_full(path, data, len, mode, /* flags= */ 0, reterr);
}

/* vk_atomic_file_write() with @flags: VK_ATOMIC_FILE_NO_SYNC leaves out both fsync()s. */
int vk_atomic_file_write_full(const char *path, const void *data, size_t len, mode_t mode,
                              VkAtomicFileFlags flags, VkError *reterr) {
        g_autofree char *dir = NULL;
        g_autofree char *base = NULL;
        g_autofree char *tmp = NULL;
        vk_autofd fd = -1;
        const char *step;
        int r;

        assert(path);
        assert(data || len == 0);

        base = g_path_get_basename(path);
        if (vk_isempty(path) || strcmp(base, "/") == 0 || strcmp(base, ".") == 0 ||
            strcmp(base, "..") == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Cannot write '%s': not a file name", path);
        dir = g_path_get_dirname(path);

        fd = atomic_file_open_tmp(dir, base, &tmp);
        if (fd < 0)
                return vk_error_set_errno(reterr, fd,
                                          "Failed to create a temporary file in '%s' for '%s'", dir,
                                          path);

        step = "write";
        r = atomic_file_write_all(fd, data, len);
        if (r < 0)
                goto fail;

        step = "set the mode of";
        if (fchmod(fd, mode) < 0) {
                r = vk_negative_errno(errno);
                goto fail;
        }

        step = "sync";
        if (!(flags & VK_ATOMIC_FILE_NO_SYNC) && fsync(fd) < 0) {
                r = vk_negative_errno(errno);
                goto fail;
        }

        step = "close";
        if (close(vk_steal_fd(&fd)) < 0 && errno != EINTR) {
                r = vk_negative_errno(errno);
                goto fail;
        }

        step = "rename into place";
        if (rename(tmp, path) < 0) {
                r = vk_negative_errno(errno);
                goto fail;
        }

        /* The new content is in place, but the rename may not survive a crash: say so. */
        if (flags & VK_ATOMIC_FILE_NO_SYNC)
                return 0;
        r = atomic_file_fsync_dir(dir);
        if (r < 0)
                return vk_error_set_errno(
                        reterr, r, "Failed to sync directory '%s' after writing '%s'", dir, path);
        return 0;

fail:
        (void) unlink(tmp);
        return vk_error_set_errno(reterr, r, "Failed to %s temporary file '%s' for '%s'", step, tmp,
                                  path);
}

/*
 * Read all of @path into a new NUL-terminated buffer (*@ret_data, caller frees with g_free)
 * and its length without the NUL (*@ret_len, may be NULL). A file larger than @max_size bytes
 * is refused with -EFBIG (LimitExceeded); only regular files are read. Returns 0, or a
 * negative errno with @reterr set (-ENOENT for a missing file, so callers can tolerate it).
 */
int vk_file_read_all(const char *path, size_t max_size, char **ret_data, size_t *ret_len,
                     VkError *reterr) {
        g_autofree char *buf = NULL;
        vk_autofd fd = -1;
        struct stat st;
        size_t size = 0, alloc;

        assert(path);
        assert(ret_data);
        assert(max_size < SIZE_MAX / 2);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", path);
        if (fstat(fd, &st) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", path);
        if (S_ISDIR(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EISDIR,
                                    "Cannot read '%s': it is a directory", path);
        if (!S_ISREG(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADFD,
                                    "Cannot read '%s': not a regular file", path);
        if ((uint64_t) st.st_size > max_size)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EFBIG,
                                    "File '%s' is %" G_GUINT64_FORMAT
                                    " bytes, more than the limit of %zu bytes",
                                    path, (guint64) st.st_size, max_size);

        /* st_size is a hint: the file may grow while we read, so keep checking the limit. */
        alloc = (size_t) st.st_size + 1;
        buf = g_malloc(alloc);
        for (;;) {
                ssize_t n;

                if (size + 1 >= alloc) {
                        if (size >= max_size + 1)
                                break;
                        alloc = MIN(MAX(alloc * 2, (size_t) 4096), max_size + 2);
                        buf = g_realloc(buf, alloc);
                }
                n = read(fd, buf + size, alloc - 1 - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return vk_error_set_errno(reterr, errno, "Failed to read '%s'", path);
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        if (size > max_size)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EFBIG,
                                    "File '%s' is more than the limit of %zu bytes", path,
                                    max_size);

        buf[size] = '\0';
        *ret_data = g_steal_pointer(&buf);
        if (ret_len)
                *ret_len = size;
        return 0;
}

/* Remove the file @path. A file that is already gone is success. Returns 0 or -errno. */
int vk_file_remove(const char *path) {
        assert(path);

        if (unlink(path) < 0 && errno != ENOENT)
                return vk_negative_errno(errno);
        return 0;
}

/*
 * Create directory @path and any missing parents with @mode (filtered by the umask, like
 * mkdir(2)). Existing directories are fine; an existing non-directory is -ENOTDIR. Returns 0
 * or -errno. Does not change the mode of directories that already exist.
 */
int vk_mkdir_p(const char *path, mode_t mode) {
        g_autofree char *copy = NULL;
        struct stat st;

        assert(path);

        if (vk_isempty(path))
                return -EINVAL;

        copy = g_strdup(path);
        for (char *p = copy + 1;; p++) {
                bool last = (*p == '\0');

                if (*p != '/' && !last)
                        continue;
                if (p[-1] != '/') {
                        *p = '\0';
                        if (mkdir(copy, mode) < 0) {
                                if (errno != EEXIST)
                                        return vk_negative_errno(errno);
                                if (stat(copy, &st) < 0)
                                        return vk_negative_errno(errno);
                                if (!S_ISDIR(st.st_mode))
                                        return -ENOTDIR;
                        }
                        if (!last)
                                *p = '/';
                }
                if (last)
                        break;
        }
        return 0;
}
