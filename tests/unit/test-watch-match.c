/* Which paths under a watched root matter (src/watch/watch-match.c): process-compose v1.122's rules, table
 * by table. */
#include "shared/strv.h"
#include "tests.h"
#include "watch/watch-match.h"

typedef struct Case {
        const char *path;
        bool file, dir;              /* watch_match_file(), watch_match_dir() */
} Case;

static void check(const WatchMatch *m, const Case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (watch_match_file(m, cases[i].path) != cases[i].file)
                        TEST_FAIL("root %s: watch_match_file(%s) = %s", m->root, cases[i].path,
                                  cases[i].file ? "false" : "true");
                if (watch_match_dir(m, cases[i].path) != cases[i].dir)
                        TEST_FAIL("root %s: watch_match_dir(%s) = %s", m->root, cases[i].path,
                                  cases[i].dir ? "false" : "true");
        }
}

#define CHECK(m, ...) do { const Case _c[] = { __VA_ARGS__ }; check(m, _c, ELEMENTSOF(_c)); } while (0)

TEST(defaults) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;

        ASSERT_OK(watch_match_new("/p/", NULL, NULL, true, NULL, NULL, &m));
        ASSERT_STREQ(m->root, "/p");
        CHECK(m,
              { "/p", true, true },                      /* the root itself is "." to the rules */
              { "/p/main.go", true, true },
              { "/p/src/deep/x.c", true, true },
              { "/p/app.log", false, true },
              { "/p/app.log.gz", false, true },
              { "/p/src/x.swp", false, true },
              { "/p/src/x~", false, true },
              { "/p/.#x", false, true },
              { "/p/#x#", false, true },
              { "/p/4913", false, true },
              { "/p/a.tmp", false, true },
              { "/p/.git", true, false },               /* a file named .git is no directory of it */
              { "/p/.git/config", false, false },
              { "/p/node_modules", true, false },
              { "/p/a/node_modules/x/y.js", false, false },
              { "/p/src/build", true, false },
              { "/p/src/builder/x.c", true, true },
              { "/p/__pycache__/m.pyc", false, false },
              /* outside the root */
              { "/pp/x", false, false },
              { "/other/x", false, false },
              { "/", false, false });
}

TEST(no_defaults) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;

        ASSERT_OK(watch_match_new("/p", NULL, NULL, false, NULL, NULL, &m));
        CHECK(m,
              { "/p/app.log", true, true },
              { "/p/node_modules", true, true },
              { "/p/node_modules/a.js", true, true },
              { "/p/.git/HEAD", true, true });
}

TEST(exclude) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;
        char *exclude[] = { (char *) "*_test.go", (char *) "generated/**", (char *) "tmp", NULL };

        ASSERT_OK(watch_match_new("/p", NULL, exclude, true, NULL, NULL, &m));
        CHECK(m,
              /* no "/": the base name, at any depth */
              { "/p/foo_test.go", false, false },
              { "/p/pkg/inner/foo_test.go", false, false },
              { "/p/pkg/foo.go", true, true },
              /* with "/": the path from the root, and the subtree's root is pruned too */
              { "/p/generated", false, false },
              { "/p/generated/a.go", false, false },
              { "/p/x/generated/a.go", true, true },
              /* a directory excluded by name is pruned at any depth */
              { "/p/a/tmp", false, false });
}

TEST(include) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL, *n = NULL;
        char *go[] = { (char *) "*.go", NULL }, *src[] = { (char *) "src/**/*.go", NULL },
             *exclude[] = { (char *) "*_test.go", NULL };

        ASSERT_OK(watch_match_new("/p", go, exclude, true, NULL, NULL, &m));
        CHECK(m,
              { "/p/a.txt", false, true },
              { "/p/x/a.go", true, true },
              { "/p/x/a_test.go", false, false },           /* exclude wins over include */
              { "/p/x/a.log", false, true });               /* and so do the defaults */

        ASSERT_OK(watch_match_new("/p", src, NULL, true, NULL, NULL, &n));
        CHECK(n,
              { "/p/src/a.go", true, true },
              { "/p/src/a/b.go", true, true },
              { "/p/lib/b.go", false, true });
}

TEST(only_base) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;

        ASSERT_OK(watch_match_new("/p", NULL, NULL, true, NULL, "config.yaml", &m));
        CHECK(m,
              { "/p/config.yaml", true, true },
              { "/p/other.yaml", false, true },
              /* process-compose matches the base name anywhere below the parent */
              { "/p/sub/config.yaml", true, true });
}

TEST(log_exclusions) {
        _cleanup_strv_free_ char **l = NULL, **one = NULL, **none = NULL, **bare = NULL;

        ASSERT_OK(watch_log_exclusions("/p/logs/../logs/web.log", &l));
        ASSERT_UEQ(strv_length(l), 3);
        ASSERT_STREQ(l[0], "/p/logs/web.log");
        ASSERT_STREQ(l[1], "/p/logs/web-*.log");
        ASSERT_STREQ(l[2], "/p/logs/web-*.log.gz");

        ASSERT_OK(watch_log_exclusions("/x/.log", &one));
        ASSERT_UEQ(strv_length(one), 1);
        ASSERT_STREQ(one[0], "/x/.log");

        ASSERT_OK(watch_log_exclusions("/x/out", &bare));
        ASSERT_UEQ(strv_length(bare), 3);
        ASSERT_STREQ(bare[1], "/x/out-*");
        ASSERT_STREQ(bare[2], "/x/out-*.gz");

        ASSERT_OK(watch_log_exclusions("  ", &none));
        ASSERT_OK(watch_log_exclusions(NULL, &none));
        ASSERT_NULL(none);
}

/* The project's own log files are never a trigger, even with disable_default_excludes. */
TEST(always_exclude) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;
        _cleanup_strv_free_ char **logs = NULL;

        ASSERT_OK(watch_log_exclusions("/p/logs/web.log", &logs));
        ASSERT_OK(watch_match_new("/p", NULL, NULL, false, logs, NULL, &m));
        CHECK(m,
              { "/p/logs/web.log", false, true },
              { "/p/logs/web-2026-01-01T00-00-00.000.log", false, true },
              { "/p/logs/web-2026.log.gz", false, true },
              { "/p/logs/web.txt", true, true },
              { "/p/logs/api.log", true, true });
}

TEST(root_slash) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;
        char *exclude[] = { (char *) "a/b", NULL };

        ASSERT_OK(watch_match_new("/", NULL, exclude, true, NULL, NULL, &m));
        CHECK(m,
              { "/", true, true },
              { "/a/b", false, false },
              { "/a/c", true, true });
}

DEFINE_TEST_MAIN();
