/* Glob matching with "**" (src/shared/glob-util.c), case by case against doublestar v4's Match, which
 * process-compose's watch uses. */
#include "shared/glob-util.h"
#include "tests.h"

static const struct {
        const char *pattern, *name;
        bool match;
} cases[] = {
        /* "*" stays inside one component */
        { "*.go", "main.go", true },
        { "*.go", "a/main.go", false },
        { "*", "", true },
        { "a*", "a", true },
        { "*a*b", "xaybzb", true },
        { "*/b/*", "a/b/c", true },
        { "a/*", "a", false },
        { "a/*", "a/b/c", false },
        /* "**" as a whole component: zero or more directories */
        { "**", "", true },
        { "**", "a/b/c", true },
        { "**/*.go", "main.go", true },
        { "**/*.go", "a/b/main.go", true },
        { "**/*.go", "a/b/main.c", false },
        { "a/**/b", "a/b", true },
        { "a/**/b", "a/x/y/b", true },
        { "a/**/b", "a/x/y/c", false },
        { "**/a*b", "ax/ab", true },
        { "**/node_modules/**", "node_modules", true },
        { "**/node_modules/**", "a/node_modules/b/c", true },
        { "**/node_modules/**", "a/node_modulesx/b", false },
        /* a trailing "**" component also matches the directory itself */
        { "a/**", "a", true },
        { "a/**", "a/b/c", true },
        { "a/**", "ab", false },
        { "bin/**", "bin", true },
        { "generated/**", "generated/x/y.go", true },
        { "a/**/", "a", true },
        /* "**" inside a component is a plain "*" */
        { "a**.txt", "abc.txt", true },
        { "a**.txt", "a/b.txt", false },
        { "**.txt", "a/b.txt", false },
        { "**.txt", "b.txt", true },
        { "a**/b", "ax/b", true },
        { "a**/b", "ax/y/b", false },
        /* "?": one character, never "/"; a UTF-8 sequence is one character */
        { "?.go", "a.go", true },
        { "?.go", "ab.go", false },
        { "a?b", "a/b", false },
        { "?", "\xc3\xa9", true },
        { "\xc3\xa9?", "\xc3\xa9" "a", true },
        /* classes */
        { "[abc].go", "b.go", true },
        { "[!abc].go", "b.go", false },
        { "[^abc].go", "d.go", true },
        { "[a-c]x", "bx", true },
        { "[a-c]x", "dx", false },
        { "[\\]]", "]", true },
        { "[a\\-z]", "-", true },
        { "[a\\-z]", "b", false },
        /* alternatives, which may hold "/" and nest */
        { "{foo,bar}.go", "bar.go", true },
        { "{foo,bar}.go", "baz.go", false },
        { "src/{a,b/c}/*.go", "src/b/c/x.go", true },
        { "{a,{b,c}d}", "cd", true },
        { "{a,b/**}", "b", true },
        { "x{,y}", "x", true },
        { "x{,y}", "xy", true },
        /* escapes */
        { "\\*", "*", true },
        { "\\*", "a", false },
        /* whole-name match */
        { "_test.go", "foo_test.go", false },
        { "*_test.go", "foo_test.go", true },
        /* malformed patterns match nothing */
        { "[", "[", false },
        { "a{", "a{", false },
        { "a\\", "a\\", false },
        { "[]", "]", false },
};

TEST(table) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (glob_match(cases[i].pattern, cases[i].name) != cases[i].match)
                        TEST_FAIL("glob_match(\"%s\", \"%s\") = %s, want %s", cases[i].pattern, cases[i].name,
                                  cases[i].match ? "false" : "true", cases[i].match ? "true" : "false");
}

TEST(null) {
        ASSERT_FALSE(glob_match(NULL, "a"));
        ASSERT_FALSE(glob_match("a", NULL));
}

/* Many stars against a long name stay linear (no exponential backtracking). */
TEST(many_stars) {
        char name[4001];

        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = 0;
        ASSERT_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
        ASSERT_TRUE(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a", name));
}

DEFINE_TEST_MAIN();
