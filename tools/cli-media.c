/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-media.c: change-media (virsh's name, options, messages and exit codes) */
#include <errno.h>
#include <stdio.h>

#include "cli-cmd.h"

/*
 * virsh change-media DOMAIN PATH [SOURCE] [--eject|--insert|--update] [--current|--live|
 * --config] [--force] [--block]: PATH is the drive's target or its current source; without an
 * action, --update. --block is accepted (the daemon sees a block device for itself).
 */
static int cmd_change_media(VkCli *cli, const Args *a, VkError *e) {
        const char *path = a->n_pos > 1 ? a->pos[1] : g_hash_table_lookup(a->opts, "path");
        const char *source = a->n_pos > 2 ? a->pos[2] : g_hash_table_lookup(a->opts, "source");
        g_autoptr(JsonObject) o = json_object_new();
        const char *action = "update", *done = "Successfully updated media.";
        int r;

        r = vk_cli_exclusive(a, "eject", "insert", e);
        if (r >= 0)
                r = vk_cli_exclusive(a, "eject", "update", e);
        if (r >= 0)
                r = vk_cli_exclusive(a, "insert", "update", e);
        if (r >= 0)
                r = vk_cli_impact(a, o, e);
        if (r < 0)
                return r;
        if (!path)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "command 'change-media' requires <path> option");
        if (vk_cli_has_opt(a, "eject")) {
                action = "eject";
                done = "Successfully ejected media.";
        } else if (vk_cli_has_opt(a, "insert")) {
                action = "insert";
                done = "Successfully inserted media.";
                if (!source)
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "No disk source specified for inserting media");
        }
        json_object_set_string_member(o, "domain", a->pos[0]);
        json_object_set_string_member(o, "target", path);
        if (source)
                json_object_set_string_member(o, "source", source);
        json_object_set_string_member(o, "action", action);
        if (vk_cli_has_opt(a, "force"))
                json_object_set_boolean_member(o, "force", true);
        r = vk_cli_call(cli, "Qemu", "ChangeDomainMedia", vk_cli_object_node(g_steal_pointer(&o)),
                        NULL, e);
        if (r < 0)
                return r;
        if (!cli->json)
                printf("%s\n", done);
        return 0;
}

const Cmd vk_cli_media_commands[] = {
        { "change-media",
          "DOMAIN PATH [SOURCE] [--eject] [--insert] [--update] [--current] [--live] [--config] "
          "[--force] [--block]",
          "Insert, replace or eject the medium of a CD-ROM or floppy drive", 1, 3,
          "path= source= eject insert update current live config force block", cmd_change_media },
        {},
};
