/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-cmd.h: the commands of the virtkit CLI (virtkit.c; networks: cli-net.c) */
#pragma once

#include <glib.h>

#include "cli-connect.h"
#include "error.h"

typedef struct Args {
        char **pos; /* positional arguments after the command */
        int n_pos;
        GHashTable *opts; /* "paused" → "" (flag) or value */
} Args;

typedef int (*CmdFunc)(VkCli *cli, const Args *a, VkError *e);

typedef struct Cmd {
        const char *name;
        const char *usage; /* after the command name */
        const char *help;
        int min_args;
        int max_args;     /* -1: any */
        const char *opts; /* space separated; "name=" takes a value */
        CmdFunc run;
} Cmd;

/* cli-net.c: net-*, domifaddr, domiflist */
extern const Cmd vk_cli_net_commands[];
