/* The console of `pcctl up`: `[name\t] line` output, colours, and never blocking on a full pipe. */
#include <fcntl.h>

#include <systemd/sd-event.h>

#include "core/console.h"
#include "tests.h"

static size_t read_all(int fd, char *buf, size_t size) {
        size_t n = 0;
        for (;;) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return n;
}

TEST(name_color_fnv32a) {
        /* FNV-32a("web") = 0x0d5a4e4b ... the rule: 90 + hash % 7 */
        uint32_t h = 2166136261u;
        for (const char *s = "web"; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 16777619u;
        }
        ASSERT_EQ(console_name_color("web"), 90 + (int) (h % 7));
        for (const char *n = "a"; *n; n++)
                ASSERT_TRUE(console_name_color(n) >= 90 && console_name_color(n) <= 96);
        ASSERT_EQ(console_name_color("same"), console_name_color("same"));
}

TEST(plain_lines) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Console *c = NULL;
        int pipefd[2];
        char buf[4096];

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pipe2(pipefd, O_CLOEXEC));
        ASSERT_OK(console_new(e, pipefd[1], false, false, &c));
        console_log_line(c, "web", "hello", 5, LOG_STREAM_STDOUT);
        console_log_line(c, "db", "oops\n", 5, LOG_STREAM_STDERR);
        console_log_line(c, "web", "\n", 1, LOG_STREAM_PCCTL);     /* the restart marker */
        console_set_status(c, "ignored without status mode");
        console_drain(c, USEC_PER_SEC);
        c = console_free(c);
        close(pipefd[1]);
        read_all(pipefd[0], buf, sizeof(buf));
        close(pipefd[0]);
        ASSERT_TRUE(streq(buf, "[web\t] hello\n[db\t] oops\n[web\t] \n"));
}

TEST(colored_lines_and_status) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Console *c = NULL;
        int pipefd[2];
        char buf[4096], expect[256];

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pipe2(pipefd, O_CLOEXEC));
        ASSERT_OK(console_new(e, pipefd[1], true, true, &c));
        console_set_status(c, "STATUS");
        console_log_line(c, "db", "err", 3, LOG_STREAM_STDERR);
        console_drain(c, USEC_PER_SEC);
        c = console_free(c);
        close(pipefd[1]);
        read_all(pipefd[0], buf, sizeof(buf));
        close(pipefd[0]);
        snprintf(expect, sizeof(expect), "STATUS\r\033[K\033[1;%dm[db\t]\033[0m \033[31merr\033[0m\nSTATUS\r\033[K",
                 console_name_color("db"));
        ASSERT_TRUE(streq(buf, expect));
}

TEST(lines_of_one_iteration_go_out_in_one_write) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Console *c = NULL;
        int pipefd[2];
        char buf[8192];
        size_t n;

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));
        ASSERT_OK(console_new(e, pipefd[1], false, false, &c));
        for (unsigned i = 0; i < 100; i++) {
                char line[32];
                int k = snprintf(line, sizeof(line), "line-%03u", i);
                console_log_line(c, "web", line, k, LOG_STREAM_STDOUT);
        }
        /* nothing written while the loop has not run */
        ASSERT_EQ(read_all(pipefd[0], buf, sizeof(buf)), 0u);
        ASSERT_OK(sd_event_run(e, 0));
        n = read_all(pipefd[0], buf, sizeof(buf));
        ASSERT_EQ(n, 100u * strlen("[web\t] line-000\n"));
        ASSERT_TRUE(strncmp(buf, "[web\t] line-000\n[web\t] line-001\n", 32) == 0);
        ASSERT_TRUE(strstr(buf, "[web\t] line-099\n") == buf + n - 16);
        /* what is buffered when the console is freed still goes out */
        console_log_line(c, "db", "last", 4, LOG_STREAM_STDOUT);
        c = console_free(c);
        n = read_all(pipefd[0], buf, sizeof(buf));
        ASSERT_TRUE(streq(buf, "[db\t] last\n"));
        close(pipefd[0]);
        close(pipefd[1]);
}

TEST(full_pipe_never_blocks) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Console *c = NULL;
        int pipefd[2];
        char line[1024];
        usec_t t0;

        memset(line, 'x', sizeof(line));
        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pipe2(pipefd, O_CLOEXEC));
        ASSERT_OK(console_new(e, pipefd[1], false, false, &c));
        t0 = now_usec(CLOCK_MONOTONIC);
        /* 8 MiB into a 64 KiB pipe nobody reads, buffer capped at 4 MiB: lines are dropped, not waited for */
        for (unsigned i = 0; i < 8192; i++)
                console_log_line(c, "flood", line, sizeof(line), LOG_STREAM_STDOUT);
        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) - t0 < 5 * USEC_PER_SEC);
        ASSERT_TRUE(console_dropped(c) > 0);
        ASSERT_TRUE(console_dropped(c) < 8192);
        c = console_free(c);
        /* the flags of the fd were restored */
        ASSERT_FALSE(fcntl(pipefd[1], F_GETFL) & O_NONBLOCK);
        close(pipefd[0]);
        close(pipefd[1]);
}

DEFINE_TEST_MAIN();
