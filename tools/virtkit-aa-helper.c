/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit-aa-helper.c: write, load and remove the AppArmor profile of one VM (runs as root) */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "atomic-file.h"
#include "child.h"
#include "macro.h"
#include "sd-glue.h"
#include "security-apparmor-profile.h"
#include "uuid.h"

/*
 * virtkit-qemud runs this as a child (vk_security_manager_load_profile()):
 *
 *   virtkit-aa-helper load   --uuid UUID --rules-fd 3   [--dir D] [--template F] [--parser P]
 *   virtkit-aa-helper remove --uuid UUID                [--dir D] [--parser P]
 *   virtkit-aa-helper render --uuid UUID --template F [--rules-fd N]   (to stdout, no root)
 *
 * load writes D/virtkit-UUID.files from the rules (one "PERMS PATH" a line, see
 * security-apparmor-profile.h) and, once, D/virtkit-UUID from the template, both atomically,
 * then runs `apparmor_parser -r -I <parent of D>` on it. An existing profile file is kept: the
 * administrator may have tuned it; only .files is regenerated. remove runs
 * `apparmor_parser -R` and deletes both files. It trusts nothing it is given: the UUID is
 * parsed and formatted again, every rule line is validated (absolute canonical paths, no
 * policy or LSM files), and sizes are bounded.
 */

#define DEFAULT_DIR    VK_SYSCONFDIR "/apparmor.d/virtkit"
#define TEMPLATE_NAME  "TEMPLATE.qemu"
#define PARSER_TIMEOUT (120ULL * 1000 * 1000)

static const char *const parser_candidates[] = {
        "/usr/sbin/apparmor_parser",
        "/sbin/apparmor_parser",
};

typedef struct Args {
        const char *verb;
        const char *uuid;
        const char *dir;
        const char *template_path;
        const char *parser;
        int rules_fd;
} Args;

static int die(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int die(const char *fmt, ...) {
        va_list ap;

        fputs("virtkit-aa-helper: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

static int read_fd(int fd, char **ret) {
        g_autoptr(GString) s = g_string_new(NULL);
        char buf[8192];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                if (s->len + n > VK_APPARMOR_RULES_SIZE_MAX)
                        return -E2BIG;
                g_string_append_len(s, buf, n);
        }
        if (memchr(s->str, 0, s->len))
                return -EBADMSG;
        *ret = g_string_free(g_steal_pointer(&s), false);
        return 0;
}

typedef struct ParserRun {
        bool done;
        VkChildExit exit;
} ParserRun;

static void parser_done(VkChild *child, const VkChildExit *exit, void *userdata) {
        ParserRun *run = userdata;

        run->exit = *exit;
        run->done = true;
}

/* Run the parser on @profile_path with @mode ("-r" or "-R"); its messages go to our stderr. */
static int run_parser(const Args *a, const char *mode, const char *profile_path) {
        g_autoptr(sd_event) e = NULL;
        g_autoptr(VkChild) child = NULL;
        g_autofree char *base = g_path_get_dirname(a->dir);
        g_auto(VkError) error = VK_ERROR_INIT;
        VkChildOptions opts = { .flags = VK_CHILD_STDERR_TO_FD | VK_CHILD_STDOUT_TO_FD,
                                .stdout_fd = STDERR_FILENO,
                                .stderr_fd = STDERR_FILENO,
                                .timeout_usec = PARSER_TIMEOUT };
        const char *parser = a->parser;
        ParserRun run = {};
        sigset_t mask;
        int r;

        for (size_t i = 0; !parser && i < VK_ELEMENTSOF(parser_candidates); i++)
                if (access(parser_candidates[i], X_OK) == 0)
                        parser = parser_candidates[i];
        if (!parser)
                return die("apparmor_parser not found");

        /* vk_child watches the parser through the loop, which needs SIGCHLD blocked */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_new(&e);
        if (r < 0)
                return die("sd_event_new: %s", g_strerror(-r));
        r = vk_child_spawn(e, VK_STRV(parser, mode, "-I", base, "--", profile_path), &opts,
                           parser_done, &run, &child, &error);
        if (r < 0)
                return die("%s", error.message);
        while (!run.done) {
                r = sd_event_run(e, UINT64_MAX);
                if (r < 0)
                        return die("event loop: %s", g_strerror(-r));
        }
        if (run.exit.code != CLD_EXITED || run.exit.status != 0)
                return die("%s %s '%s' failed%s", parser, mode, profile_path,
                           run.exit.timed_out ? " (timed out)" : "");
        return 0;
}

static int do_render(const Args *a, const char *name, char **ret_profile, char **ret_files) {
        g_autofree char *rules = NULL, *template_text = NULL, *files = NULL, *profile = NULL;
        g_autofree char *template_path = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        int r;

        if (a->rules_fd >= 0) {
                r = read_fd(a->rules_fd, &rules);
                if (r < 0)
                        return die("cannot read the rules: %s", g_strerror(-r));
        } else
                rules = g_strdup("");
        r = vk_apparmor_render_files(rules, name, &files, &error);
        if (r < 0)
                return die("%s", error.message);

        template_path = g_strdup(a->template_path ? a->template_path : NULL);
        if (!template_path)
                template_path = g_build_filename(a->dir, TEMPLATE_NAME, NULL);
        r = vk_file_read_all(template_path, 1024 * 1024, &template_text, NULL, &error);
        if (r < 0)
                return die("%s", error.message);
        r = vk_apparmor_render_profile(template_text, name, &profile, &error);
        if (r < 0)
                return die("%s: %s", template_path, error.message);
        *ret_profile = g_steal_pointer(&profile);
        *ret_files = g_steal_pointer(&files);
        return 0;
}

static int do_load(const Args *a, const char *name) {
        g_autofree char *profile = NULL, *files = NULL, *profile_path = NULL, *files_path = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        int r;

        r = do_render(a, name, &profile, &files);
        if (r != 0)
                return r;
        if (vk_mkdir_p(a->dir, 0755) < 0)
                return die("cannot create '%s': %s", a->dir, g_strerror(errno));
        profile_path = g_build_filename(a->dir, name, NULL);
        files_path = g_strconcat(profile_path, ".files", NULL);

        r = vk_atomic_file_write(files_path, files, strlen(files), 0644, &error);
        if (r < 0)
                return die("%s", error.message);
        if (access(profile_path, F_OK) < 0) {
                r = vk_atomic_file_write(profile_path, profile, strlen(profile), 0644, &error);
                if (r < 0)
                        return die("%s", error.message);
        }
        return run_parser(a, "-r", profile_path);
}

static int do_remove(const Args *a, const char *name) {
        g_autofree char *profile_path = g_build_filename(a->dir, name, NULL);
        g_autofree char *files_path = g_strconcat(profile_path, ".files", NULL);
        int r = 0;

        if (access(profile_path, F_OK) == 0)
                r = run_parser(a, "-R", profile_path);
        /* the files go even if unloading failed: a later load starts from the template */
        (void) vk_file_remove(files_path);
        (void) vk_file_remove(profile_path);
        return r;
}

static void usage(void) {
        fputs("Usage: virtkit-aa-helper load|remove|render --uuid UUID [--rules-fd N]\n"
              "         [--dir DIR] [--template FILE] [--parser PATH]\n",
              stderr);
}

/* Entry point: see the comment at the top of this file. Exit status 0 on success, 1 on
 * failure (reason on stderr), 2 on a usage error. */
int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "uuid", required_argument, NULL, 'u' },
                { "rules-fd", required_argument, NULL, 'f' },
                { "dir", required_argument, NULL, 'd' },
                { "template", required_argument, NULL, 't' },
                { "parser", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        Args a = { .dir = DEFAULT_DIR, .rules_fd = -1 };
        g_autofree char *name = NULL;
        char buf[VK_UUID_STRING_MAX];
        VkUuid uuid;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        a.uuid = optarg;
                        break;
                case 'f': {
                        char *end;
                        long fd;

                        errno = 0;
                        fd = strtol(optarg, &end, 10);
                        if (errno != 0 || *end || fd < 0 || fd > 1024)
                                return die("invalid --rules-fd '%s'", optarg), 2;
                        a.rules_fd = (int) fd;
                        break;
                }
                case 'd':
                        a.dir = optarg;
                        break;
                case 't':
                        a.template_path = optarg;
                        break;
                case 'p':
                        a.parser = optarg;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        usage();
                        return 2;
                }
        }
        if (optind != argc - 1 || !a.uuid) {
                usage();
                return 2;
        }
        a.verb = argv[optind];
        if (a.dir[0] != '/' || (a.parser && a.parser[0] != '/') ||
            (a.template_path && a.template_path[0] != '/'))
                return die("--dir, --template and --parser take absolute paths"), 2;
        if (vk_uuid_parse(a.uuid, &uuid) < 0)
                return die("invalid UUID '%s'", a.uuid), 2;
        name = g_strconcat(VK_APPARMOR_PROFILE_PREFIX, vk_uuid_format(&uuid, buf), NULL);

        if (g_str_equal(a.verb, "load"))
                return do_load(&a, name);
        if (g_str_equal(a.verb, "remove"))
                return do_remove(&a, name);
        if (g_str_equal(a.verb, "render")) {
                g_autofree char *profile = NULL, *files = NULL;
                int r = do_render(&a, name, &profile, &files);
                if (r != 0)
                        return r;
                printf("%s\n%s", profile, files);
                return 0;
        }
        usage();
        return 2;
}
