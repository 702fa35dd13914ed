/* Unit names: escaping must match systemd's unit_name_escape() byte for byte (the golden values were
 * produced by `systemd-escape` 252; when the tool is installed the test also asks it live), the full names
 * must be valid unit names, and escaping must round-trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "unit/unit-driver.h"

static const struct {
        const char *in, *out;
} golden[] = {
        { "web", "web" },
        { "my-proj", "my\\x2dproj" },
        { "a/b", "a-b" },
        { ".hidden", "\\x2ehidden" },
        { "a b", "a\\x20b" },
        { "\xc3\xbc", "\\xc3\\xbc" },
        { "a\\b", "a\\x5cb" },
        { "x@y", "x\\x40y" },
        { "a:b_c.d", "a:b_c.d" },
        { "/x/", "-x-" },
        { "web-0", "web\\x2d0" },
        { "a.b.", "a.b." },
        { "..", "\\x2e." },
        { "tab\tx", "tab\\x09x" },
        { "%$#", "\\x25\\x24\\x23" },
        { "UPPER_case9", "UPPER_case9" },
        { "", "" },
};

TEST(escape_golden) {
        for (size_t i = 0; i < ELEMENTSOF(golden); i++) {
                _cleanup_free_ char *e = NULL, *u = NULL;

                ASSERT_OK(unit_name_escape(golden[i].in, &e));
                ASSERT_STREQ(e, golden[i].out);
                ASSERT_OK(unit_name_unescape(e, &u));
                /* '/' becomes '-' and comes back as '/' */
                ASSERT_STREQ(u, golden[i].in);
        }
}

/* The same inputs through the installed systemd-escape, when there is one. */
TEST(escape_matches_systemd_escape) {
        if (access("/usr/bin/systemd-escape", X_OK) < 0) {
                fprintf(stderr, "systemd-escape not installed, golden values only\n");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(golden); i++) {
                _cleanup_free_ char *e = NULL, *tmp = NULL, *cmd = NULL;
                char line[256] = "";
                FILE *f;

                if (isempty(golden[i].in) || strchr(golden[i].in, '\''))
                        continue;
                ASSERT_OK(unit_name_escape(golden[i].in, &e));
                ASSERT_TRUE(asprintf(&cmd, "/usr/bin/systemd-escape -- '%s'", golden[i].in) > 0);
                f = popen(cmd, "r");
                ASSERT_NOT_NULL(f);
                ASSERT_NOT_NULL(fgets(line, sizeof line, f));
                ASSERT_EQ(pclose(f), 0);
                line[strcspn(line, "\n")] = 0;
                ASSERT_STREQ(e, line);
        }
}

TEST(unescape_rejects_malformed) {
        char *u = NULL;

        ASSERT_ERROR(unit_name_unescape("a\\x2", &u), EINVAL);
        ASSERT_ERROR(unit_name_unescape("a\\y20", &u), EINVAL);
        ASSERT_ERROR(unit_name_unescape("a\\xzz", &u), EINVAL);
        ASSERT_ERROR(unit_name_unescape("a\\x00", &u), EINVAL);
        ASSERT_NULL(u);
}

TEST(process_and_slice_names) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *p = NULL;

        ASSERT_OK(unit_name_for_process("my-proj", "web-0", &a));
        ASSERT_STREQ(a, "pcctl-my\\x2dproj-web\\x2d0.service");
        ASSERT_TRUE(unit_name_is_valid(a));
        ASSERT_OK(unit_name_for_slice("my-proj", &b));
        ASSERT_STREQ(b, "pcctl-my\\x2dproj.slice");
        ASSERT_TRUE(unit_name_is_valid(b));
        ASSERT_OK(unit_name_project_pattern("my-proj", &p));
        ASSERT_STREQ(p, "pcctl-my\\x2dproj-*");
        ASSERT_OK(unit_name_for_process("p", "db", &c));
        ASSERT_STREQ(c, "pcctl-p-db.service");

        ASSERT_ERROR(unit_name_for_process("", "web", &c), EINVAL);
        ASSERT_ERROR(unit_name_for_process("p", "", &c), EINVAL);
        ASSERT_ERROR(unit_name_for_slice("", &c), EINVAL);
}

TEST(name_length_limit) {
        char project[300], process[100];
        _cleanup_free_ char *ok = NULL;
        char *n = NULL;

        /* 255 bytes is the limit: "pcctl-" + 241 + "-" + "x" + ".service" = 257 */
        memset(project, 'p', 241);
        project[241] = 0;
        ASSERT_ERROR(unit_name_for_process(project, "x", &n), ENAMETOOLONG);
        ASSERT_NULL(n);
        project[239] = 0; /* 6 + 239 + 1 + 1 + 8 = 255 */
        ASSERT_OK(unit_name_for_process(project, "x", &ok));
        ASSERT_EQ(strlen(ok), 255u);
        ASSERT_TRUE(unit_name_is_valid(ok));

        /* escaping quadruples: 60 '-' are 240 bytes */
        memset(process, '-', 60);
        process[60] = 0;
        ASSERT_ERROR(unit_name_for_process("p", process, &n), ENAMETOOLONG);
}

TEST(validity) {
        ASSERT_TRUE(unit_name_is_valid("a.service"));
        ASSERT_TRUE(unit_name_is_valid("a@1.service"));
        ASSERT_TRUE(unit_name_is_valid("pcctl-a\\x2db.slice"));
        ASSERT_FALSE(unit_name_is_valid(""));
        ASSERT_FALSE(unit_name_is_valid(".service"));
        ASSERT_FALSE(unit_name_is_valid("a"));
        ASSERT_FALSE(unit_name_is_valid("a.nope"));
        ASSERT_FALSE(unit_name_is_valid("a b.service"));
        ASSERT_FALSE(unit_name_is_valid("a@b@c.service"));
        ASSERT_FALSE(unit_name_is_valid("@a.service"));
        ASSERT_FALSE(unit_name_is_valid("a/b.service"));
}

TEST(exit_status_names) {
        const char *what = NULL;

        ASSERT_STREQ(unit_exit_status_to_string(200, &what), "CHDIR");
        ASSERT_NOT_NULL(what);
        ASSERT_STREQ(unit_exit_status_to_string(203, NULL), "EXEC");
        ASSERT_NULL(unit_exit_status_to_string(7, NULL));
        ASSERT_NULL(unit_exit_status_to_string(223, NULL));
        ASSERT_EQ(unit_exit_status_to_errno(200), -ENOENT);
        ASSERT_EQ(unit_exit_status_to_errno(203), -ENOEXEC);
}

DEFINE_TEST_MAIN();
