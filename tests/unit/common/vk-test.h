/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vk-test.h: small helpers shared by the cmocka unit tests */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <systemd/sd-event.h>

/* Run @e until *@flag becomes true or @timeout_ms passes; fails the test on timeout. */
#define VK_RUN_UNTIL(e, cond, timeout_ms)                                                          \
        do {                                                                                       \
                for (int _i = 0; !(cond); _i++) {                                                  \
                        if (_i > (timeout_ms))                                                     \
                                fail_msg("timed out waiting for: %s", #cond);                      \
                        (void) sd_event_run((e), 1000);                                            \
                }                                                                                  \
        } while (0)
