/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-connect.h: reach a daemon for a URI: local socket, session autospawn, or ssh */
#pragma once

#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "cli-embed.h"
#include "cli-uri.h"
#include "error.h"
#include "varlink.h"

typedef struct VkCli {
        VkUri *uri;
        sd_event *event;
        VkVarlinkClient *clients[4]; /* Qemu, Secret, Network, Storage */
        pid_t ssh_pid;
        VkEmbed *embed;
        bool json;
        bool quiet_progress;
} VkCli;

int vk_cli_call(VkCli *cli, const char *driver, const char *method, JsonNode *params,
                JsonNode **ret, VkError *reterr);
int vk_cli_call_job(VkCli *cli, const char *driver, const char *method, JsonNode *params,
                    const int *fds, size_t n_fds, VkVarlinkContinueFunc on_progress, void *userdata,
                    JsonNode **ret, VkError *reterr);
int vk_cli_socket_path(const VkUri *uri, const char *driver, char **ret, VkError *reterr);
void vk_cli_done(VkCli *cli);
