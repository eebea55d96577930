/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-driver.h: the secret driver's plain C API (vk_secret_driver_*), no IPC types */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "secret-def.h"
#include "secret-store.h"
#include "uuid.h"
#include "xml.h"

/* The driver's own error names (qualified io.virtkit.Secret.<Name> on the wire). */
#define VK_SECRET_ERROR_NO_SUCH_SECRET "NoSuchSecret"  /* parameter "secret" */
#define VK_SECRET_ERROR_NO_VALUE       "NoSecretValue" /* parameter "secret" */

/* How many secrets one driver holds at most (each may keep a value in memory). */
#define VK_SECRET_DRIVER_MAX_SECRETS 4096

typedef struct VkSecretDriver VkSecretDriver;

typedef struct VkSecretDriverConfig {
        const char *config_dir;      /* definitions, <uuid>.xml */
        const char *lib_dir;         /* encrypted values, <uuid>.value, and the generated key */
        const char *credentials_dir; /* $CREDENTIALS_DIRECTORY; NULL: none */
} VkSecretDriverConfig;

/* What a list or a lookup tells about one secret (never its value). */
typedef struct VkSecretInfo {
        VkUuid uuid;
        VkSecretUsageType usage_type;
        char *usage_id; /* NULL for VK_SECRET_USAGE_NONE */
        bool ephemeral;
        bool is_private;
        bool has_value;
        char *description; /* NULL: none */
} VkSecretInfo;

void vk_secret_info_free(VkSecretInfo *info);

/* ListSecrets filters: VK_TRISTATE_ABSENT matches everything. */
typedef struct VkSecretFilter {
        VkTristate ephemeral;
        VkTristate is_private;
} VkSecretFilter;

/* What changed about a secret (libvirt's VIR_SECRET_EVENT_DEFINED, _UNDEFINED, _VALUE_CHANGED). */
typedef enum VkSecretEventType {
        VK_SECRET_EVENT_DEFINED,       /* defined, or redefined (its description changed) */
        VK_SECRET_EVENT_UNDEFINED,     /* gone, with its value */
        VK_SECRET_EVENT_VALUE_CHANGED, /* a new value was set */
        _VK_SECRET_EVENT_MAX,
        _VK_SECRET_EVENT_INVALID = -EINVAL,
} VkSecretEventType;

const char *vk_secret_event_type_to_string(VkSecretEventType t);
VkSecretEventType vk_secret_event_type_from_string(const char *s);

/* One change; the strings are valid during the callback only. */
typedef struct VkSecretEvent {
        VkSecretEventType type;
        const char *uuid; /* dashed, lower case */
        VkSecretUsageType usage_type;
        const char *usage_id; /* NULL for VK_SECRET_USAGE_NONE */
        bool ephemeral;
} VkSecretEvent;

/*
 * Runs after a change is done and visible (lookups see the new state; an undefined secret is
 * gone already), from inside the driver call that made it. It must not call back into the
 * driver to change secrets.
 */
typedef void (*VkSecretEventFunc)(VkSecretDriver *drv, const VkSecretEvent *ev, void *userdata);

int vk_secret_driver_new(const VkSecretDriverConfig *cfg, VkSecretDriver **ret_drv,
                         GPtrArray **ret_warnings, VkError *reterr);
VkSecretDriver *vk_secret_driver_free(VkSecretDriver *drv);
VkSecretKeySource vk_secret_driver_get_key_source(const VkSecretDriver *drv);
unsigned vk_secret_driver_count(const VkSecretDriver *drv);
void vk_secret_driver_set_event_callback(VkSecretDriver *drv, VkSecretEventFunc cb, void *userdata);

int vk_secret_driver_define(VkSecretDriver *drv, const char *xml, VkUuid *ret_uuid,
                            VkError *reterr);
int vk_secret_driver_undefine(VkSecretDriver *drv, const char *uuid, VkError *reterr);
int vk_secret_driver_list(VkSecretDriver *drv, const VkSecretFilter *filter, GPtrArray **ret_infos,
                          VkError *reterr);
int vk_secret_driver_lookup_uuid(VkSecretDriver *drv, const char *uuid, VkSecretInfo **ret_info,
                                 VkError *reterr);
int vk_secret_driver_lookup_usage(VkSecretDriver *drv, const char *usage_type, const char *usage_id,
                                  VkSecretInfo **ret_info, VkError *reterr);
int vk_secret_driver_get_xml(VkSecretDriver *drv, const char *uuid, char **ret_xml,
                             VkError *reterr);
int vk_secret_driver_set_value(VkSecretDriver *drv, const char *uuid, const void *data, size_t len,
                               VkError *reterr);
int vk_secret_driver_get_value(VkSecretDriver *drv, const char *uuid, bool for_domain,
                               VkSecretValue **ret_value, VkError *reterr);

/* EncryptSecretForDomain: AES-256-CBC (QEMU's secret objects with keyid=) */
#define VK_SECRET_DOMAIN_KEY_SIZE 32
#define VK_SECRET_DOMAIN_IV_SIZE  16

int vk_secret_driver_encrypt_for_domain(VkSecretDriver *drv, const char *uuid, const void *key,
                                        size_t key_len, VkSecretValue **ret_ciphertext,
                                        uint8_t ret_iv[VK_SECRET_DOMAIN_IV_SIZE], VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretDriver, vk_secret_driver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretInfo, vk_secret_info_free)
