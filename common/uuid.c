/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uuid.c: 128-bit identifiers for domains, networks, pools and secrets */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"
#include "uuid.h"

/*
 * Fill @ret_uuid with a random (version 4, RFC 4122 variant) UUID read from getrandom().
 * Blocks only until the kernel's entropy pool is initialised, which is long done once the
 * system has booted. Returns 0, or a negative errno if getrandom() fails; @ret_uuid is then
 * left untouched.
 */
int vk_uuid_generate(VkUuid *ret_uuid) {
        VkUuid u;
        size_t done = 0;

        assert(ret_uuid);

        while (done < sizeof(u.bytes)) {
                ssize_t n = getrandom(u.bytes + done, sizeof(u.bytes) - done, /* flags= */ 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return vk_negative_errno(errno);
                }
                done += (size_t) n;
        }

        u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40; /* version 4 */
        u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80; /* variant 10xx */

        *ret_uuid = u;
        return 0;
}

static int uuid_hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

/*
 * Parse @s as a UUID: either the 36-character dashed form
 * (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or the same 32 hex digits without dashes. Hex digits
 * may be upper or lower case. Nothing else is accepted: no braces, no whitespace, no other
 * dash positions. Returns 0 and fills @ret_uuid, or -EINVAL (with @ret_uuid untouched).
 */
int vk_uuid_parse(const char *s, VkUuid *ret_uuid) {
        VkUuid u;
        size_t len, pos = 0;
        bool dashed;

        assert(ret_uuid);

        if (!s)
                return -EINVAL;

        len = strlen(s);
        if (len == 36)
                dashed = true;
        else if (len == 32)
                dashed = false;
        else
                return -EINVAL;

        for (size_t i = 0; i < sizeof(u.bytes); i++) {
                int hi, lo;

                /* dashes come before bytes 4, 6, 8 and 10 */
                if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
                        if (s[pos] != '-')
                                return -EINVAL;
                        pos++;
                }

                hi = uuid_hex_value(s[pos]);
                lo = uuid_hex_value(s[pos + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                u.bytes[i] = (uint8_t) ((hi << 4) | lo);
                pos += 2;
        }

        assert(pos == len);
        *ret_uuid = u;
        return 0;
}

/*
 * Write @uuid into @buf in lowercase dashed form and return @buf, so the call can sit in a
 * printf argument list. The caller owns @buf (VK_UUID_STRING_MAX bytes).
 */
const char *vk_uuid_format(const VkUuid *uuid, char buf[static VK_UUID_STRING_MAX]) {
        static const char hex[] = "0123456789abcdef";
        size_t pos = 0;

        assert(uuid);
        assert(buf);

        for (size_t i = 0; i < sizeof(uuid->bytes); i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        buf[pos++] = '-';
                buf[pos++] = hex[uuid->bytes[i] >> 4];
                buf[pos++] = hex[uuid->bytes[i] & 0x0f];
        }
        buf[pos] = '\0';
        return buf;
}

/* True if every byte of @uuid is zero (the "unset" UUID). */
bool vk_uuid_is_null(const VkUuid *uuid) {
        assert(uuid);

        for (size_t i = 0; i < sizeof(uuid->bytes); i++)
                if (uuid->bytes[i] != 0)
                        return false;
        return true;
}

/* True if @a and @b hold the same 16 bytes. */
bool vk_uuid_equal(const VkUuid *a, const VkUuid *b) {
        assert(a);
        assert(b);

        return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}
