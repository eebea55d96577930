/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Qemu interface served by virtkit-qemud (one declaration per method) */
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "libvirt.h"
#include "call.h"
#include "log.h"
#include "macro.h"

/* ---- parameter and result types ---- */

/* Every result made of one string uses this layout (the field name differs per type). */
typedef struct StringResult {
        char *value;
} StringResult;

#define STRING_RESULT(var, field, what)                                                            \
        static const VkStructType var = {                                                          \
                .size = sizeof(StringResult),                                                      \
                .fields = (const VkField[]){ { field, VK_FIELD_STRING,                             \
                                               offsetof(StringResult, value), VK_FIELD_REQUIRED,   \
                                               NULL, what },                                       \
                                             {} },                                                 \
        }

STRING_RESULT(xml_result, "xml", "The XML document");
STRING_RESULT(native_result, "native", "The QEMU command line, one shell line");
STRING_RESULT(reply_result, "reply", "QEMU's reply: the QMP reply object, or HMP's text");

typedef struct DomainParams {
        char *domain;
} DomainParams;

static const VkField domain_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(DomainParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        {},
};

static const VkStructType domain_params = {
        .size = sizeof(DomainParams),
        .fields = domain_params_fields,
};

typedef struct UndefineParams {
        char *domain;
        bool nvram;
        bool keep_nvram;
} UndefineParams;

static const VkField undefine_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(UndefineParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "nvram", VK_FIELD_BOOL, offsetof(UndefineParams, nvram), 0, NULL,
          "Also remove its UEFI variable store (NVRAM file)" },
        { "keepNvram", VK_FIELD_BOOL, offsetof(UndefineParams, keep_nvram), 0, NULL,
          "Keep its UEFI variable store; without either, an existing one refuses the undefine" },
        {},
};

static const VkStructType undefine_params = {
        .size = sizeof(UndefineParams),
        .fields = undefine_params_fields,
};

typedef struct DomCapsParams {
        char *emulator;
        char *arch;
        char *machine;
        char *virt_type;
} DomCapsParams;

static const VkField domcaps_params_fields[] = {
        { "emulator", VK_FIELD_STRING, offsetof(DomCapsParams, emulator), 0, NULL,
          "Path of the emulator binary" },
        { "arch", VK_FIELD_STRING, offsetof(DomCapsParams, arch), 0, NULL,
          "Guest architecture, e.g. x86_64" },
        { "machine", VK_FIELD_STRING, offsetof(DomCapsParams, machine), 0, NULL,
          "Machine type, e.g. q35" },
        { "virtType", VK_FIELD_STRING, offsetof(DomCapsParams, virt_type), 0, NULL, "kvm or qemu" },
        {},
};

static const VkStructType domcaps_params = {
        .size = sizeof(DomCapsParams),
        .fields = domcaps_params_fields,
};

typedef struct NativeParams {
        char *format;
        char *text;
} NativeParams;

static const VkField to_native_params_fields[] = {
        { "format", VK_FIELD_STRING, offsetof(NativeParams, format), VK_FIELD_REQUIRED, NULL,
          "Only qemu-argv" },
        { "xml", VK_FIELD_STRING, offsetof(NativeParams, text), VK_FIELD_REQUIRED, NULL,
          "The domain XML" },
        {},
};

static const VkStructType to_native_params = {
        .size = sizeof(NativeParams),
        .fields = to_native_params_fields,
};

static const VkField from_native_params_fields[] = {
        { "format", VK_FIELD_STRING, offsetof(NativeParams, format), VK_FIELD_REQUIRED, NULL,
          "Only qemu-argv" },
        { "native", VK_FIELD_STRING, offsetof(NativeParams, text), VK_FIELD_REQUIRED, NULL,
          "The QEMU command line" },
        {},
};

static const VkStructType from_native_params = {
        .size = sizeof(NativeParams),
        .fields = from_native_params_fields,
};

typedef struct XmlParams {
        char *xml;
        bool paused;
} XmlParams;

static const VkField define_params_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(XmlParams, xml), VK_FIELD_REQUIRED, NULL,
          "The domain XML" },
        {},
};

static const VkStructType define_params = {
        .size = sizeof(XmlParams),
        .fields = define_params_fields,
};

static const VkField create_params_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(XmlParams, xml), VK_FIELD_REQUIRED, NULL,
          "The domain XML" },
        { "paused", VK_FIELD_BOOL, offsetof(XmlParams, paused), 0, NULL,
          "Leave the vCPUs stopped" },
        {},
};

static const VkStructType create_params = {
        .size = sizeof(XmlParams),
        .fields = create_params_fields,
};

typedef struct NameUuidResult {
        char *name;
        char *uuid;
} NameUuidResult;

static const VkField name_uuid_result_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(NameUuidResult, name), VK_FIELD_REQUIRED, NULL,
          "The domain's name" },
        { "uuid", VK_FIELD_STRING, offsetof(NameUuidResult, uuid), VK_FIELD_REQUIRED, NULL,
          "The domain's UUID" },
        {},
};

static const VkStructType name_uuid_result = {
        .size = sizeof(NameUuidResult),
        .fields = name_uuid_result_fields,
};

typedef struct DomainSummary {
        char *name;
        char *uuid;
        int64_t id;
        char *state;
        bool persistent;
        bool autostart;
} DomainSummary;

static const VkField domain_summary_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(DomainSummary, name), VK_FIELD_REQUIRED, NULL,
          "The domain's name" },
        { "uuid", VK_FIELD_STRING, offsetof(DomainSummary, uuid), VK_FIELD_REQUIRED, NULL,
          "The domain's UUID" },
        { "id", VK_FIELD_INT, offsetof(DomainSummary, id), VK_FIELD_REQUIRED, NULL,
          "-1 when shut off" },
        { "state", VK_FIELD_STRING, offsetof(DomainSummary, state), VK_FIELD_REQUIRED, NULL,
          "running, paused, shutdown, shutoff, crashed, ..." },
        { "persistent", VK_FIELD_BOOL, offsetof(DomainSummary, persistent), VK_FIELD_REQUIRED, NULL,
          "Whether the domain is defined (not transient)" },
        { "autostart", VK_FIELD_BOOL, offsetof(DomainSummary, autostart), VK_FIELD_REQUIRED, NULL,
          "Whether the domain starts with the daemon" },
        {},
};

static const VkStructType domain_summary_type = {
        .name = "DomainSummary",
        .size = sizeof(DomainSummary),
        .fields = domain_summary_fields,
        .doc = "One domain in a list",
};

static const VkStructType lookup_result = {
        .size = sizeof(DomainSummary),
        .fields = domain_summary_fields,
};

typedef struct ListParams {
        bool active;
        bool inactive;
        bool persistent;
        bool transient;
        bool autostart;
} ListParams;

static const VkField list_params_fields[] = {
        { "active", VK_FIELD_BOOL, offsetof(ListParams, active), 0, NULL,
          "Running domains (with inactive, or neither: both)" },
        { "inactive", VK_FIELD_BOOL, offsetof(ListParams, inactive), 0, NULL,
          "Include the domains that do not run" },
        { "persistent", VK_FIELD_BOOL, offsetof(ListParams, persistent), 0, NULL,
          "Defined domains (with transient, or neither: both)" },
        { "transient", VK_FIELD_BOOL, offsetof(ListParams, transient), 0, NULL,
          "Include the transient domains" },
        { "autostart", VK_FIELD_BOOL, offsetof(ListParams, autostart), 0, NULL,
          "Only domains with autostart" },
        {},
};

static const VkStructType list_params = {
        .size = sizeof(ListParams),
        .fields = list_params_fields,
};

typedef struct ListResult {
        VkArray domains;
} ListResult;

static const VkField list_result_fields[] = {
        { "domains", VK_FIELD_ARRAY, offsetof(ListResult, domains), VK_FIELD_REQUIRED,
          &domain_summary_type, "The domains" },
        {},
};

static const VkStructType list_result = {
        .size = sizeof(ListResult),
        .fields = list_result_fields,
};

typedef struct LookupParams {
        char *name;
        char *uuid;
        int64_t id;
} LookupParams;

static const VkField lookup_params_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(LookupParams, name), 0, NULL,
          "The domain's name (or give uuid)" },
        { "uuid", VK_FIELD_STRING, offsetof(LookupParams, uuid), 0, NULL,
          "The domain's UUID (or give name)" },
        { "id", VK_FIELD_INT, offsetof(LookupParams, id), 0, NULL,
          "Exactly one of name, uuid and id (> 0) is given" },
        {},
};

static const VkStructType lookup_params = {
        .size = sizeof(LookupParams),
        .fields = lookup_params_fields,
};

typedef struct GetXmlParams {
        char *domain;
        bool inactive;
        bool secure;
} GetXmlParams;

static const VkField get_xml_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(GetXmlParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "inactive", VK_FIELD_BOOL, offsetof(GetXmlParams, inactive), 0, NULL,
          "The persistent definition even while running" },
        { "secure", VK_FIELD_BOOL, offsetof(GetXmlParams, secure), 0, NULL,
          "Include passwords (root or the session owner only)" },
        {},
};

static const VkStructType get_xml_params = {
        .size = sizeof(GetXmlParams),
        .fields = get_xml_params_fields,
};

typedef struct StartParams {
        char *domain;
        bool paused;
} StartParams;

static const VkField start_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(StartParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "paused", VK_FIELD_BOOL, offsetof(StartParams, paused), 0, NULL,
          "Leave the vCPUs stopped" },
        {},
};

static const VkStructType start_params = {
        .size = sizeof(StartParams),
        .fields = start_params_fields,
};

typedef struct DestroyParams {
        char *domain;
        bool graceful;
} DestroyParams;

static const VkField destroy_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(DestroyParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "graceful", VK_FIELD_BOOL, offsetof(DestroyParams, graceful), 0, NULL,
          "SIGTERM only, never SIGKILL" },
        {},
};

static const VkStructType destroy_params = {
        .size = sizeof(DestroyParams),
        .fields = destroy_params_fields,
};

typedef struct AutostartParams {
        char *domain;
        bool enabled;
} AutostartParams;

static const VkField autostart_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(AutostartParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "enabled", VK_FIELD_BOOL, offsetof(AutostartParams, enabled), VK_FIELD_REQUIRED, NULL,
          "Start the domain with the daemon" },
        {},
};

static const VkStructType autostart_params = {
        .size = sizeof(AutostartParams),
        .fields = autostart_params_fields,
};

typedef struct InfoResult {
        char *state;
        char *reason;
        uint64_t memory;
        uint64_t max_memory;
        uint64_t vcpus;
        uint64_t cpu_time;
} InfoResult;

static const VkField info_result_fields[] = {
        { "state", VK_FIELD_STRING, offsetof(InfoResult, state), VK_FIELD_REQUIRED, NULL,
          "The domain's state" },
        { "reason", VK_FIELD_STRING, offsetof(InfoResult, reason), VK_FIELD_REQUIRED, NULL,
          "Why the domain is in that state" },
        { "memory", VK_FIELD_UINT, offsetof(InfoResult, memory), VK_FIELD_REQUIRED, NULL,
          "KiB the guest has now (0 when shut off)" },
        { "maxMemory", VK_FIELD_UINT, offsetof(InfoResult, max_memory), VK_FIELD_REQUIRED, NULL,
          "KiB" },
        { "vcpus", VK_FIELD_UINT, offsetof(InfoResult, vcpus), VK_FIELD_REQUIRED, NULL,
          "The number of virtual CPUs" },
        { "cpuTime", VK_FIELD_UINT, offsetof(InfoResult, cpu_time), VK_FIELD_REQUIRED, NULL,
          "Nanoseconds of CPU time QEMU used" },
        {},
};

static const VkStructType info_result = {
        .size = sizeof(InfoResult),
        .fields = info_result_fields,
};

typedef struct MonitorParams {
        char *domain;
        char *command;
        bool hmp;
} MonitorParams;

static const VkField monitor_params_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(MonitorParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "command", VK_FIELD_STRING, offsetof(MonitorParams, command), VK_FIELD_REQUIRED, NULL,
          "QMP JSON, or an HMP command line with hmp" },
        { "hmp", VK_FIELD_BOOL, offsetof(MonitorParams, hmp), 0, NULL,
          "Run an HMP command instead of QMP" },
        {},
};

static const VkStructType monitor_params = {
        .size = sizeof(MonitorParams),
        .fields = monitor_params_fields,
};

typedef struct AttachParams {
        int64_t pid;
} AttachParams;

static const VkField attach_params_fields[] = {
        { "pid", VK_FIELD_INT, offsetof(AttachParams, pid), VK_FIELD_REQUIRED, NULL,
          "The process ID of the QEMU to attach" },
        {},
};

static const VkStructType attach_params = {
        .size = sizeof(AttachParams),
        .fields = attach_params_fields,
};

/* ---- helpers ---- */

static VkQemuDriver *api_driver(void *userdata) {
        return ((VkQemud *) userdata)->driver;
}

/*
 * Log a failed call once: a SystemError (the host failed us: a full disk, a file that cannot
 * be written) as an error, anything the caller can cause at debug level.
 */
static void api_log_failure(const char *method, const VkError *error) {
        if (g_strcmp0(error->name, VK_ERROR_SYSTEM) == 0)
                vk_log_error("%s failed: %s", method, error->message);
        else
                vk_log_debug("%s failed: %s", method, error->message);
}

/* The completion of every asynchronous call: reply, log a failure once, drop the call. */
static void api_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                        void *userdata) {
        VkCall *call = userdata;
        StringResult res = { .value = (char *) result };

        if (error) {
                api_log_failure(vk_call_method(call)->name, error);
                (void) vk_call_reply_error(call, error);
        } else
                (void) vk_call_reply(call, vk_call_method(call)->out ? &res : NULL);
        vk_call_unref(call);
}

/* Hand @call to an asynchronous driver operation that returned @r. */
static int api_async(VkCall *call, int r) {
        if (r < 0)
                return r;
        vk_call_ref(call); /* api_on_done() replies and unrefs */
        return 0;
}

static void summary_fill(DomainSummary *s, const VkDomainObj *obj) {
        s->name = obj->name;
        s->uuid = (char *) obj->uuid_str;
        s->id = obj->id;
        s->state = (char *) vk_domain_state_to_string(obj->state);
        s->persistent = obj->persistent;
        s->autostart = obj->autostart;
}

/* ---- capabilities, native formats ---- */

static int api_get_capabilities(VkCall *call, void *params, void *userdata) {
        return api_async(call, vk_qemu_driver_get_capabilities(api_driver(userdata), api_on_done,
                                                               call, vk_call_error(call)));
}

static int api_get_domain_capabilities(VkCall *call, void *params, void *userdata) {
        const DomCapsParams *p = params;

        return api_async(call, vk_qemu_driver_get_domain_capabilities(
                                       api_driver(userdata), p->emulator, p->arch, p->machine,
                                       p->virt_type, api_on_done, call, vk_call_error(call)));
}

static int api_xml_to_native(VkCall *call, void *params, void *userdata) {
        const NativeParams *p = params;

        return api_async(call,
                         vk_qemu_driver_xml_to_native(api_driver(userdata), p->format, p->text,
                                                      api_on_done, call, vk_call_error(call)));
}

static int api_xml_from_native(VkCall *call, void *params, void *userdata) {
        const NativeParams *p = params;

        return vk_qemu_driver_xml_from_native(api_driver(userdata), p->format, p->text,
                                              vk_call_error(call));
}

/* ---- definitions and queries ---- */

/* DefineDomain and CreateDomain: reply with the domain's name and UUID (@result names it). */
static void api_on_defined(VkQemuDriver *drv, const char *result, const VkError *error,
                           void *userdata) {
        VkCall *call = userdata;
        VkDomainObj *obj = NULL;
        NameUuidResult res = {};
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!error && vk_qemu_driver_lookup(drv, result, &obj, &err) < 0)
                error = &err; /* gone again already (QEMU ended at once) */
        if (error) {
                api_log_failure(vk_call_method(call)->name, error);
                (void) vk_call_reply_error(call, error);
        } else {
                res = (NameUuidResult){ .name = obj->name, .uuid = obj->uuid_str };
                (void) vk_call_reply(call, &res);
        }
        vk_call_unref(call);
}

static int api_define(VkCall *call, void *params, void *userdata) {
        const XmlParams *p = params;

        return api_async(call, vk_qemu_driver_define(api_driver(userdata), p->xml, api_on_defined,
                                                     call, vk_call_error(call)));
}

static int api_undefine(VkCall *call, void *params, void *userdata) {
        const UndefineParams *p = params;
        unsigned flags = (p->nvram ? VK_QEMU_UNDEFINE_NVRAM : 0) |
                         (p->keep_nvram ? VK_QEMU_UNDEFINE_KEEP_NVRAM : 0);
        int r;

        r = vk_qemu_driver_undefine(api_driver(userdata), p->domain, flags, vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

static int api_list(VkCall *call, void *params, void *userdata) {
        const ListParams *p = params;
        g_autoptr(GPtrArray) objs = NULL;
        g_autofree DomainSummary *items = NULL;
        unsigned flags = (p->active ? VK_QEMU_LIST_ACTIVE : 0) |
                         (p->inactive ? VK_QEMU_LIST_INACTIVE : 0) |
                         (p->persistent ? VK_QEMU_LIST_PERSISTENT : 0) |
                         (p->transient ? VK_QEMU_LIST_TRANSIENT : 0) |
                         (p->autostart ? VK_QEMU_LIST_AUTOSTART : 0);
        ListResult res = {};
        int r;

        r = vk_qemu_driver_list(api_driver(userdata), flags, &objs);
        if (r < 0)
                return r;
        items = g_new0(DomainSummary, objs->len + 1);
        for (guint i = 0; i < objs->len; i++)
                summary_fill(&items[i], objs->pdata[i]);
        res.domains = (VkArray){ .items = items, .n = objs->len };
        return vk_call_reply(call, &res);
}

static int api_lookup(VkCall *call, void *params, void *userdata) {
        const LookupParams *p = params;
        DomainSummary res = {};
        VkDomainObj *obj;
        int r;

        r = vk_qemu_driver_lookup_by(api_driver(userdata), p->name, p->uuid, p->id, &obj,
                                     vk_call_error(call));
        if (r < 0)
                return r;
        summary_fill(&res, obj);
        return vk_call_reply(call, &res);
}

static int api_get_xml(VkCall *call, void *params, void *userdata) {
        const GetXmlParams *p = params;
        VkQemud *q = userdata;
        g_autofree char *xml = NULL;
        StringResult res;
        int r;

        if (p->secure && !q->session && vk_call_peer(call)->uid != 0)
                return vk_error_set(vk_call_error(call), VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "GetDomainXML: secure needs root");
        r = vk_qemu_driver_get_xml(q->driver, p->domain,
                                   (p->inactive ? VK_QEMU_XML_INACTIVE : 0) |
                                           (p->secure ? VK_QEMU_XML_SECURE : 0),
                                   &xml, vk_call_error(call));
        if (r < 0)
                return r;
        res.value = xml;
        return vk_call_reply(call, &res);
}

static int api_get_info(VkCall *call, void *params, void *userdata) {
        const DomainParams *p = params;
        VkQemuDomainInfo info;
        InfoResult res;
        int r;

        r = vk_qemu_driver_get_info(api_driver(userdata), p->domain, &info, vk_call_error(call));
        if (r < 0)
                return r;
        res = (InfoResult){
                .state = (char *) vk_domain_state_to_string(info.state),
                .reason = (char *) vk_domain_reason_to_string(info.reason),
                .memory = info.memory_kib,
                .max_memory = info.max_memory_kib,
                .vcpus = info.vcpus,
                .cpu_time = info.cpu_time_ns,
        };
        return vk_call_reply(call, &res);
}

static int api_set_autostart(VkCall *call, void *params, void *userdata) {
        const AutostartParams *p = params;
        int r;

        r = vk_qemu_driver_set_autostart(api_driver(userdata), p->domain, p->enabled,
                                         vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

/* ---- lifecycle ---- */

static int api_start(VkCall *call, void *params, void *userdata) {
        const StartParams *p = params;

        return api_async(call, vk_qemu_driver_start(api_driver(userdata), p->domain, p->paused,
                                                    api_on_done, call, vk_call_error(call)));
}

static int api_create(VkCall *call, void *params, void *userdata) {
        const XmlParams *p = params;
        int r;

        r = vk_qemu_driver_create(api_driver(userdata), p->xml, p->paused, api_on_defined, call,
                                  vk_call_error(call));
        return api_async(call, r);
}

static int api_destroy(VkCall *call, void *params, void *userdata) {
        const DestroyParams *p = params;

        return api_async(call, vk_qemu_driver_destroy(api_driver(userdata), p->domain, p->graceful,
                                                      api_on_done, call, vk_call_error(call)));
}

static int api_domain_op(VkCall *call, void *params, void *userdata, VkQemuDomainOp op) {
        const DomainParams *p = params;

        return api_async(call, vk_qemu_driver_domain_op(api_driver(userdata), p->domain, op,
                                                        api_on_done, call, vk_call_error(call)));
}

static int api_shutdown(VkCall *call, void *params, void *userdata) {
        return api_domain_op(call, params, userdata, VK_QEMU_OP_SHUTDOWN);
}

static int api_reboot(VkCall *call, void *params, void *userdata) {
        return api_domain_op(call, params, userdata, VK_QEMU_OP_REBOOT);
}

static int api_reset(VkCall *call, void *params, void *userdata) {
        return api_domain_op(call, params, userdata, VK_QEMU_OP_RESET);
}

static int api_suspend(VkCall *call, void *params, void *userdata) {
        return api_domain_op(call, params, userdata, VK_QEMU_OP_SUSPEND);
}

static int api_resume(VkCall *call, void *params, void *userdata) {
        return api_domain_op(call, params, userdata, VK_QEMU_OP_RESUME);
}

static int api_monitor_command(VkCall *call, void *params, void *userdata) {
        const MonitorParams *p = params;

        return api_async(call, vk_qemu_driver_monitor_command(api_driver(userdata), p->domain,
                                                              p->command, p->hmp, api_on_done, call,
                                                              vk_call_error(call)));
}

static int api_attach(VkCall *call, void *params, void *userdata) {
        return vk_error_set(vk_call_error(call), VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                            "QemuAttach was removed: attaching to a QEMU started outside "
                            "virtkit is not supported (libvirt removed it too); define the "
                            "domain and start it with StartDomain");
}

/* ---- D-Bus objects: one per domain ---- */

typedef struct DomainProps {
        char *name;
        char *uuid;
        int64_t id;
        char *state;
        bool active;
        bool persistent;
        bool autostart;
} DomainProps;

static const VkField domain_props_type_fields[] = {
        { "Name", VK_FIELD_STRING, offsetof(DomainProps, name), VK_FIELD_REQUIRED, NULL,
          "The domain's name" },
        { "UUID", VK_FIELD_STRING, offsetof(DomainProps, uuid), VK_FIELD_REQUIRED, NULL,
          "The domain's UUID" },
        { "Id", VK_FIELD_INT, offsetof(DomainProps, id), VK_FIELD_REQUIRED | VK_FIELD_INT32, NULL,
          "-1 when shut off" },
        { "State", VK_FIELD_STRING, offsetof(DomainProps, state), VK_FIELD_REQUIRED, NULL,
          "running, paused, shutdown, shutoff, crashed, ..." },
        { "Active", VK_FIELD_BOOL, offsetof(DomainProps, active), VK_FIELD_REQUIRED, NULL,
          "Whether the domain runs" },
        { "Persistent", VK_FIELD_BOOL, offsetof(DomainProps, persistent), VK_FIELD_REQUIRED, NULL,
          "Whether the domain is defined (not transient)" },
        { "Autostart", VK_FIELD_BOOL, offsetof(DomainProps, autostart), VK_FIELD_REQUIRED, NULL,
          "Whether the domain starts with the daemon" },
        {},
};

static const VkStructType domain_props_type = {
        .size = sizeof(DomainProps),
        .fields = domain_props_type_fields,
};

/* The objects are keyed by UUID: a name can be reused by another domain, a UUID cannot. */
static int api_domain_object_keys(char ***ret_keys, void *userdata) {
        g_autoptr(GPtrArray) objs = NULL;
        GPtrArray *keys;
        int r;

        r = vk_qemu_driver_list(api_driver(userdata), /* flags= */ 0, &objs);
        if (r < 0)
                return r;
        keys = g_ptr_array_new();
        for (guint i = 0; i < objs->len; i++)
                g_ptr_array_add(keys, g_strdup(((VkDomainObj *) objs->pdata[i])->uuid_str));
        g_ptr_array_add(keys, NULL);
        *ret_keys = (char **) g_ptr_array_free(keys, false);
        return 0;
}

static int api_domain_object_get(const char *key, void *ret_props, void *userdata) {
        DomainProps *p = ret_props;
        VkDomainObj *obj;

        if (vk_qemu_driver_lookup_by(api_driver(userdata), NULL, key, 0, &obj, NULL) < 0)
                return -ENOENT;
        *p = (DomainProps){
                .name = g_strdup(obj->name),
                .uuid = g_strdup(obj->uuid_str),
                .id = obj->id,
                .state = g_strdup(vk_domain_state_to_string(obj->state)),
                .active = vk_domain_obj_is_active(obj),
                .persistent = obj->persistent,
                .autostart = obj->autostart,
        };
        return 0;
}

/* Each method runs the manager's method of the same meaning with the object's UUID as domain. */
static const VkObjectMethod domain_object_methods[] = {
        { "Start", "StartDomain", "domain" },
        { "Shutdown", "ShutdownDomain", "domain" },
        { "Destroy", "DestroyDomain", "domain" },
        { "Reboot", "RebootDomain", "domain" },
        { "Reset", "ResetDomain", "domain" },
        { "Suspend", "SuspendDomain", "domain" },
        { "Resume", "ResumeDomain", "domain" },
        { "Undefine", "UndefineDomain", "domain" },
        { "GetXML", "GetDomainXML", "domain" },
        { "SetAutostart", "SetDomainAutostart", "domain" },
        {},
};

static const VkObjectInterface qemu_objects[] = {
        {
                .bus_interface = "io.virtkit.Qemu1.Domain",
                .path_prefix = "/io/virtkit/Qemu1/domain",
                .methods = domain_object_methods,
                .properties = &domain_props_type,
                .list = api_domain_object_keys,
                .get = api_domain_object_get,
                .doc = "One domain: its lifecycle methods and properties",
        },
        {},
};

/* The driver's hook: announce the domain's object as added, changed or removed. */
static void api_on_domain_changed(VkQemuDriver *drv, VkDomainObj *obj, void *userdata) {
        VkQemud *q = userdata;
        int r;

        if (!q->service)
                return;
        r = vk_service_update_object(q->service, &qemu_objects[0], obj->uuid_str);
        if (r < 0)
                vk_log_debug("Failed to announce the change of domain '%s' on D-Bus: %s", obj->name,
                             g_strerror(-r));
}

/* ---- the interface ---- */

static const VkMethod qemu_methods[] = {
        { "GetCapabilities", NULL, &xml_result, api_get_capabilities, VK_AUTH_READ, 0,
          "The host's capabilities XML (emulators probed on first use, then cached)." },
        { "GetDomainCapabilities", &domcaps_params, &xml_result, api_get_domain_capabilities,
          VK_AUTH_READ, 0, "What an emulator, machine and virt type support, as XML." },
        { "DomainXMLToNative", &to_native_params, &native_result, api_xml_to_native, VK_AUTH_READ,
          0, "The QEMU command line a domain XML would start (qemu-argv)." },
        { "DomainXMLFromNative", &from_native_params, &xml_result, api_xml_from_native,
          VK_AUTH_READ, 0, "Removed: always fails with NotSupported." },
        { "DefineDomain", &define_params, &name_uuid_result, api_define, VK_AUTH_MANAGE, 0,
          "Define (or redefine) a persistent domain." },
        { "UndefineDomain", &undefine_params, NULL, api_undefine, VK_AUTH_MANAGE, 0,
          "Remove a persistent definition; a running domain goes on as transient. A UEFI "
          "domain's existing NVRAM refuses it unless nvram (remove) or keepNvram is set." },
        { "ListDomains", &list_params, &list_result, api_list, VK_AUTH_READ, 0,
          "The domains matching the filters, sorted by name." },
        { "LookupDomain", &lookup_params, &lookup_result, api_lookup, VK_AUTH_READ, 0,
          "One domain by name, UUID or id." },
        { "GetDomainXML", &get_xml_params, &xml_result, api_get_xml, VK_AUTH_READ, 0,
          "The domain XML: live (id, runtime data) while running unless inactive." },
        { "GetDomainInfo", &domain_params, &info_result, api_get_info, VK_AUTH_READ, 0,
          "State, reason, memory, vCPUs and CPU time." },
        { "StartDomain", &start_params, NULL, api_start, VK_AUTH_MANAGE, 0,
          "Start a defined domain; replies once QEMU runs (or is paused)." },
        { "CreateDomain", &create_params, &name_uuid_result, api_create, VK_AUTH_MANAGE, 0,
          "Create and start a transient domain." },
        { "DestroyDomain", &destroy_params, NULL, api_destroy, VK_AUTH_MANAGE, 0,
          "Stop QEMU: SIGTERM, then SIGKILL after a grace period." },
        { "ShutdownDomain", &domain_params, NULL, api_shutdown, VK_AUTH_MANAGE, 0,
          "Ask the guest to power off (ACPI)." },
        { "RebootDomain", &domain_params, NULL, api_reboot, VK_AUTH_MANAGE, 0,
          "Reset the guest; on_reboot decides what follows." },
        { "ResetDomain", &domain_params, NULL, api_reset, VK_AUTH_MANAGE, 0,
          "Hard reset of the guest." },
        { "SuspendDomain", &domain_params, NULL, api_suspend, VK_AUTH_MANAGE, 0,
          "Stop the vCPUs." },
        { "ResumeDomain", &domain_params, NULL, api_resume, VK_AUTH_MANAGE, 0,
          "Let the vCPUs run again." },
        { "SetDomainAutostart", &autostart_params, NULL, api_set_autostart, VK_AUTH_MANAGE, 0,
          "Start the domain when the daemon starts after a host boot." },
        { "QemuMonitorCommand", &monitor_params, &reply_result, api_monitor_command,
          VK_AUTH_MONITOR, 0, "Pass a QMP (or HMP) command to QEMU unchecked; taints the domain." },
        { "QemuAttach", &attach_params, NULL, api_attach, VK_AUTH_MONITOR, 0,
          "Removed: always fails with NotSupported." },
        {},
};

/* clang-format off */
static const VkMethod *const qemu_method_tables[] = {
        vk_admin_methods,
        qemu_methods,
        vk_qemud_event_methods,
        vk_qemud_ifaddr_methods,
        vk_qemud_domops_methods,
        vk_qemud_vcpu_methods,
        vk_qemud_media_methods, /* ChangeDomainMedia */
        vk_qemud_device_methods,
        NULL,
};
/* clang-format on */

static const VkErrorDecl qemu_errors[] = {
        { "NoSuchDomain", VK_STRV("domain"), "No domain has this name, UUID or id" },
        { "QmpError", VK_STRV("class"), "QEMU answered a monitor command with an error" },
        { "QmpDisconnected", NULL, "The monitor connection to QEMU is gone" },
        { "NoDomainMetadata", NULL, "The domain has no such description, title or element" },
        {},
};

static const VkSignal qemu_signals[] = {
        { "DomainEvent", &vk_qemud_lifecycle_event_type, "A domain lifecycle event" },
        { "DomainEventFull", &vk_qemud_event_type,
          "Any domain event (lifecycle, balloon, tray, device, disk error, RTC, watchdog, "
          "monitor, metadata), as SubscribeEvents replies" },
        {},
};

const VkInterface vk_qemu_interface = {
        VK_INTERFACE_NAMES("Qemu", "qemu"),
        .doc = "VMs (domains): definitions, lifecycle, QMP, capabilities, security labels.",
        .method_tables = qemu_method_tables,
        .errors = qemu_errors,
        .signals = qemu_signals,
        .objects = qemu_objects,
        /* secrets, networks and storage, passed on to virtkit-secretd, virtkit-networkd and
         * virtkit-storaged (forward.c) */
        .forwards = (const VkInterface *const[]){ &vk_qemud_secret_interface,
                                                  &vk_qemud_network_interface,
                                                  &vk_qemud_storage_interface, NULL },
};

static void qemud_on_busy_changed(VkQemuDriver *drv, void *userdata) {
        VkQemud *q = userdata;

        if (q->busy_changed)
                q->busy_changed(q->busy_userdata);
}

/* Streams end while the service still exists (the owner frees us after the service). */
static int qemud_on_exit(sd_event_source *s, void *userdata) {
        vk_qemud_drop_subscribers(userdata);
        return 0;
}

/* The forwarder to @daemon, the sibling serving @iface on its socket (*@ret_socket if asked). */
static int qemud_forward_new(sd_event *event, const VkPaths *paths, const char *daemon,
                             const char *iface, VkForward **ret, char **ret_socket,
                             VkError *reterr) {
        g_autofree char *socket = NULL;
        int r;

        r = vk_paths_socket(paths, iface, &socket, reterr);
        if (r < 0)
                return r;
        r = vk_forward_new(event, daemon, iface, socket, ret, reterr);
        if (r < 0)
                return r;
        if (ret_socket)
                *ret_socket = g_steal_pointer(&socket);
        return 0;
}

/*
 * The state every handler of vk_qemu_interface gets: the QEMU driver for @paths on @event,
 * reconnected to the VMs its run dir knows. @session: the callers own the instance (session or
 * embedded), so no root check applies. @busy_changed (may be NULL) runs when
 * vk_qemu_driver_is_busy() may have changed. Set q->service once the service exists, so that
 * events also go out as D-Bus signals. SIGCHLD gets blocked (sd-event watches QEMU).
 */
int vk_qemud_new(sd_event *event, const VkPaths *paths, VkInstanceKind kind, bool session,
                 void (*busy_changed)(void *userdata), void *userdata, VkQemud **ret,
                 VkError *reterr) {
        static const VkQemuDriverCallbacks callbacks = {
                .event = vk_qemud_on_event,
                .busy_changed = qemud_on_busy_changed,
                .domain_changed = api_on_domain_changed,
        };
        g_autoptr(VkQemud) q = g_new0(VkQemud, 1);
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return vk_error_set_errno(reterr, -errno, "Failed to block SIGCHLD");

        q->event = sd_event_ref(event);
        q->session = session;
        q->busy_changed = busy_changed;
        q->busy_userdata = userdata;
        q->subscribers = vk_subscribers_new(event);
        r = vk_qemu_driver_new(event, paths, kind, &q->driver, reterr);
        if (r < 0)
                return r;
        /* the siblings of the same instance: DIR/run/io.virtkit.Secret with --root DIR, … */
        r = qemud_forward_new(event, paths, "virtkit-secretd", "io.virtkit.Secret",
                              &q->secret_forward, NULL, reterr);
        if (r < 0)
                return r;
        /* <interface type='network'>: ports from networkd's socket too */
        r = qemud_forward_new(event, paths, "virtkit-networkd", "io.virtkit.Network",
                              &q->network_forward, &q->network_socket, reterr);
        if (r < 0)
                return r;
        vk_qemu_driver_set_networkd_socket(q->driver, q->network_socket);
        r = qemud_forward_new(event, paths, "virtkit-storaged", "io.virtkit.Storage",
                              &q->storage_forward, NULL, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_exit(event, &q->exit_source, qemud_on_exit, q);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to add an exit source");
        vk_qemu_driver_set_callbacks(q->driver, &callbacks, q);
        *ret = g_steal_pointer(&q);
        return 0;
}

/* Free the state and the driver; running QEMUs stay (the next instance reconnects). */
VkQemud *vk_qemud_free(VkQemud *q) {
        if (!q)
                return NULL;
        vk_qemud_drop_subscribers(q);
        vk_libvirt_free(q->libvirt);
        q->exit_source = sd_event_source_disable_unref(q->exit_source);
        vk_subscribers_free(q->subscribers);
        vk_forward_free(q->secret_forward);
        vk_forward_free(q->network_forward);
        vk_forward_free(q->storage_forward);
        g_free(q->network_socket);
        vk_qemu_driver_free(q->driver);
        sd_event_unref(q->event);
        g_free(q);
        return NULL;
}
