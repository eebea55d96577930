/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* method.h: one declaration per method, from which varlink, D-Bus and the IDL are derived */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

typedef enum VkFieldType {
        VK_FIELD_STRING, /* char *            varlink string     D-Bus s */
        VK_FIELD_BOOL,   /* bool              bool               b */
        VK_FIELD_INT,    /* int64_t           int                x */
        VK_FIELD_UINT,   /* uint64_t          int                t */
        VK_FIELD_DOUBLE, /* double            float              d */
        VK_FIELD_STRV,   /* char **           []string           as */
        VK_FIELD_ARRAY,  /* VkArray of `sub`  []Sub              a(...) */
        VK_FIELD_STRUCT, /* embedded `sub`    Sub                (...) */
        VK_FIELD_FD,     /* VkFd              int (the index of   h
                          *                   a passed fd)        (parameters only) */
        _VK_FIELD_TYPE_MAX,
        _VK_FIELD_TYPE_INVALID = -EINVAL,
} VkFieldType;

/* Field flags */
enum {
        VK_FIELD_REQUIRED = 1 << 0, /* must be present (input); always present (output) */
        VK_FIELD_INT32 = 1 << 1,    /* VK_FIELD_INT that is D-Bus i (int32) instead of x */
};

typedef struct VkStructType VkStructType;

typedef struct VkField {
        const char *name; /* camelCase, as on the wire */
        VkFieldType type;
        size_t offset; /* offsetof() in the C struct */
        unsigned flags;
        const VkStructType *sub; /* element type of ARRAY and STRUCT */
        const char *doc;         /* one line, shown in the varlink IDL */
} VkField;

struct VkStructType {
        const char *name;      /* varlink type name (PascalCase); NULL for parameter lists */
        size_t size;           /* sizeof() the C struct */
        const VkField *fields; /* terminated by an entry with name == NULL */
        const char *doc;
};

/*
 * The C representation of VK_FIELD_FD: a file descriptor passed with the call (varlink:
 * SCM_RIGHTS, the parameter being its index among the message's descriptors; D-Bus: 'h').
 * A decoded struct owns @fd (vk_struct_clear() closes it); @set is false when absent.
 */
typedef struct VkFd {
        int fd;
        bool set;
} VkFd;

/* The C representation of VK_FIELD_ARRAY: n elements of sub->size bytes each. */
typedef struct VkArray {
        void *items;
        size_t n;
} VkArray;

typedef enum VkAuth {
        VK_AUTH_READ,    /* read-only: any local user on the system instance */
        VK_AUTH_MANAGE,  /* changes state: root or polkit "<prefix>.manage" */
        VK_AUTH_MONITOR, /* root-equivalent: root or polkit "io.virtkit.qemu.monitor" */
        _VK_AUTH_MAX,
        _VK_AUTH_INVALID = -EINVAL,
} VkAuth;

/* Method flags */
enum {
        VK_METHOD_STREAM = 1 << 0, /* varlink: replies with "continues" (needs "more");
                                    * not exported on D-Bus, which uses signals instead */
        VK_METHOD_JOB = 1 << 1,    /* may run for long (copying a volume): a forwarder waits
                                    * for it without its usual timeout */
};

typedef struct VkCall VkCall;

/*
 * A handler runs once, after the parameters were decoded and the caller authorised. It either
 * replies (vk_call_reply()/vk_call_reply_error()) before returning 0, or takes a reference and
 * replies later, or returns < 0 with the call's VkError filled (vk_call_error()), in which case
 * the adapter replies with that error.
 */
typedef int (*VkMethodHandler)(VkCall *call, void *params, void *userdata);

typedef struct VkMethod {
        const char *name;        /* PascalCase */
        const VkStructType *in;  /* parameters (NULL: none) */
        const VkStructType *out; /* result (NULL: empty) */
        VkMethodHandler handler;
        VkAuth auth;
        unsigned flags;
        const char *doc;
} VkMethod;

typedef struct VkErrorDecl {
        const char *name;          /* short name, qualified with the interface on the wire */
        const char *const *params; /* extra string parameters beyond "message" (NULL: none) */
        const char *doc;
} VkErrorDecl;

/* A D-Bus signal of the interface's object (varlink clients use a streaming method instead). */
typedef struct VkSignal {
        const char *name;         /* PascalCase member */
        const VkStructType *args; /* the signal's arguments (NULL: none) */
        const char *doc;
} VkSignal;

/*
 * A method of an object interface (below): it runs the interface method @method with its
 * string parameter @key set to the key of the object it was called on; the caller passes the
 * other parameters. Decoding, authorisation, handler and result are @method's own, so the
 * object's method and the interface's method are one declaration and one handler.
 */
typedef struct VkObjectMethod {
        const char *name;   /* member on the object interface: "Start" */
        const char *method; /* the interface method it runs: "StartDomain" */
        const char *key;    /* the parameter the object's key fills: "domain" */
} VkObjectMethod;

/*
 * Fill @ret_props, a zeroed struct of the object interface's property type, with the
 * properties of the object @key (the struct owns what it points to: vk_struct_clear() frees
 * it). Returns 0, -ENOENT when there is no such object (any more), or another -errno.
 */
typedef int (*VkObjectGetFunc)(const char *key, void *ret_props, void *userdata);
/* The keys of every object now, as a NULL-terminated vector the caller frees. */
typedef int (*VkObjectListFunc)(char ***ret_keys, void *userdata);

/*
 * A D-Bus interface served on one object per key, at "<path_prefix>/_<key>" with every "-"
 * of the key as "_" (keys are made of ASCII letters, digits and "-", like UUIDs), listed by
 * org.freedesktop.DBus.ObjectManager on the interface's bus_path. D-Bus only: varlink
 * clients call the interface's methods with the key as a parameter. @list and @get get the
 * service's userdata.
 */
typedef struct VkObjectInterface {
        const char *bus_interface;      /* io.virtkit.Qemu1.Domain */
        const char *path_prefix;        /* /io/virtkit/Qemu1/domain */
        const VkObjectMethod *methods;  /* terminated by name == NULL; may be NULL */
        const VkStructType *properties; /* read-only; fields of type STRING, BOOL, INT,
                                         * UINT, DOUBLE or STRV; may be NULL */
        VkObjectListFunc list;
        VkObjectGetFunc get;
        const char *doc;
} VkObjectInterface;

typedef struct VkInterface VkInterface;

struct VkInterface {
        const char *varlink_name;  /* io.virtkit.Qemu */
        const char *bus_name;      /* io.virtkit.Qemu1 */
        const char *bus_path;      /* /io/virtkit/Qemu1 */
        const char *bus_interface; /* io.virtkit.Qemu1.Manager */
        const char *polkit_prefix; /* io.virtkit.qemu: actions "<prefix>.manage" */
        const char *doc;
        const VkMethod *const *method_tables; /* NULL-terminated list of tables */
        const VkErrorDecl *errors;            /* terminated by name == NULL */
        const VkSignal *signals;              /* terminated by name == NULL; may be NULL */
        const VkObjectInterface *objects;     /* terminated by bus_interface == NULL; may be
                                               * NULL */
        const VkInterface *const *forwards;   /* a sibling's interfaces this service answers
                                               * too (by forwarding): varlink under their own
                                               * names, D-Bus as their bus_interface on this
                                               * bus_path; their signals and objects are not
                                               * served. NULL-terminated; may be NULL */
};

const char *vk_field_type_to_string(VkFieldType t);
const char *vk_auth_to_string(VkAuth a);
VkAuth vk_auth_from_string(const char *s);

void vk_struct_clear(const VkStructType *t, void *p);
void *vk_struct_free(const VkStructType *t, void *p);
char *vk_struct_signature(const VkStructType *t, bool wrap);
const VkMethod *vk_interface_find_method(const VkInterface *iface, const char *name);
char *vk_interface_format_idl(const VkInterface *iface);
char *vk_interface_action_id(const VkInterface *iface, VkAuth auth);

/* The errors every interface may answer with (declared in each IDL). */
extern const VkErrorDecl vk_common_errors[];

#define VK_FIELD_PTR(p, f) ((void *) ((uint8_t *) (p) + (f)->offset))

/* The names of interface @Name ("Qemu") with polkit prefix io.virtkit.@lower ("qemu"). */
#define VK_INTERFACE_NAMES(Name, lower)                                                            \
        .varlink_name = "io.virtkit." Name, .bus_name = "io.virtkit." Name "1",                    \
        .bus_path = "/io/virtkit/" Name "1", .bus_interface = "io.virtkit." Name "1.Manager",      \
        .polkit_prefix = "io.virtkit." lower
