/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-keycodes.h: libvirt's key code sets (virKeycodeSet) and the QEMU key numbers of keys */
#pragma once

#include <errno.h>

#include "error.h"

/* libvirt's virKeycodeSet, with its numbers (org.libvirt's SendKey passes them). */
typedef enum VkKeycodeSet {
        VK_KEYCODE_SET_LINUX,
        VK_KEYCODE_SET_XT, /* the same codes as atset1, as in libvirt */
        VK_KEYCODE_SET_ATSET1,
        VK_KEYCODE_SET_ATSET2,
        VK_KEYCODE_SET_ATSET3,
        VK_KEYCODE_SET_OSX,
        VK_KEYCODE_SET_XT_KBD,
        VK_KEYCODE_SET_USB,
        VK_KEYCODE_SET_WIN32,
        VK_KEYCODE_SET_QNUM, /* QEMU's key numbers; libvirt's old name "rfb" */
        _VK_KEYCODE_SET_MAX,
        _VK_KEYCODE_SET_INVALID = -EINVAL,
} VkKeycodeSet;

/* libvirt's VIR_DOMAIN_SEND_KEY_MAX_KEYS */
#define VK_KEYCODE_SEND_MAX 16

const char *vk_keycode_set_to_string(VkKeycodeSet s);
VkKeycodeSet vk_keycode_set_from_string(const char *s);
int vk_keycode_translate(VkKeycodeSet from, VkKeycodeSet to, unsigned value);
int vk_keycode_parse(VkKeycodeSet set, const char *text, unsigned *ret, VkError *reterr);
