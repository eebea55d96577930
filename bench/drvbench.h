/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drvbench.h: the modes of drvbench-vk / drvbench-lv (see drvbench.c), split by concept:
 * netbench.c (networks), storbench.c (storage pools and volumes). */
#pragma once

#include "drvops.h"

/* The text of @path; exits on failure. */
char *drv_read_file(const char *path);
/* @tmpl with every "@NAME@" replaced by @name and every "@N@" by @n (decimal). */
char *drv_subst(const char *tmpl, const char *name, int n);

/* "handles", "details" or "raw" (see drvops.h). */
DrvList drv_list_how(const char *word);

/* Each runs @mode with its @argc arguments @argv and returns the exit code, or -2 when @mode
 * is not one of its modes. */
int net_mode(DrvConn *c, const char *mode, int argc, char **argv);
int stor_mode(DrvConn *c, const char *mode, int argc, char **argv);
