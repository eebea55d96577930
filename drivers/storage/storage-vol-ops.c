/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-ops.c: volume wipe, upload and download (jobs with progress), and the in-use check */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "storage-vol-job.h"
#include "storage-vol-luks.h"
#include "storage-vol-users.h"

/*
 * Refuse to @verb volume @v of @o while a process has its file open: the QEMU of a running
 * domain (VolumeInUse, parameter "user" its name), or another process. When /proc cannot
 * be read the check cannot tell and lets the operation go on.
 */
int storage_vol_check_unused(const PoolObj *o, const VkStorageVolDef *v, const char *verb,
                             VkError *reterr) {
        VkStorageFileUser u = {};
        g_autofree char *pid = NULL;
        int r;

        r = vk_storage_file_user_find(NULL, v->path, &u);
        if (r <= 0)
                return 0;
        pid = g_strdup_printf("%d", (int) u.pid);
        if (u.domain)
                r = vk_error_set(reterr, VK_STORAGE_ERROR_VOLUME_IN_USE, -EBUSY,
                                 "Storage volume '%s' of pool '%s' is in use by domain '%s' "
                                 "(QEMU pid %d): cannot %s it while the domain runs",
                                 v->name, o->name, u.domain, (int) u.pid, verb);
        else
                r = vk_error_set(reterr, VK_STORAGE_ERROR_VOLUME_IN_USE, -EBUSY,
                                 "Storage volume '%s' of pool '%s' is open in process %d (%s): "
                                 "cannot %s it while it is",
                                 v->name, o->name, (int) u.pid, u.comm, verb);
        vk_error_add_param(reterr, "volume", v->name);
        vk_error_add_param(reterr, "user", u.domain ? u.domain : pid);
        vk_storage_file_user_done(&u);
        return r;
}

/* The volume @name of @pool for a job that changes its data (@verb: "wipe", "upload into"). */
static int ops_find(VkStorageDriver *drv, const char *pool, const char *name, const char *verb,
                    bool writes, PoolObj **ret_pool, VkStorageVolDef **ret_vol, VkError *reterr) {
        int r;

        r = storage_job_check_limit(drv, reterr);
        if (r >= 0)
                r = storage_vol_find(drv, pool, name, true, ret_pool, ret_vol, reterr);
        if (r < 0)
                return r;
        if (writes && (*ret_vol)->warning)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Storage volume '%s' cannot %s: %s", name, verb,
                                    (*ret_vol)->warning);
        if (writes)
                return storage_vol_check_unused(*ret_pool, *ret_vol, verb, reterr);
        return 0;
}

/*
 * Write zeros over volume @name of @pool, keeping its format and capacity (qemu-img convert
 * from QEMU's null driver: a qcow2 reads as zeros, a raw file's blocks are zeroed or
 * discarded). Progress goes to the driver's progress callback. As vk_storage_driver_vol_create().
 */
int vk_storage_driver_vol_wipe(VkStorageDriver *drv, const char *pool, const char *name,
                               VkStorageVolDoneFunc done, void *userdata, VkError *reterr) {
        g_auto(GStrv) argv = NULL;
        VkStorageTools tools = storage_driver_tools(drv);
        VkStorageVolDef *v;
        StorageJob *j;
        PoolObj *o;
        int r;

        r = ops_find(drv, pool, name, "wipe", true, &o, &v, reterr);
        if (r >= 0)
                r = storage_luks_check(drv, v, reterr);
        if (r >= 0)
                r = vk_storage_qemu_img_wipe_argv(&tools, v, storage_luks_secret_path(v), &argv,
                                                  reterr);
        if (r < 0)
                return r;
        j = storage_job_new(drv, STORAGE_JOB_WIPE, o, name, done, userdata);
        j->parser = STORAGE_PROGRESS_QEMU_IMG;
        j->total = v->capacity;
        storage_job_hold(o, name, STORAGE_USE_WIPE);
        if (v->encryption.present)
                return storage_luks_job_start(j, argv, v, /* remember= */ false, reterr);
        return storage_job_start(j, argv, reterr);
}

/* The size of the file (or block device) @path. */
static int ops_file_size(const char *path, uint64_t *ret, VkError *reterr) {
        vk_autofd fd = -1;
        off_t end;

        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || (end = lseek(fd, 0, SEEK_END)) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to read the size of '%s'", path);
        *ret = (uint64_t) end;
        return 0;
}

/* A job copying between volume @v and the caller's @fd (dd, with its progress). */
static int ops_stream(VkStorageDriver *drv, PoolObj *o, VkStorageVolDef *v, StorageJobKind kind,
                      int fd, uint64_t offset, uint64_t length, VkStorageVolDoneFunc done,
                      void *userdata, VkError *reterr) {
        VkStorageTools tools = storage_driver_tools(drv);
        bool upload = kind == STORAGE_JOB_UPLOAD;
        g_auto(GStrv) argv = NULL;
        uint64_t size = 0;
        struct stat st;
        StorageJob *j;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADF,
                                    "fd: no valid file descriptor was passed");
        if (S_ISDIR(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EISDIR,
                                    "fd: the passed descriptor is a directory");
        r = ops_file_size(v->path, &size, reterr);
        if (r < 0)
                return r;
        if (offset > size)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "offset: %" G_GUINT64_FORMAT " is past the end of volume "
                                    "'%s' (%" G_GUINT64_FORMAT " bytes)",
                                    offset, v->name, size);
        if (!upload && length > size - offset)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "length: %" G_GUINT64_FORMAT
                                    " bytes from offset %" G_GUINT64_FORMAT
                                    " go past the end of volume '%s' (%" G_GUINT64_FORMAT " bytes)",
                                    length, offset, v->name, size);
        argv = vk_storage_dd_argv(&tools, v->path, upload, offset, length);
        j = storage_job_new(drv, kind, o, v->name, done, userdata);
        j->parser = STORAGE_PROGRESS_DD;
        j->expect = upload ? length : 0;
        if (length > 0)
                j->total = length;
        else if (!upload)
                j->total = size - offset;
        else if (S_ISREG(st.st_mode)) {
                off_t pos = lseek(fd, 0, SEEK_CUR);

                j->total = pos >= 0 && st.st_size > pos ? (uint64_t) (st.st_size - pos) : 0;
        }
        j->stream_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (j->stream_fd < 0) {
                r = -errno;
                g_free(j->name);
                g_free(j);
                return vk_error_set_errno(reterr, r, "Failed to take the passed descriptor");
        }
        storage_job_hold(o, v->name, upload ? STORAGE_USE_UPLOAD : STORAGE_USE_DOWNLOAD);
        return storage_job_start(j, argv, reterr);
}

/*
 * Write what comes from @fd (the caller keeps it; it is read to its end, or @length bytes)
 * into the file of volume @name of @pool from byte @offset on, as libvirt's
 * virStorageVolUpload: the bytes of the file, whatever its format (the volume is scanned
 * again afterwards). An upload that ends before @length bytes fails. As
 * vk_storage_driver_vol_create().
 */
int vk_storage_driver_vol_upload(VkStorageDriver *drv, const char *pool, const char *name, int fd,
                                 uint64_t offset, uint64_t length, VkStorageVolDoneFunc done,
                                 void *userdata, VkError *reterr) {
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        r = ops_find(drv, pool, name, "upload into", false, &o, &v, reterr);
        if (r >= 0)
                r = storage_vol_check_unused(o, v, "upload into", reterr);
        if (r < 0)
                return r;
        return ops_stream(drv, o, v, STORAGE_JOB_UPLOAD, fd, offset, length, done, userdata,
                          reterr);
}

/*
 * Write the bytes of volume @name of @pool's file from @offset on (@length of them; 0: to its
 * end) into @fd (the caller keeps it), as libvirt's virStorageVolDownload. As
 * vk_storage_driver_vol_create().
 */
int vk_storage_driver_vol_download(VkStorageDriver *drv, const char *pool, const char *name, int fd,
                                   uint64_t offset, uint64_t length, VkStorageVolDoneFunc done,
                                   void *userdata, VkError *reterr) {
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        r = ops_find(drv, pool, name, "download", false, &o, &v, reterr);
        if (r < 0)
                return r;
        return ops_stream(drv, o, v, STORAGE_JOB_DOWNLOAD, fd, offset, length, done, userdata,
                          reterr);
}
