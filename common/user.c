/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* user.c: user and group names and ids, looked up in the NSS databases */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <glib.h>

#include "macro.h"
#include "user.h"

/* An entry larger than this is treated as an error rather than grown into. */
#define USER_BUFFER_MAX (1024 * 1024)

typedef enum UserKey {
        USER_BY_NAME,
        USER_BY_UID,
        GROUP_BY_NAME,
        GROUP_BY_GID,
} UserKey;

/*
 * Look up one entry by @key (@name or @id), growing the buffer while the entry does not fit.
 * On success, *@ret_id (when not NULL) is the entry's id and *@ret_name (when not NULL) a copy
 * of its name; uid_t and gid_t are both unsigned int, so @ret_id takes either.
 * Returns 0, -ENOENT when there is no such entry (or it has no name), or another -errno.
 */
static int user_lookup(UserKey key, const char *name, unsigned id, unsigned *ret_id,
                       char **ret_name) {
        long hint = sysconf(key == USER_BY_NAME || key == USER_BY_UID ? _SC_GETPW_R_SIZE_MAX
                                                                      : _SC_GETGR_R_SIZE_MAX);
        size_t size = hint > 0 ? (size_t) hint : 16384;
        g_autofree char *buf = NULL;
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;
        const char *found_name;
        unsigned found_id;
        int r;

        for (;;) {
                buf = g_realloc(buf, size);
                switch (key) {
                case USER_BY_NAME:
                        r = getpwnam_r(name, &pw, buf, size, &pwp);
                        break;
                case USER_BY_UID:
                        r = getpwuid_r((uid_t) id, &pw, buf, size, &pwp);
                        break;
                case GROUP_BY_NAME:
                        r = getgrnam_r(name, &gr, buf, size, &grp);
                        break;
                default:
                        r = getgrgid_r((gid_t) id, &gr, buf, size, &grp);
                        break;
                }
                if (r != ERANGE || size >= USER_BUFFER_MAX)
                        break;
                size *= 2;
        }
        if (r != 0)
                return -r;
        if (pwp) {
                found_name = pwp->pw_name;
                found_id = pwp->pw_uid;
        } else if (grp) {
                found_name = grp->gr_name;
                found_id = grp->gr_gid;
        } else
                return -ENOENT;
        if (vk_isempty(found_name))
                return -ENOENT;
        if (ret_name)
                *ret_name = g_strdup(found_name);
        if (ret_id)
                *ret_id = found_id;
        return 0;
}

/* The uid of the user @name. Returns 0, -ENOENT (no such user) or another -errno. */
int vk_user_lookup_name(const char *name, uid_t *ret_uid) {
        return user_lookup(USER_BY_NAME, name, 0, ret_uid, NULL);
}

/* The name of the user @uid (caller frees). Returns 0, -ENOENT (no name) or another -errno. */
int vk_user_lookup_uid(uid_t uid, char **ret_name) {
        return user_lookup(USER_BY_UID, NULL, uid, NULL, ret_name);
}

/* The gid of the group @name. Returns 0, -ENOENT (no such group) or another -errno. */
int vk_group_lookup_name(const char *name, gid_t *ret_gid) {
        return user_lookup(GROUP_BY_NAME, name, 0, ret_gid, NULL);
}

/* The name of the group @gid (caller frees). Returns 0, -ENOENT (no name) or another -errno. */
int vk_group_lookup_gid(gid_t gid, char **ret_name) {
        return user_lookup(GROUP_BY_GID, NULL, gid, NULL, ret_name);
}
