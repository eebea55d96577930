/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.c: logging to the journal (structured) or to stderr */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "macro.h"

static int log_max_level = LOG_INFO;
static bool log_journal;
static char log_ident[64] = "virtkit";

static const char *const log_level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* True when stderr is the journal stream systemd gave us (JOURNAL_STREAM=dev:ino). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

/* Choose the log target. Call once at start, before anything logs. Not thread-safe. */
void vk_log_open(const char *ident) {
        const char *lvl;

        if (ident)
                g_strlcpy(log_ident, ident, sizeof(log_ident));
        log_journal = stderr_is_journal();
        lvl = getenv("VIRTKIT_LOG_LEVEL");
        if (lvl && vk_log_level_from_string(lvl) >= 0)
                log_max_level = vk_log_level_from_string(lvl);
}

void vk_log_set_max_level(int level) {
        if (level >= LOG_EMERG && level <= LOG_DEBUG)
                log_max_level = level;
}

int vk_log_get_max_level(void) {
        return log_max_level;
}

bool vk_log_to_journal(void) {
        return log_journal;
}

int vk_log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < VK_ELEMENTSOF(log_level_names); i++)
                if (strcmp(s, log_level_names[i]) == 0)
                        return (int) i;
        if (strcmp(s, "error") == 0)
                return LOG_ERR;
        return -EINVAL;
}

const char *vk_log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= VK_ELEMENTSOF(log_level_names))
                return NULL;
        return log_level_names[level];
}

static void log_to_journal(int level, int error, const char *const *fields, const char *file,
                           int line, const char *func, const char *msg) {
        g_autoptr(GPtrArray) strs = g_ptr_array_new_with_free_func(g_free);
        size_t n = 0;

        g_ptr_array_add(strs, g_strdup_printf("MESSAGE=%s", msg));
        g_ptr_array_add(strs, g_strdup_printf("PRIORITY=%d", level));
        g_ptr_array_add(strs, g_strdup_printf("SYSLOG_IDENTIFIER=%s", log_ident));
        g_ptr_array_add(strs, g_strdup_printf("CODE_FILE=%s", file));
        g_ptr_array_add(strs, g_strdup_printf("CODE_LINE=%d", line));
        g_ptr_array_add(strs, g_strdup_printf("CODE_FUNC=%s", func));
        if (error != 0)
                g_ptr_array_add(strs, g_strdup_printf("ERRNO=%d", error < 0 ? -error : error));
        for (const char *const *f = fields; f && *f; f++)
                g_ptr_array_add(strs, g_strdup(*f));

        n = strs->len;
        struct iovec iov[n];
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec){ .iov_base = strs->pdata[i],
                                         .iov_len = strlen(strs->pdata[i]) };
        (void) sd_journal_sendv(iov, (int) n);
}

int vk_log_internal(int level, int error, const char *const *fields, const char *file, int line,
                    const char *func, const char *fmt, ...) {
        int saved = errno;
        int ret = error == 0 ? 0 : -(error < 0 ? -error : error);
        char *msg = NULL;
        va_list ap;

        if (level > log_max_level) {
                errno = saved;
                return ret;
        }

        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        /* vasprintf() rather than GLib's printf: "%m" must expand to strerror(errno) */
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg) {
                errno = saved;
                return ret;
        }

        if (log_journal)
                log_to_journal(level, error, fields, file, line, func, msg);
        else
                fprintf(stderr, "%s[%d]: %s\n", log_ident, (int) getpid(), msg);

        free(msg);
        errno = saved;
        return ret;
}
