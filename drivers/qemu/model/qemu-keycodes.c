/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-keycodes.c: libvirt's key code sets (virKeycodeSet) and the QEMU key numbers of keys */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "qemu-keycodes.h"

#define NONE 0xffff

/* One key: its code in each set (NONE: the set has no code for it) and its names. */
typedef struct Key {
        uint16_t code[_VK_KEYCODE_SET_MAX];
        const char *linux_name, *osx_name, *win32_name;
} Key;

#define KEY(linux, at1, at2, at3, osx, xtkbd, usb, win32, qnum, ln, on, wn)                        \
        { { linux, at1, at1, at2, at3, osx, xtkbd, usb, win32, qnum }, ln, on, wn },

static const Key keys[] = {
#include "qemu-keycodes-table.h"
};

static const char *const keycode_set_names[_VK_KEYCODE_SET_MAX] = {
        [VK_KEYCODE_SET_LINUX] = "linux",   [VK_KEYCODE_SET_XT] = "xt",
        [VK_KEYCODE_SET_ATSET1] = "atset1", [VK_KEYCODE_SET_ATSET2] = "atset2",
        [VK_KEYCODE_SET_ATSET3] = "atset3", [VK_KEYCODE_SET_OSX] = "os_x",
        [VK_KEYCODE_SET_XT_KBD] = "xt_kbd", [VK_KEYCODE_SET_USB] = "usb",
        [VK_KEYCODE_SET_WIN32] = "win32",   [VK_KEYCODE_SET_QNUM] = "qnum",
};

/* virsh's name of @s ("linux", "os_x", "qnum", ...), or NULL when out of range. */
const char *vk_keycode_set_to_string(VkKeycodeSet s) {
        return s >= 0 && s < _VK_KEYCODE_SET_MAX ? keycode_set_names[s] : NULL;
}

/* The set named @s (also "rfb", libvirt's old name of qnum), or _VK_KEYCODE_SET_INVALID. */
VkKeycodeSet vk_keycode_set_from_string(const char *s) {
        if (g_strcmp0(s, "rfb") == 0)
                return VK_KEYCODE_SET_QNUM;
        for (int i = 0; s && i < _VK_KEYCODE_SET_MAX; i++)
                if (strcmp(keycode_set_names[i], s) == 0)
                        return i;
        return _VK_KEYCODE_SET_INVALID;
}

/* The code in @to of the key whose code in @from is @value; -ENOENT when there is none. */
int vk_keycode_translate(VkKeycodeSet from, VkKeycodeSet to, unsigned value) {
        if (from < 0 || from >= _VK_KEYCODE_SET_MAX || to < 0 || to >= _VK_KEYCODE_SET_MAX ||
            value >= NONE)
                return -ENOENT;
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
                if (keys[i].code[from] == value)
                        return keys[i].code[to] == NONE ? -ENOENT : keys[i].code[to];
        return -ENOENT;
}

static const char *key_name(const Key *k, VkKeycodeSet set) {
        switch (set) {
        case VK_KEYCODE_SET_LINUX:
                return k->linux_name;
        case VK_KEYCODE_SET_OSX:
                return k->osx_name;
        case VK_KEYCODE_SET_WIN32:
                return k->win32_name;
        default:
                return NULL; /* the other sets have numbers only, as in libvirt */
        }
}

/*
 * A key as virsh send-key takes it: a number (decimal, 0x hex or 0 octal, at most 0xffff), or
 * the key's name in @set (linux: KEY_A, os_x: ANSI_A, win32: VK_A; the other sets have no
 * names). *@ret: the code in @set; InvalidArgument "invalid keycode" otherwise.
 */
int vk_keycode_parse(VkKeycodeSet set, const char *text, unsigned *ret, VkError *reterr) {
        if (text && g_ascii_isdigit(text[0])) {
                char *end = NULL;
                unsigned long v;

                errno = 0;
                v = strtoul(text, &end, 0);
                if (errno == 0 && end && *end == '\0' && v <= 0xffff) {
                        *ret = (unsigned) v;
                        return 0;
                }
        }
        for (size_t i = 0; text && i < G_N_ELEMENTS(keys); i++) {
                const char *name = key_name(&keys[i], set);

                if (name && strcmp(name, text) == 0 && keys[i].code[set] != NONE) {
                        *ret = keys[i].code[set];
                        return 0;
                }
        }
        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                            "invalid keycode: '%s' (a number, or a key name of codeset '%s')",
                            vk_strempty(text), vk_strempty(vk_keycode_set_to_string(set)));
}
