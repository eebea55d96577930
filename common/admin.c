/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* admin.c: the methods every daemon answers (GetVersion, SetLogLevel) */
#include <stddef.h>

#include "admin.h"
#include "call.h"
#include "log.h"

typedef struct VersionResult {
        char *product;
        char *version;
        char *instance;
} VersionResult;

static const VkField version_result_fields[] = {
        { "product", VK_FIELD_STRING, offsetof(VersionResult, product), VK_FIELD_REQUIRED, NULL,
          "The product name, virtkit" },
        { "version", VK_FIELD_STRING, offsetof(VersionResult, version), VK_FIELD_REQUIRED, NULL,
          "The daemon's version" },
        { "instance", VK_FIELD_STRING, offsetof(VersionResult, instance), VK_FIELD_REQUIRED, NULL,
          "system, session or embedded" },
        {},
};

static const VkStructType version_result = {
        .size = sizeof(VersionResult),
        .fields = version_result_fields,
};

typedef struct LogLevelParams {
        char *level;
} LogLevelParams;

static const VkField log_level_params_fields[] = {
        { "level", VK_FIELD_STRING, offsetof(LogLevelParams, level), VK_FIELD_REQUIRED, NULL,
          "err, warning, notice, info or debug" },
        {}
};

static const VkStructType log_level_params = {
        .size = sizeof(LogLevelParams),
        .fields = log_level_params_fields,
};

static int admin_get_version(VkCall *call, void *params, void *userdata) {
        VkService *s = vk_call_service(call);
        VersionResult res = {
                .product = (char *) vk_service_get_product(s),
                .version = (char *) VK_VERSION,
                .instance = (char *) vk_service_get_instance(s),
        };

        return vk_call_reply(call, &res);
}

static int admin_set_log_level(VkCall *call, void *params, void *userdata) {
        const LogLevelParams *p = params;
        int level = vk_log_level_from_string(p->level);

        if (level < 0)
                return vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "level: unsupported value '%s' (expected one of err, warning, "
                                    "notice, info, debug)",
                                    p->level);

        vk_log_set_max_level(level);
        vk_log_notice("Log level set to %s by uid %u", vk_log_level_to_string(level),
                      (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

const VkMethod vk_admin_methods[] = {
        { "GetVersion", NULL, &version_result, admin_get_version, VK_AUTH_READ, 0,
          "The daemon's product name, version and instance (system, session or embedded)." },
        { "SetLogLevel", &log_level_params, NULL, admin_set_log_level, VK_AUTH_MANAGE, 0,
          "Change the daemon's log level: err, warning, notice, info or debug." },
        {},
};
