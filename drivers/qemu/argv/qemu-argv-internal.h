/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-internal.h: the argv builder's state, shared by qemu-argv*.c only */
#pragma once

#include <json-glib/json-glib.h>

#include "qemu-argv.h"

/* The id of the guest RAM's memory backend: QEMU's own name for the pc machines' RAM block */
#define ARGV_RAM_ID "pc.ram"

/*
 * One build. Arguments accumulate in @args; a -device argument is a NULL placeholder whose
 * JSON object waits in @devices until the qemu:override properties are applied, then all
 * placeholders are serialized. Errors go to @reterr; every emitter returns int.
 */
typedef struct ArgvDevice {
        char *alias;       /* the device's id= */
        JsonObject *props; /* owned */
        guint index;       /* of the placeholder in args */
} ArgvDevice;

typedef struct ArgvBuilder {
        const VkDomainDef *def;
        const VkQemuCaps *caps;
        const VkQemuConfig *cfg;
        const VkQemuArgvOptions *opts;
        bool flags[_VK_QEMU_CAPS_FLAG_MAX]; /* caps flags after qemu:capabilities */
        GPtrArray *args;                    /* char *, NULL for a pending -device */
        GPtrArray *devices;                 /* ArgvDevice * */
        unsigned *disk_boot;                /* bootindex per disk, 0: none */
        unsigned *net_boot;                 /* bootindex per interface, 0: none */
        size_t n_taps;                      /* tap fds used so far */
        VkError *reterr;
} ArgvBuilder;

/*
 * The files of the builder call in one direction only, top to bottom:
 *   qemu-argv.c           vk_qemu_build_command(): the order of the command line
 *   qemu-argv-devices.c,  one emitter per kind of device (they do not call each other)
 *   qemu-argv-disk.c
 *   qemu-argv-builder.c   the emitters' tools below
 */

/* ---- qemu-argv-builder.c ---- */
void argv_add(ArgvBuilder *b, const char *arg);
void argv_addf(ArgvBuilder *b, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void argv_add_pair(ArgvBuilder *b, const char *opt, const char *value);
void argv_add_json(ArgvBuilder *b, const char *opt, JsonObject *o);
JsonObject *argv_device_new(const char *driver);
void argv_add_device(ArgvBuilder *b, const char *alias, JsonObject *o);
int argv_add_device_at(ArgvBuilder *b, const char *alias, JsonObject *o, const VkDeviceInfo *info,
                       const char *what, unsigned bootindex);
char *argv_json_to_string(JsonObject *o);
void argv_jset_str(JsonObject *o, const char *key, const char *value);
void argv_jset_int(JsonObject *o, const char *key, int64_t value);
void argv_jset_bool(JsonObject *o, const char *key, bool value);
const char *argv_pci_bus_name(const ArgvBuilder *b, unsigned bus, char buf[32]);
int argv_set_address(ArgvBuilder *b, JsonObject *o, const VkDeviceInfo *info, const char *what);
char *argv_alias(const VkDeviceInfo *info, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
bool argv_has(const ArgvBuilder *b, VkQemuCapsFlag flag);
int argv_need(ArgvBuilder *b, VkQemuCapsFlag flag, const char *what);
int argv_error(ArgvBuilder *b, const char *name, int error, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
char *argv_escape(const char *s);
char *argv_controller_alias(const VkDomainController *c, VkMachineKind kind);
char *argv_usb_bus(const ArgvBuilder *b, unsigned bus);

/* ---- qemu-argv-tune.c ---- */
int argv_cpu_tune(ArgvBuilder *b, GString *s);
void argv_accel_tune(ArgvBuilder *b, GString *s);
int argv_build_ram(ArgvBuilder *b);
int argv_build_iothreads_numa(ArgvBuilder *b);

/* ---- qemu-argv-fs.c ---- */
int argv_build_filesystems(ArgvBuilder *b);
int argv_build_smartcards(ArgvBuilder *b);
int argv_build_vsock(ArgvBuilder *b);

/* ---- qemu-argv-sound.c ---- */
int argv_build_sounds(ArgvBuilder *b);
int argv_build_redirdevs(ArgvBuilder *b);

/* ---- qemu-argv-firmware.c ---- */
int argv_build_pflash(ArgvBuilder *b, bool *ret_used);
void argv_machine_smm(const ArgvBuilder *b, GString *machine);
void argv_machine_pflash(const ArgvBuilder *b, GString *machine);
void argv_build_loader(ArgvBuilder *b);

/* ---- qemu-argv-disk.c ---- */
int argv_build_disks(ArgvBuilder *b);
int argv_build_disk(ArgvBuilder *b, size_t i);
int argv_boot_prepare(ArgvBuilder *b);

/* ---- qemu-argv-platform.c ---- */
int argv_build_smbios(ArgvBuilder *b);
void argv_cpu_panic(const ArgvBuilder *b, GString *s);
int argv_build_panics(ArgvBuilder *b);
int argv_build_rngs(ArgvBuilder *b);

/* ---- qemu-argv-devices.c ---- */
int argv_build_controllers(ArgvBuilder *b);
int argv_build_nets(ArgvBuilder *b);
int argv_build_chardevs(ArgvBuilder *b);
int argv_build_inputs(ArgvBuilder *b);
int argv_build_graphics(ArgvBuilder *b);
int argv_build_videos(ArgvBuilder *b);
int argv_build_misc_devices(ArgvBuilder *b);
