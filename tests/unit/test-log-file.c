/* log_location files: process-compose's (zerolog's) JSON and console formats, Go time layouts, the writer on
 * an event loop (truncate, buffering, flush_each_line), and lumberjack-style rotation. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "journal/log-file.h"
#include "journal/logring.h"
#include "tests.h"

#define T0 (1714557723ull * USEC_PER_SEC + 45678)    /* 2024-05-01T10:02:03.045678Z */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void rm_tree(char **dir) {
        if (*dir)
                (void) nftw(*dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        *dir = mfree(*dir);
}

static void use_utc(void) {
        setenv("TZ", "UTC", 1);
        unsetenv("NO_COLOR");
        tzset();
}

static void check_time(const char *layout, const char *want) {
        char buf[128];

        go_time_format(buf, sizeof buf, layout, T0);
        if (!streq(buf, want))
                TEST_FAIL("layout \"%s\": \"%s\" != \"%s\"", layout, buf, want);
}

TEST(go_layouts) {
        use_utc();
        check_time("2006-01-02T15:04:05Z07:00", "2024-05-01T10:02:03Z");
        check_time("2006-01-02T15:04:05-07:00", "2024-05-01T10:02:03+00:00");
        check_time("3:04PM", "10:02AM");
        check_time("Jan _2 15:04:05.000", "May  1 10:02:03.045");
        check_time("15:04:05.999999999", "10:02:03.045678");
        check_time("15:04:05.000000", "10:02:03.045678");
        check_time("05.9", "03");
        check_time("Monday January 06 002 pm -0700 MST", "Wednesday May 24 122 am +0000 UTC");
        check_time("2006-01-02T15-04-05.000", "2024-05-01T10-02-03.045");
        check_time("1/2 3:4:5", "5/1 10:2:3");
        check_time("plain text", "plain text");

        setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
        tzset();
        check_time("2006-01-02T15:04:05Z07:00", "2024-05-01T12:02:03+02:00");
        check_time("-0700 -07 Z0700", "+0200 +02 +0200");
        use_utc();
}

static char *fmt(const LogFileConfig *cfg, const char *process, int replica, bool err, const char *msg,
                 size_t len) {
        Buffer b = {};
        size_t n;
        char *s;

        ASSERT_OK(log_file_format_line(cfg, &b, process, replica, err, msg, len, T0));
        s = buffer_steal(&b, &n);
        ASSERT_UEQ(strlen(s), n);
        return s;
}

#define CHECK_FMT(cfg, process, replica, err, msg, want)                                          \
        do {                                                                                      \
                _cleanup_free_ char *_s_ = fmt(cfg, process, replica, err, msg, strlen(msg));      \
                if (!streq(_s_, want))                                                            \
                        TEST_FAIL("got  %s\nwant %s", _s_, want);                                 \
        } while (0)

TEST(json_format) {
        LogFileConfig cfg = {};
        _cleanup_free_ char *bin = NULL;

        use_utc();
        CHECK_FMT(&cfg, "web", 0, false, "hello", "{\"level\":\"info\",\"process\":\"web\",\"replica\":0,\"message\":\"hello\"}\n");
        CHECK_FMT(&cfg, "web-1", 1, true, "bad", "{\"level\":\"error\",\"process\":\"web-1\",\"replica\":1,\"message\":\"bad\"}\n");
        /* zerolog omits an empty message */
        CHECK_FMT(&cfg, "web", 0, false, "", "{\"level\":\"info\",\"process\":\"web\",\"replica\":0}\n");
        CHECK_FMT(&cfg, "w", 0, false, "q\"b\\s\tn\nr\r\x01\x7f é",
                  "{\"level\":\"info\",\"process\":\"w\",\"replica\":0,\"message\":\"q\\\"b\\\\s\\tn\\nr\\r\\u0001\x7f é\"}\n");
        /* invalid UTF-8 and a NUL */
        bin = fmt(&cfg, "w", 0, false, "a\xff\0b", 4);
        ASSERT_STREQ(bin, "{\"level\":\"info\",\"process\":\"w\",\"replica\":0,\"message\":\"a\\ufffd\\u0000b\"}\n");

        cfg.no_metadata = true;
        CHECK_FMT(&cfg, "web", 0, false, "x", "{\"level\":\"info\",\"message\":\"x\"}\n");
        cfg.add_timestamp = true;
        CHECK_FMT(&cfg, "web", 0, false, "x", "{\"level\":\"info\",\"time\":\"2024-05-01T10:02:03Z\",\"message\":\"x\"}\n");
        cfg.no_metadata = false;
        cfg.timestamp_format = "2006-01-02 15:04:05.000";
        CHECK_FMT(&cfg, "web", 2, true, "x",
                  "{\"level\":\"error\",\"process\":\"web\",\"replica\":2,\"time\":\"2024-05-01 10:02:03.045\",\"message\":\"x\"}\n");
}

TEST(console_format) {
        LogFileConfig cfg = { .disable_json = true, .no_color = true };
        char *order[] = { (char *) "level", (char *) "process", (char *) "message", NULL };

        use_utc();
        CHECK_FMT(&cfg, "web", 0, false, "hello world", "<nil> INF hello world process=web replica=0\n");
        CHECK_FMT(&cfg, "web", 0, true, "oops", "<nil> ERR oops process=web replica=0\n");
        CHECK_FMT(&cfg, "web", 0, false, "", "<nil> INF process=web replica=0\n");
        CHECK_FMT(&cfg, "my web", 3, false, "m", "<nil> INF m process=\"my web\" replica=3\n");
        cfg.add_timestamp = true;
        CHECK_FMT(&cfg, "web", 0, false, "t", "10:02AM INF t process=web replica=0\n");
        cfg.timestamp_format = "15:04:05.000";
        CHECK_FMT(&cfg, "web", 0, false, "t", "10:02:03.045 INF t process=web replica=0\n");
        cfg.no_metadata = true;
        CHECK_FMT(&cfg, "web", 0, false, "t", "10:02:03.045 INF t\n");
        cfg.no_metadata = false;
        cfg.fields_order = order;
        CHECK_FMT(&cfg, "web", 0, false, "t", "INF web t process=web replica=0\n");
        cfg.fields_order = NULL;

        cfg.no_color = false;
        cfg.add_timestamp = false;
        CHECK_FMT(&cfg, "web", 0, false, "hi",
                  "\x1b[90m<nil>\x1b[0m \x1b[32mINF\x1b[0m \x1b[1mhi\x1b[0m \x1b[36mprocess=\x1b[0mweb \x1b[36mreplica=\x1b[0m0\n");
        CHECK_FMT(&cfg, "web", 0, true, "hi",
                  "\x1b[90m<nil>\x1b[0m \x1b[31mERR\x1b[0m \x1b[1mhi\x1b[0m \x1b[36mprocess=\x1b[0mweb \x1b[36mreplica=\x1b[0m0\n");
        setenv("NO_COLOR", "1", 1);
        CHECK_FMT(&cfg, "web", 0, false, "hi", "<nil> INF hi process=web replica=0\n");
        unsetenv("NO_COLOR");
}

static char *read_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = calloc(1, (size_t) n + 1);
        ASSERT_NOT_NULL(buf);
        ASSERT_UEQ(fread(buf, 1, (size_t) n, f), (size_t) n);
        return buf;
}

static void run_loop(sd_event *e, usec_t d) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + d;

        while (now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_OK(sd_event_run(e, 10 * USEC_PER_MSEC));
}

static void add(LogRing *r, const char *m, LogStream s) {
        ASSERT_OK(log_ring_append(r, m, strlen(m), T0, s == LOG_STREAM_STDERR ? 3 : 6, s, 1, NULL));
}

TEST(writer) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(log_ring_freep) LogRing *a = log_ring_new(2, 0), *b = log_ring_new(10, 0);
        _cleanup_(rm_tree) char *dir = test_tmpdir();
        _cleanup_free_ char *path = NULL, *content = NULL;
        LogFileConfig cfg = {};
        LogFile *f = NULL;
        LogFileStats st;
        FILE *old;

        use_utc();
        ASSERT_OK(sd_event_new(&e));
        ASSERT_TRUE(asprintf(&path, "%s/sub/dir/pc.log", dir) > 0);

        /* opening truncates what an earlier run left, and creates the directories */
        ASSERT_OK(log_file_open(e, path, &cfg, &f));
        f = log_file_close(f);
        old = fopen(path, "we");
        fputs("old run\n", old);
        fclose(old);
        ASSERT_OK(log_file_open(e, path, &cfg, &f));
        ASSERT_OK(log_file_attach(f, a, "web", 0));
        ASSERT_OK(log_file_attach(f, b, "db", 1));

        add(a, "one", LOG_STREAM_STDOUT);
        add(a, "two", LOG_STREAM_STDERR);
        add(a, "-- restart --", LOG_STREAM_PCCTL);       /* pcctl's own lines stay out of the file */
        add(a, "three", LOG_STREAM_STDOUT);               /* overruns ring a (2 lines): still written */
        add(b, "dbline", LOG_STREAM_STDOUT);
        /* buffered: nothing written before the flush timer */
        content = read_file(path);
        ASSERT_STREQ(content, "");
        content = mfree(content);
        run_loop(e, 1300 * USEC_PER_MSEC);
        content = read_file(path);
        ASSERT_STREQ(content,
                     "{\"level\":\"info\",\"process\":\"web\",\"replica\":0,\"message\":\"one\"}\n"
                     "{\"level\":\"error\",\"process\":\"web\",\"replica\":0,\"message\":\"two\"}\n"
                     "{\"level\":\"info\",\"process\":\"web\",\"replica\":0,\"message\":\"three\"}\n"
                     "{\"level\":\"info\",\"process\":\"db\",\"replica\":1,\"message\":\"dbline\"}\n");
        content = mfree(content);
        log_file_get_stats(f, &st);
        ASSERT_UEQ(st.lines, 4);
        ASSERT_UEQ(st.missed, 0);

        ASSERT_OK(log_file_detach(f, b));
        ASSERT_ERROR(log_file_detach(f, b), ENOENT);
        add(b, "not written", LOG_STREAM_STDOUT);
        add(a, "last", LOG_STREAM_STDOUT);
        f = log_file_close(f);      /* flushes */
        content = read_file(path);
        ASSERT_TRUE(endswith(content, "\"message\":\"last\"}\n"));
        ASSERT_NULL(strstr(content, "not written"));
        content = mfree(content);

        /* flush_each_line: written on the next loop iteration */
        cfg.flush_each_line = true;
        cfg.disable_json = true;
        cfg.no_color = true;
        ASSERT_OK(log_file_open(e, path, &cfg, &f));
        ASSERT_OK(log_file_attach(f, a, "web", 0));
        add(a, "ready now", LOG_STREAM_STDOUT);
        ASSERT_OK(sd_event_run(e, 0));
        content = read_file(path);
        ASSERT_STREQ(content, "<nil> INF ready now process=web replica=0\n");
        f = log_file_close(f);
}

static size_t count_files(const char *dir, const char *suffix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (startswith(de->d_name, "app-") && endswith(de->d_name, suffix))
                        n++;
        closedir(d);
        return n;
}

TEST(rotation) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(10, 0);
        _cleanup_(rm_tree) char *dir = test_tmpdir();
        _cleanup_free_ char *path = NULL;
        LogFileConfig cfg = { .rotate = true, .max_size_mb = 1, .max_backups = 2, .compress = true,
                              .no_metadata = true };
        LogFile *f = NULL;
        LogFileStats st;
        char line[1000];
        struct stat s;

        use_utc();
        ASSERT_OK(sd_event_new(&e));
        ASSERT_TRUE(asprintf(&path, "%s/app.log", dir) > 0);
        memset(line, 'x', sizeof line - 1);
        line[sizeof line - 1] = 0;

        ASSERT_OK(log_file_open(e, path, &cfg, &f));
        ASSERT_OK(log_file_attach(f, r, "w", 0));
        /* ~1.03 KB per line: 1100 lines make one rotation, 3300 make three */
        for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 1100; i++)
                        add(r, line, LOG_STREAM_STDOUT);
                run_loop(e, 50 * USEC_PER_MSEC);
                usleep(2000);       /* distinct backup time stamps (ms resolution) */
        }
        f = log_file_close(f);      /* finishes compression */
        ASSERT_OK(stat(path, &s));
        ASSERT_TRUE(s.st_size > 0 && s.st_size <= 1024 * 1024);
        ASSERT_UEQ(count_files(dir, ".log.gz"), 2);       /* max_backups */
        ASSERT_UEQ(count_files(dir, ".log"), 0);          /* every backup was compressed */

        /* with rotation, an existing file is appended to */
        ASSERT_OK(log_file_open(e, path, &cfg, &f));
        ASSERT_OK(log_file_attach(f, r, "w", 0));
        add(r, "appended", LOG_STREAM_STDOUT);
        log_file_get_stats(f, &st);
        ASSERT_UEQ(st.rotations, 0);
        f = log_file_close(f);
        {
                struct stat s2;
                ASSERT_OK(stat(path, &s2));
                ASSERT_TRUE(s2.st_size > s.st_size);
        }
}

DEFINE_TEST_MAIN();
