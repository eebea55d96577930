/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-luks.h: encrypted volumes: the passphrase from virtkit-secretd, through a pipe */
#pragma once

#include "storage-driver-internal.h"
#include "storage-vol-job.h"

/* The name of the secret daemon in errors, and its varlink interface */
#define STORAGE_SECRETD_NAME      "virtkit-secretd"
#define STORAGE_SECRETD_INTERFACE "io.virtkit.Secret"

int storage_luks_check(VkStorageDriver *drv, const VkStorageVolDef *vol, VkError *reterr);
const char *storage_luks_secret_path(const VkStorageVolDef *vol);
int storage_luks_job_start(StorageJob *j, char **argv, const VkStorageVolDef *vol, bool remember,
                           VkError *reterr);
char **storage_luks_child_env(void);
bool storage_luks_job_retry(StorageJob *j, const char *out, char ***ret_argv);
void storage_luks_job_end(StorageJob *j, VkError *error);
StorageLuksFetch *storage_luks_fetch_free(StorageLuksFetch *f);

void storage_luks_fill_one(VkStorageDriver *drv, VkStorageVolDef *v);
void storage_luks_fill(VkStorageDriver *drv, GPtrArray *vols);
void storage_luks_forget(VkStorageDriver *drv, const VkStorageVolDef *vol);
void storage_luks_done(VkStorageDriver *drv);
