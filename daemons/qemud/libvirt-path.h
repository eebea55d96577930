/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-path.h: libvirt-dbus's object paths and the escaping of names in them */
#pragma once

#define VK_LIBVIRT_BUS_NAME     "org.libvirt"
#define VK_LIBVIRT_PATH         "/org/libvirt/QEMU"
#define VK_LIBVIRT_DOMAIN_PATH  VK_LIBVIRT_PATH "/domain"
#define VK_LIBVIRT_NETWORK_PATH VK_LIBVIRT_PATH "/network"
#define VK_LIBVIRT_POOL_PATH    VK_LIBVIRT_PATH "/storagepool"
#define VK_LIBVIRT_VOL_PATH     VK_LIBVIRT_PATH "/storagevol"
#define VK_LIBVIRT_SECRET_PATH  VK_LIBVIRT_PATH "/secret"

char *vk_libvirt_path_encode(const char *s);
int vk_libvirt_path_decode(const char *s, char **ret);
char *vk_libvirt_domain_path(const char *uuid);
int vk_libvirt_domain_uuid(const char *path, char **ret_uuid);
char *vk_libvirt_uuid_path(const char *prefix, const char *uuid);
int vk_libvirt_path_uuid(const char *prefix, const char *path, char **ret_uuid);
char *vk_libvirt_vol_path(const char *key);
int vk_libvirt_vol_key(const char *path, char **ret_key);
