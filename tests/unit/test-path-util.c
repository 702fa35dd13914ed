/* Lexical path resolution (src/shared/path-util.c): what reaches WorkingDirectory= and the files pcctl
 * opens for a process must be absolute and free of "." and ".." parts. */
#include "shared/path-util.h"
#include "tests.h"

static void check_clean(const char *in, const char *want) {
        _cleanup_free_ char *s = path_clean(in);

        ASSERT_NOT_NULL(s);
        if (!streq(s, want))
                TEST_FAIL("path_clean(\"%s\") = \"%s\", want \"%s\"", in, s, want);
}

static void check_resolve(const char *base, const char *path, const char *want) {
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(path_resolve(base, path, &s));
        if (!streq(s, want))
                TEST_FAIL("path_resolve(\"%s\", \"%s\") = \"%s\", want \"%s\"", strna(base), strna(path), s, want);
}

TEST(clean) {
        check_clean("a/../b", "b");
        check_clean("a/b/../../c", "c");
        check_clean("a/", "a");
        check_clean("a//b///", "a/b");
        check_clean(".", ".");
        check_clean("./", ".");
        check_clean("", ".");
        check_clean("a/..", ".");
        check_clean("../../a/../b/", "../../b");   /* a relative path keeps its leading ".." */
        check_clean("/..", "/");
        check_clean("/../../x", "/x");
        check_clean("/a/./b/.", "/a/b");
        check_clean("//", "/");
        check_clean("/a/b/../..", "/");
}

TEST(join_clean) {
        _cleanup_free_ char *a = path_join_clean("/tmp/x", "../y/./z"), *b = path_join_clean("", "a/../b"),
                            *c = path_join_clean("/srv/", "");
        ASSERT_STREQ(a, "/tmp/y/z");
        ASSERT_STREQ(b, "b");
        ASSERT_STREQ(c, "/srv");
}

TEST(resolve) {
        /* relative to the base */
        check_resolve("/srv/app", "a/../b", "/srv/app/b");
        check_resolve("/srv/app", "../", "/srv");
        check_resolve("/srv/app", "../../", "/");
        check_resolve("/srv/app", "../frontend", "/srv/frontend");
        check_resolve("/srv/app/", "sub/dir/", "/srv/app/sub/dir");
        /* ".." past the root stays at the root */
        check_resolve("/srv/app", "../../../../etc", "/etc");
        /* "." and empty are the base itself */
        check_resolve("/srv/app", ".", "/srv/app");
        check_resolve("/srv/app", "./", "/srv/app");
        check_resolve("/srv/app", "", "/srv/app");
        check_resolve("/srv/app", NULL, "/srv/app");
        /* absolute paths ignore the base, and are cleaned */
        check_resolve("/srv/app", "/tmp/../var//log/", "/var/log");
        check_resolve("/srv/app", "/", "/");
        check_resolve("/srv/app", "/..", "/");
        /* no base is the root; a relative base is taken from the root */
        check_resolve(NULL, "x/../y", "/y");
        check_resolve("", "../x", "/x");
        check_resolve("rel/dir", "../../../x", "/x");
}

DEFINE_TEST_MAIN();
