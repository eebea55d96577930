/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-child.c: child processes on the event loop, with real processes */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "macro.h"
#include "sd-glue.h"

typedef struct Result {
        bool done;
        VkChildExit exit;
        char *out;
        char *err;
        bool out_truncated;
        size_t out_size;
        bool free_in_callback;
        VkChild **owner;
} Result;

static void result_done(Result *r) {
        g_free(r->out);
        g_free(r->err);
}

static void on_exit_cb(VkChild *c, const VkChildExit *ex, void *userdata) {
        Result *r = userdata;
        const char *s;

        r->done = true;
        r->exit = *ex;
        s = vk_child_get_output(c, VK_CHILD_STDOUT, &r->out_size);
        r->out = g_strdup(s);
        s = vk_child_get_output(c, VK_CHILD_STDERR, NULL);
        r->err = g_strdup(s);
        r->out_truncated = vk_child_output_truncated(c, VK_CHILD_STDOUT);
        if (r->free_in_callback)
                *r->owner = vk_child_free(*r->owner);
}

/* Run the loop until *@flag or @usec passed; returns whether *@flag got set. */
static bool run_until(sd_event *e, bool *flag, uint64_t usec) {
        uint64_t start, now;

        assert_true(sd_event_now(e, CLOCK_MONOTONIC, &start) >= 0);
        while (!*flag) {
                assert_true(sd_event_run(e, 50 * 1000) >= 0);
                assert_true(sd_event_now(e, CLOCK_MONOTONIC, &now) >= 0);
                if (now - start > usec)
                        break;
        }
        return *flag;
}

static sd_event *new_event(void) {
        sd_event *e = NULL;
        assert_int_equal(sd_event_new(&e), 0);
        return e;
}

static void spawn_and_wait(const char *const *argv, const VkChildOptions *opts, Result *res) {
        g_autoptr(sd_event) e = new_event();
        g_autoptr(VkChild) c = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_child_spawn(e, argv, opts, on_exit_cb, res, &c, &err), 0);
        assert_true(vk_child_get_pid(c) > 0);
        assert_true(vk_child_is_running(c));
        /* never from inside the starting call */
        assert_false(res->done);
        assert_true(run_until(e, &res->done, 10 * 1000 * 1000));
        assert_false(vk_child_is_running(c));
}

static void test_true(void **state) {
        Result res = {};

        spawn_and_wait(VK_STRV("/bin/true"), NULL, &res);
        assert_int_equal(res.exit.code, CLD_EXITED);
        assert_int_equal(res.exit.status, 0);
        assert_false(res.exit.timed_out);
        assert_null(res.out);
        result_done(&res);
}

static void test_capture_and_status(void **state) {
        VkChildOptions o = { .flags = VK_CHILD_CAPTURE_STDOUT | VK_CHILD_CAPTURE_STDERR };
        Result res = {};

        spawn_and_wait(VK_STRV("/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"), &o, &res);
        assert_int_equal(res.exit.code, CLD_EXITED);
        assert_int_equal(res.exit.status, 3);
        assert_string_equal(res.out, "hello\n");
        assert_string_equal(res.err, "oops\n");
        result_done(&res);
}

static void test_capture_limit(void **state) {
        VkChildOptions o = { .flags = VK_CHILD_CAPTURE_STDOUT, .capture_max = 1000 };
        Result res = {};

        /* 200 kB is more than a pipe holds: the child only finishes if we keep reading */
        spawn_and_wait(VK_STRV("/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x"), &o, &res);
        assert_int_equal(res.exit.status, 0);
        assert_int_equal(res.out_size, 1000);
        assert_true(res.out_truncated);
        result_done(&res);
}

static void test_timeout_term(void **state) {
        VkChildOptions o = { .timeout_usec = 100 * 1000 };
        Result res = {};

        spawn_and_wait(VK_STRV("/bin/sleep", "30"), &o, &res);
        assert_int_equal(res.exit.code, CLD_KILLED);
        assert_int_equal(res.exit.status, SIGTERM);
        assert_true(res.exit.timed_out);
        result_done(&res);
}

static void test_timeout_kill(void **state) {
        VkChildOptions o = { .timeout_usec = 50 * 1000, .kill_grace_usec = 100 * 1000 };
        Result res = {};

        spawn_and_wait(VK_STRV("/bin/sh", "-c", "trap '' TERM; exec sleep 30"), &o, &res);
        assert_int_equal(res.exit.code, CLD_KILLED);
        assert_int_equal(res.exit.status, SIGKILL);
        assert_true(res.exit.timed_out);
        result_done(&res);
}

static void test_env_clean(void **state) {
        VkChildOptions o = { .flags = VK_CHILD_CAPTURE_STDOUT };
        Result res = {};

        assert_int_equal(setenv("VK_TEST_LEAK", "1", 1), 0);
        spawn_and_wait(VK_STRV("/usr/bin/env"), &o, &res);
        assert_string_equal(res.out, "");
        result_done(&res);

        res = (Result){};
        o.env = VK_STRV("FOO=bar", "LANG=C");
        spawn_and_wait(VK_STRV("/usr/bin/env"), &o, &res);
        assert_string_equal(res.out, "FOO=bar\nLANG=C\n");
        result_done(&res);
}

static void test_signals_reset(void **state) {
        VkChildOptions o = { .flags = VK_CHILD_CAPTURE_STDOUT };
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        Result res = {};

        /* we block SIGCHLD and ignore SIGPIPE; the child must see neither */
        assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
        spawn_and_wait(VK_STRV("/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"), &o, &res);
        assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
        assert_string_equal(res.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
        result_done(&res);
}

static void test_fds(void **state) {
        int p[2];
        vk_autofd leak = -1;
        vk_autofd rd = -1;
        vk_autofd wr = -1;
        char buf[64] = {};
        Result res = {};

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        rd = p[0];
        wr = p[1];
        /* deliberately without O_CLOEXEC: must not reach the child anyway */
        leak = open("/dev/null", O_RDONLY);
        assert_true(leak >= 0);

        VkChildFd fds[] = { { wr, 7 }, { rd, 3 } };
        VkChildOptions o = {
                .flags = VK_CHILD_CAPTURE_STDOUT,
                .fds = fds,
                .n_fds = 2,
        };
        spawn_and_wait(VK_STRV("/bin/sh", "-c", "echo passed >&7; ls /proc/$$/fd"), &o, &res);
        assert_int_equal(res.exit.status, 0);
        assert_string_equal(res.out, "0\n1\n2\n3\n7\n");
        assert_int_equal(read(rd, buf, sizeof(buf) - 1), 7);
        assert_string_equal(buf, "passed\n");
        result_done(&res);

        /* a target given twice is refused */
        VkChildFd dup_fds[] = { { wr, 5 }, { rd, 5 } };
        VkChildOptions bad = { .fds = dup_fds, .n_fds = 2 };
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        VkChild *c = NULL;
        assert_int_equal(vk_child_spawn(e, VK_STRV("/bin/true"), &bad, on_exit_cb, &res, &c, &err),
                         -EINVAL);
        assert_null(c);
}

static void test_stdout_to_fd_and_cwd(void **state) {
        g_autofree char *path = g_build_filename(g_get_tmp_dir(), "vk-test-child-XXXXXX", NULL);
        g_autofree char *text = NULL;
        vk_autofd fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
        Result res = {};

        assert_true(fd >= 0);
        VkChildOptions o = {
                .flags = VK_CHILD_STDOUT_TO_FD | VK_CHILD_NEW_SESSION,
                .stdout_fd = fd,
                .working_directory = "/proc",
        };
        spawn_and_wait(VK_STRV("/bin/sh", "-c", "pwd; echo $$"), &o, &res);
        assert_int_equal(res.exit.status, 0);
        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        assert_true(g_str_has_prefix(text, "/proc\n"));
        (void) unlink(path);
        result_done(&res);
}

static void test_exec_failure(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        VkChild *c = NULL;
        Result res = {};

        assert_int_equal(vk_child_spawn(e, VK_STRV("/nonexistent/program"), NULL, on_exit_cb, &res,
                                        &c, &err),
                         -ENOENT);
        assert_null(c);
        assert_true(vk_error_is_set(&err));
        assert_non_null(strstr(err.message, "execve"));
        /* nothing left to reap */
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_free_running(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        VkChild *c = NULL;
        Result res = {};
        pid_t pid;

        assert_int_equal(
                vk_child_spawn(e, VK_STRV("/bin/sleep", "30"), NULL, on_exit_cb, &res, &c, &err),
                0);
        pid = vk_child_get_pid(c);
        c = vk_child_free(c);
        assert_null(c);

        /* killed, and reaped by the loop without a waitpid() of ours */
        for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
                assert_true(sd_event_run(e, 20 * 1000) >= 0);
        assert_int_equal(kill(pid, 0), -1);
        assert_int_equal(errno, ESRCH);
        assert_false(res.done);
}

static void test_free_in_callback(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        VkChild *c = NULL;
        Result res = { .free_in_callback = true, .owner = &c };

        assert_int_equal(vk_child_spawn(e, VK_STRV("/bin/true"), NULL, on_exit_cb, &res, &c, &err),
                         0);
        assert_true(run_until(e, &res.done, 5 * 1000 * 1000));
        assert_null(c);
        result_done(&res);
}

typedef struct WatchResult {
        bool done;
        bool known;
        VkChildExit exit;
} WatchResult;

static void on_watch(VkPidfdWatch *w, const VkChildExit *ex, void *userdata) {
        WatchResult *r = userdata;
        r->done = true;
        r->known = ex;
        if (ex)
                r->exit = *ex;
}

static void test_detach_and_pidfd_watch(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkPidfdWatch) w = NULL;
        VkChild *c = NULL;
        Result res = {};
        WatchResult wr = {};
        pid_t pid;

        assert_int_equal(vk_child_spawn(e, VK_STRV("/bin/sh", "-c", "sleep 0.2; exit 4"), NULL,
                                        on_exit_cb, &res, &c, &err),
                         0);
        pid = vk_child_get_pid(c);
        assert_int_equal(vk_child_detach(c), 0);
        c = vk_child_free(c);
        assert_int_equal(kill(pid, 0), 0); /* still running */

        assert_int_equal(vk_pidfd_watch(e, pid, on_watch, &wr, &w, &err), 0);
        assert_int_equal(vk_pidfd_watch_get_pid(w), pid);
        assert_true(run_until(e, &wr.done, 5 * 1000 * 1000));
        /* it was still our child: reaped, with its status */
        assert_true(wr.known);
        assert_int_equal(wr.exit.code, CLD_EXITED);
        assert_int_equal(wr.exit.status, 4);
        assert_false(res.done);

        /* no such process */
        w = vk_pidfd_watch_free(w);
        vk_error_done(&err);
        assert_int_equal(vk_pidfd_watch(e, pid, on_watch, &wr, &w, &err), -ESRCH);
}

static void test_kill(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkChild) c = NULL;
        Result res = {};

        assert_int_equal(
                vk_child_spawn(e, VK_STRV("/bin/sleep", "30"), NULL, on_exit_cb, &res, &c, &err),
                0);
        assert_true(vk_child_get_pidfd(c) >= 0);
        assert_int_equal(vk_child_kill(c, SIGINT), 0);
        assert_true(run_until(e, &res.done, 5 * 1000 * 1000));
        assert_int_equal(res.exit.code, CLD_KILLED);
        assert_int_equal(res.exit.status, SIGINT);
        assert_int_equal(vk_child_kill(c, SIGINT), -ESRCH);
        result_done(&res);
}

static void test_sigchld_not_blocked(void **state) {
        g_autoptr(sd_event) e = new_event();
        g_auto(VkError) err = VK_ERROR_INIT;
        sigset_t ss, old;
        VkChild *c = NULL;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_UNBLOCK, &ss, &old), 0);
        assert_int_equal(vk_child_spawn(e, VK_STRV("/bin/true"), NULL, NULL, NULL, &c, &err),
                         -EBUSY);
        assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
        assert_null(c);
}

/*
 * A parent (forked here) spawns `sleep 30` with @flags and dies at once; we are the subreaper
 * its orphan goes to. Returns the orphan's wait status, or -1 when it still ran after 300 ms
 * (then it is killed and reaped).
 */
static int orphan_fate(VkChildFlags flags) {
        int pfd[2], status = 0;
        pid_t mid, pid = 0;

        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        assert_int_equal(pipe(pfd), 0);
        mid = fork();
        assert_true(mid >= 0);
        if (mid == 0) {
                VkChildOptions o = { .flags = flags };
                sd_event *e = NULL;
                VkChild *c = NULL;

                if (sd_event_new(&e) < 0 ||
                    vk_child_spawn(e, VK_STRV("/bin/sleep", "30"), &o, NULL, NULL, &c, NULL) < 0)
                        _exit(1);
                pid = vk_child_get_pid(c);
                _exit(write(pfd[1], &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
        }
        (void) close(pfd[1]);
        assert_int_equal(read(pfd[0], &pid, sizeof(pid)), sizeof(pid));
        (void) close(pfd[0]);
        assert_int_equal(waitpid(mid, &status, 0), mid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        for (int i = 0; i < 30; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return status;
                usleep(10 * 1000);
        }
        (void) kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return -1;
}

static void test_dies_with_parent(void **state) {
        int status = orphan_fate(/* flags= */ 0);

        assert_true(status != -1 && WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_outlive_parent(void **state) {
        assert_int_equal(orphan_fate(VK_CHILD_OUTLIVE_PARENT), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_true),
                cmocka_unit_test(test_capture_and_status),
                cmocka_unit_test(test_capture_limit),
                cmocka_unit_test(test_timeout_term),
                cmocka_unit_test(test_timeout_kill),
                cmocka_unit_test(test_env_clean),
                cmocka_unit_test(test_signals_reset),
                cmocka_unit_test(test_fds),
                cmocka_unit_test(test_stdout_to_fd_and_cwd),
                cmocka_unit_test(test_exec_failure),
                cmocka_unit_test(test_free_running),
                cmocka_unit_test(test_free_in_callback),
                cmocka_unit_test(test_detach_and_pidfd_watch),
                cmocka_unit_test(test_kill),
                cmocka_unit_test(test_sigchld_not_blocked),
                cmocka_unit_test(test_dies_with_parent),
                cmocka_unit_test(test_outlive_parent),
        };
        sigset_t ss;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return EXIT_FAILURE;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
