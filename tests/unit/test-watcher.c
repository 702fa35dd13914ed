/* The watcher (src/watch/watcher.c) on a real sd-event loop and real inotify, in a temporary directory: one
 * call per burst, excludes, directories created and removed later, the watch limit (ENOSPC, injected), the
 * max_entries cap, the causality rule, a file as a root, log files, and flap suspension. Assertions are on
 * counts; the loop runs until a condition holds, with generous deadlines. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/event-util.h"
#include "shared/strv.h"
#include "tests.h"
#include "watch/watch-match.h"
#include "watch/watcher.h"

typedef struct Seen {
        unsigned fires, errors, warnings, count;
        char path[256];
        char message[1024];
} Seen;

static void on_fire(const char *name, const char *path, unsigned count, void *userdata) {
        Seen *s = userdata;

        s->fires++;
        s->count += count;
        snprintf(s->path, sizeof s->path, "%s", path);
}

static void on_report(const char *name, bool error, const char *message, void *userdata) {
        Seen *s = userdata;

        if (error)
                s->errors++;
        else
                s->warnings++;
        snprintf(s->message, sizeof s->message, "%s", message);
}

static const WatcherCallbacks callbacks = { .fire = on_fire, .report = on_report };

static char *tmp_root(void) {
        char *d = strdup("/tmp/pcctl-test-watcher-XXXXXX");

        ASSERT_NOT_NULL(d);
        ASSERT_NOT_NULL(mkdtemp(d));
        return d;
}

static void rm_rf(const char *dir) {
        _cleanup_free_ char *cmd = NULL;

        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        (void) system(cmd);
}

static char *at(const char *dir, const char *rel) {
        char *p;

        ASSERT_TRUE(asprintf(&p, "%s/%s", dir, rel) > 0);
        return p;
}

static void mkdir_at(const char *dir, const char *rel) {
        _cleanup_free_ char *p = at(dir, rel);

        ASSERT_OK(mkdir(p, 0755));
}

static void write_at(const char *dir, const char *rel, const char *text) {
        _cleanup_free_ char *p = at(dir, rel);
        FILE *f = fopen(p, "a");

        ASSERT_NOT_NULL(f);
        fputs(text, f);
        fclose(f);
}

/* Runs the loop for ms milliseconds, or until *until becomes at least want (when until is set). */
static void run_for(sd_event *e, unsigned ms, const unsigned *until, unsigned want) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + ms * USEC_PER_MSEC;

        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                if (until && *until >= want)
                        return;
                ASSERT_TRUE(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
        }
}

static void run_idle(sd_event *e, Watcher *w) {
        for (unsigned i = 0; i < 500 && !watcher_idle(w); i++)
                ASSERT_TRUE(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
        ASSERT_TRUE(watcher_idle(w));
}

typedef struct Fixture {
        char *dir;
        sd_event *e;
        Watcher *w;
        Seen seen;
        ComposeWatchPath path;
        ComposeWatch config;
} Fixture;

static void setup(Fixture *f, const char *root_rel) {
        memset(f, 0, sizeof *f);
        f->dir = tmp_root();
        ASSERT_OK(sd_event_new(&f->e));
        ASSERT_OK(watcher_new(f->e, &callbacks, &f->seen, &f->w));
        mkdir_at(f->dir, "src");
        f->path.path = at(f->dir, root_rel);
        f->config.paths = &f->path;
        f->config.n_paths = 1;
        f->config.debounce_usec = 50 * USEC_PER_MSEC;
}

static void add(Fixture *f, char * const *always_exclude) {
        _cleanup_free_ char *error = NULL;

        ASSERT_OK(watcher_add(f->w, "web", &f->config, always_exclude, &error));
        ASSERT_NULL(error);
        run_idle(f->e, f->w);
}

static void teardown(Fixture *f) {
        watcher_free(f->w);
        sd_event_unref(f->e);
        rm_rf(f->dir);
        free(f->dir);
        free(f->path.path);
}

TEST(burst_fires_once) {
        Fixture f;

        setup(&f, "src");
        write_at(f.dir, "src/data.txt", "");
        add(&f, NULL);
        ASSERT_UEQ(watcher_n_dirs(f.w), 1);
        for (int i = 0; i < 100; i++)
                write_at(f.dir, "src/data.txt", "line\n");
        run_for(f.e, 3000, &f.seen.fires, 1);
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 1);
        ASSERT_TRUE(f.seen.count >= 100);
        ASSERT_STREQ(f.seen.path, "data.txt");
        teardown(&f);
}

TEST(excluded_files) {
        Fixture f;
        char *exclude[] = { (char *) "*.skip", (char *) "ignored/**", NULL };

        setup(&f, "src");
        f.path.exclude = exclude;
        mkdir_at(f.dir, "src/ignored");
        mkdir_at(f.dir, "src/node_modules");
        add(&f, NULL);
        ASSERT_UEQ(watcher_n_dirs(f.w), 1);         /* both subdirectories pruned */
        write_at(f.dir, "src/x.skip", "x");
        write_at(f.dir, "src/app.log", "x");
        write_at(f.dir, "src/ignored/a", "x");
        write_at(f.dir, "src/a.swp", "x");
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 0);
        write_at(f.dir, "src/kept", "x");
        run_for(f.e, 3000, &f.seen.fires, 1);
        ASSERT_UEQ(f.seen.fires, 1);
        ASSERT_STREQ(f.seen.path, "kept");
        teardown(&f);
}

TEST(new_and_removed_directories) {
        Fixture f;
        _cleanup_free_ char *sub = NULL, *file = NULL, *deep = NULL;

        setup(&f, "src");
        add(&f, NULL);
        mkdir_at(f.dir, "src/sub");
        run_for(f.e, 3000, &f.seen.fires, 1);          /* the new directory is itself a change */
        run_idle(f.e, f.w);
        ASSERT_UEQ(watcher_n_dirs(f.w), 2);
        write_at(f.dir, "src/sub/f", "x");
        run_for(f.e, 3000, &f.seen.fires, 2);
        ASSERT_UEQ(f.seen.fires, 2);
        ASSERT_STREQ(f.seen.path, "sub/f");

        /* a tree created at once: its directories are walked, its files count as changes */
        mkdir_at(f.dir, "src/a");
        mkdir_at(f.dir, "src/a/b");
        mkdir_at(f.dir, "src/a/b/c");
        write_at(f.dir, "src/a/b/c/late.txt", "x");
        run_for(f.e, 3000, &f.seen.fires, 3);
        run_idle(f.e, f.w);
        run_for(f.e, 200, NULL, 0);
        ASSERT_UEQ(watcher_n_dirs(f.w), 5);
        ASSERT_UEQ(watcher_n_entries(f.w, "web"), 5);

        /* removed, and moved away: their watches go */
        sub = at(f.dir, "src/sub");
        file = at(f.dir, "src/sub/f");
        ASSERT_OK(unlink(file));
        ASSERT_OK(rmdir(sub));
        deep = at(f.dir, "moved");
        {
                _cleanup_free_ char *a = at(f.dir, "src/a");
                ASSERT_OK(rename(a, deep));
        }
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(watcher_n_dirs(f.w), 1);
        ASSERT_UEQ(watcher_n_entries(f.w, "web"), 1);
        teardown(&f);
}

static int add_watch_enospc(int fd, const char *path, uint32_t mask) {
        if (strstr(path, "/deep")) {
                errno = ENOSPC;
                return -1;
        }
        return inotify_add_watch(fd, path, mask);
}

TEST(watch_limit) {
        Fixture f;

        setup(&f, "src");
        mkdir_at(f.dir, "src/deep");
        mkdir_at(f.dir, "src/other");
        watcher_set_add_watch(f.w, add_watch_enospc);
        add(&f, NULL);
        ASSERT_UEQ(f.seen.errors, 1);
        ASSERT_NOT_NULL(strstr(f.seen.message, "inotify watch limit was reached"));
        ASSERT_NOT_NULL(strstr(f.seen.message, "fs.inotify.max_user_watches"));
        ASSERT_NOT_NULL(strstr(f.seen.message, "/deep"));
        ASSERT_UEQ(watcher_n_entries(f.w, "web"), 2);    /* src and other: the rest keeps working */
        write_at(f.dir, "src/other/x", "x");
        run_for(f.e, 3000, &f.seen.fires, 1);
        ASSERT_UEQ(f.seen.fires, 1);
        teardown(&f);
}

TEST(max_entries) {
        Fixture f, g;

        /* the first walk goes over the cap: nothing is watched for the process */
        setup(&f, "src");
        f.config.max_entries = 2;
        mkdir_at(f.dir, "src/a");
        mkdir_at(f.dir, "src/b");
        add(&f, NULL);
        ASSERT_UEQ(f.seen.errors, 1);
        ASSERT_NOT_NULL(strstr(f.seen.message, "exceeding the limit of 2"));
        ASSERT_UEQ(watcher_n_dirs(f.w), 0);
        write_at(f.dir, "src/x", "x");
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 0);
        teardown(&f);

        /* a directory created later over the cap is not watched, once reported */
        setup(&g, "src");
        g.config.max_entries = 2;
        mkdir_at(g.dir, "src/a");
        add(&g, NULL);
        ASSERT_UEQ(g.seen.errors, 0);
        mkdir_at(g.dir, "src/b");
        mkdir_at(g.dir, "src/c");
        run_for(g.e, 3000, &g.seen.errors, 1);
        run_idle(g.e, g.w);
        ASSERT_UEQ(g.seen.errors, 1);
        ASSERT_NOT_NULL(strstr(g.seen.message, "reached its watch limit of 2"));
        ASSERT_UEQ(watcher_n_entries(g.w, "web"), 2);
        teardown(&g);
}

TEST(restarted_after_the_change) {
        Fixture f;

        setup(&f, "src");
        f.config.debounce_usec = 200 * USEC_PER_MSEC;
        add(&f, NULL);
        write_at(f.dir, "src/x", "x");
        run_for(f.e, 50, NULL, 0);
        watcher_note_restart(f.w, "web", event_now(f.e, CLOCK_MONOTONIC) + 1);
        run_for(f.e, 500, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 0);
        teardown(&f);
}

TEST(file_root) {
        Fixture f;

        setup(&f, "src/config.yaml");
        write_at(f.dir, "src/config.yaml", "a: 1\n");
        add(&f, NULL);
        write_at(f.dir, "src/other.yaml", "x");
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 0);
        write_at(f.dir, "src/config.yaml", "a: 2\n");
        run_for(f.e, 3000, &f.seen.fires, 1);
        ASSERT_UEQ(f.seen.fires, 1);
        ASSERT_STREQ(f.seen.path, "config.yaml");
        teardown(&f);
}

TEST(log_files_never_trigger) {
        Fixture f;
        _cleanup_strv_free_ char **logs = NULL;
        _cleanup_free_ char *log = NULL;

        setup(&f, "src");
        f.config.disable_default_excludes = true;
        log = at(f.dir, "src/web.log");
        ASSERT_OK(watch_log_exclusions(log, &logs));
        add(&f, logs);
        write_at(f.dir, "src/web.log", "line\n");
        write_at(f.dir, "src/web-2026.log", "line\n");
        run_for(f.e, 300, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 0);
        write_at(f.dir, "src/api.log", "line\n");     /* defaults are off: any other log triggers */
        run_for(f.e, 3000, &f.seen.fires, 1);
        ASSERT_UEQ(f.seen.fires, 1);
        teardown(&f);
}

TEST(flapping_suspends) {
        Fixture f;

        setup(&f, "src");
        f.config.debounce_usec = 10 * USEC_PER_MSEC;
        add(&f, NULL);
        for (unsigned i = 1; i <= 9; i++) {
                write_at(f.dir, "src/out", "x");
                run_for(f.e, 3000, &f.seen.fires, i);
        }
        ASSERT_UEQ(f.seen.fires, 9);
        write_at(f.dir, "src/out", "x");
        run_for(f.e, 3000, &f.seen.errors, 1);
        ASSERT_UEQ(f.seen.fires, 9);
        ASSERT_UEQ(f.seen.errors, 1);
        ASSERT_NOT_NULL(strstr(f.seen.message, "Watching is suspended"));
        write_at(f.dir, "src/out", "x");
        run_for(f.e, 200, NULL, 0);
        ASSERT_UEQ(f.seen.fires, 9);
        teardown(&f);
}

TEST(bad_path) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(watcher_freep) Watcher *w = NULL;
        _cleanup_free_ char *error = NULL;
        Seen seen = {};
        ComposeWatchPath path = { .path = (char *) "/nonexistent/pcctl-watch" };
        ComposeWatch config = { .paths = &path, .n_paths = 1 };

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(watcher_new(e, &callbacks, &seen, &w));
        ASSERT_ERROR(watcher_add(w, "web", &config, NULL, &error), ENOENT);
        ASSERT_NOT_NULL(strstr(error, "/nonexistent/pcctl-watch"));
        ASSERT_FALSE(watcher_has(w, "web"));
}

DEFINE_TEST_MAIN();
