/* ${VAR} substitution (drone/envsubst v1.0.3 semantics), dotenv parsing, Go templates and durations. */
#include "compose/compose-internal.h"
#include "shared/strv.h"
#include "tests.h"

static char *vars_env[] = {
        "var01=abcdEFGH28ij", "UPPER=ABCDEFGH28IJ", "path_name=/home/bozo/ideas/thoughts.for.today",
        "stringZ=abcABC123ABCabc", "filename=bash.string.txt", "EMPTY=", "slashy=foo/bar/baz",
        "default_var=foo", "P=path/to/file", NULL,
};

static const char *lookup(const char *name, void *userdata) {
        return strv_env_get(userdata, name);
}

static char *expand(const char *in) {
        char *out = NULL;
        size_t n = 0, off = 0;
        const char *msg = NULL;
        int r = envsubst_expand(in, strlen(in), lookup, vars_env, &out, &n, &off, &msg);
        if (r < 0)
                TEST_FAIL("expanding '%s' failed: %d %s at %zu", in, r, strempty(msg), off);
        ASSERT_EQ(strlen(out), n);
        return out;
}

#define ASSERT_EXPANDS(in, want)                                  \
        do {                                                      \
                _cleanup_free_ char *_o_ = expand(in);            \
                ASSERT_STREQ(_o_, want);                          \
        } while (0)

static void assert_fails(const char *in, const char *want_msg, size_t want_off) {
        char *out = NULL;
        size_t off = 999;
        const char *msg = NULL;
        int r = envsubst_expand(in, strlen(in), lookup, vars_env, &out, NULL, &off, &msg);
        if (r != -EINVAL)
                TEST_FAIL("'%s' should fail, got %d (%s)", in, r, strempty(out));
        ASSERT_STREQ(msg, want_msg);
        ASSERT_EQ(off, want_off);
}

TEST(plain_text_and_dollar_forms) {
        ASSERT_EXPANDS("abcdEFGH28ij", "abcdEFGH28ij");
        ASSERT_EXPANDS("${var01}", "abcdEFGH28ij");
        ASSERT_EXPANDS("x${var01}y", "xabcdEFGH28ijy");
        /* $VAR without braces is not substituted: it reaches the shell */
        ASSERT_EXPANDS("$var01 and $HOME", "$var01 and $HOME");
        ASSERT_EXPANDS("cost: 5$", "cost: 5$");
        ASSERT_EXPANDS("}text{", "}text{");
        /* undefined → empty */
        ASSERT_EXPANDS("[${NOPE}]", "[]");
        ASSERT_EXPANDS("[${EMPTY}]", "[]");
}

TEST(escapes) {
        ASSERT_EXPANDS("$${var01}", "${var01}");
        ASSERT_EXPANDS("$$var01", "$var01");
        ASSERT_EXPANDS("some text ${var01}$${var$${var01}$var01${var01}",
                       "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij");
        /* v1.0.3 also unescapes \\ and \/ in plain text */
        ASSERT_EXPANDS("a\\\\b", "a\\b");
        ASSERT_EXPANDS("a\\/b", "a/b");
        ASSERT_EXPANDS("a\\nb", "a\\nb");
        ASSERT_EXPANDS("http://github.com", "http://github.com");
}

TEST(length_and_case) {
        ASSERT_EXPANDS("${#var01}", "12");
        ASSERT_EXPANDS("${#NOPE}", "0");
        ASSERT_EXPANDS("${var01^}", "AbcdEFGH28ij");
        ASSERT_EXPANDS("${var01^^}", "ABCDEFGH28IJ");
        ASSERT_EXPANDS("${UPPER,}", "aBCDEFGH28IJ");
        ASSERT_EXPANDS("${UPPER,,}", "abcdefgh28ij");
}

TEST(substring) {
        ASSERT_EXPANDS("${path_name:11}", "ideas/thoughts.for.today");
        ASSERT_EXPANDS("${path_name:11:5}", "ideas");
        ASSERT_EXPANDS("${var01:-3}", "abcdEFGH28ij"); /* ":-" is the default form */
        ASSERT_EXPANDS("${var01:100}", "");
        ASSERT_EXPANDS("${var01:2:100}", "cdEFGH28ij");
        ASSERT_EXPANDS("${var01:x}", "abcdEFGH28ij"); /* unparsable position: the value */
}

TEST(defaults) {
        ASSERT_EXPANDS("${var=xyz}", "xyz");
        ASSERT_EXPANDS("${var01=xyz}", "abcdEFGH28ij");
        ASSERT_EXPANDS("${var:=xyz}", "xyz");
        ASSERT_EXPANDS("${var:-xyz}", "xyz");
        ASSERT_EXPANDS("${EMPTY:-was empty}", "was empty");
        ASSERT_EXPANDS("${var01:-xyz}", "abcdEFGH28ij");
        /* :+ and :? behave like :- in drone/envsubst */
        ASSERT_EXPANDS("${var:+alt}", "alt");
        ASSERT_EXPANDS("${var01:+alt}", "abcdEFGH28ij");
        ASSERT_EXPANDS("${var:?msg}", "msg");
        ASSERT_EXPANDS("something ${var=${default_var}}", "something foo");
        ASSERT_EXPANDS("foo: ${var=prefix${default_var}-suffix}", "foo: prefixfoo-suffix");
        ASSERT_EXPANDS("${var=${var01^^}}", "ABCDEFGH28IJ");
        ASSERT_EXPANDS("something $${var=${default_var}}", "something ${var=foo}");
        ASSERT_EXPANDS("${var:-}", "");
}

TEST(removal) {
        ASSERT_EXPANDS("${filename#*.}", "string.txt");
        ASSERT_EXPANDS("${filename##*.}", "txt");
        ASSERT_EXPANDS("${filename%.*}", "bash.string");
        ASSERT_EXPANDS("${filename%%.*}", "bash");
        ASSERT_EXPANDS("${P#*/}", "to/file");
        ASSERT_EXPANDS("${P##*/}", "file");
        ASSERT_EXPANDS("${filename%.txt}", "bash.string");
        ASSERT_EXPANDS("${filename#nomatch}", "bash.string.txt");
}

TEST(replace) {
        ASSERT_EXPANDS("${stringZ/%abc/XYZ}", "abcABC123ABCXYZ");
        ASSERT_EXPANDS("${stringZ/#abc/XYZ}", "XYZABC123ABCabc");
        ASSERT_EXPANDS("${stringZ//abc/xyz}", "xyzABC123ABCxyz");
        ASSERT_EXPANDS("${stringZ/abc/xyz}", "xyzABC123ABCabc");
        ASSERT_EXPANDS("${stringZ/abc/}", "ABC123ABCabc");
        ASSERT_EXPANDS("${slashy/\\//-}", "foo-bar/baz");
        ASSERT_EXPANDS("${slashy//\\//-}", "foo-bar-baz");
}

TEST(syntax_errors) {
        assert_fails("${}", "unable to parse variable name", 0);
        assert_fails("ab ${var01", "missing closing brace", 3);
        assert_fails("x\ny ${var-default}", "missing closing brace", 4);
        assert_fails("${#}", "bad substitution", 0);
        assert_fails("${var01:}", "unable to parse substitution within function", 0);
        assert_fails("${var01^^x}", "bad substitution", 0);
        assert_fails("${var01#}", "unable to parse substitution within function", 0);
        assert_fails("${var01:-never closed", "unable to parse substitution within function", 0);
}

TEST(deep_nesting_is_refused) {
        char buf[4096] = "";
        for (int i = 0; i < 200; i++)
                strcat(buf, "${a:-");
        assert_fails(buf, "substitutions are nested too deeply", 0);
}

/* ---- dotenv ---- */

TEST(dotenv_forms) {
        _cleanup_strv_free_ char **env = NULL;
        const char *text =
                "# comment\n"
                "A=1\n"
                "export B = two\n"
                "C='single $A'\n"
                "D=\"double $A ${B}\\n\"\n"
                "E=unquoted # comment\n"
                "F: yaml style\n"
                "G=\"multi\nline\"\n"
                "A=override\n"
                "H=with=equals\n"
                "EMPTY=\n";
        unsigned line = 0;

        ASSERT_OK(dotenv_parse(text, strlen(text), &env, &line));
        ASSERT_STREQ(strv_env_get(env, "A"), "override");
        ASSERT_STREQ(strv_env_get(env, "B"), "two");
        ASSERT_STREQ(strv_env_get(env, "C"), "single $A");
        ASSERT_STREQ(strv_env_get(env, "D"), "double 1 two\n");
        ASSERT_STREQ(strv_env_get(env, "E"), "unquoted");
        ASSERT_STREQ(strv_env_get(env, "F"), "yaml style");
        ASSERT_STREQ(strv_env_get(env, "G"), "multi\nline");
        ASSERT_STREQ(strv_env_get(env, "H"), "with=equals");
        ASSERT_STREQ(strv_env_get(env, "EMPTY"), "");
}

TEST(dotenv_errors) {
        _cleanup_strv_free_ char **env = NULL;
        unsigned line = 0;

        ASSERT_ERROR(dotenv_parse("A=1\nnot a line\n", 15, &env, &line), EINVAL);
        ASSERT_EQ(line, 2u);
        ASSERT_ERROR(dotenv_parse("A=\"open\n", 8, &env, &line), EINVAL);
        ASSERT_EQ(line, 1u);
}

/* ---- templates ---- */

static char *render(const char *t, char **err) {
        static const ComposeKV vars[] = {
                { .key = "NAME", .value = "web" }, { .key = "PC_REPLICA_NUM", .value = "3", .literal = true },
                { .key = "NAME", .value = "override" },
        };
        char *out = NULL;
        *err = NULL;
        if (template_render(t, vars, ELEMENTSOF(vars), &out, err) < 0)
                return NULL;
        return out;
}

TEST(templates) {
        _cleanup_free_ char *e = NULL;
        struct {
                const char *in, *out;
        } cases[] = {
                { "no template", "no template" },
                { "{{.PC_REPLICA_NUM}}", "3" },
                { "port 80{{ .PC_REPLICA_NUM }}", "port 803" },
                { "{{ .NAME }}", "override" },
                { "{{ .MISSING }}", "<no value>" },
                { "a  {{- .PC_REPLICA_NUM -}}  b", "a3b" },
                { "{{ \"{{.X}}\" }}", "{{.X}}" },
                { "{{ `raw {{ }}` }}", "raw {{ }}" },
                { "x{{/* comment */}}y", "xy" },
                { "{{ 42 }}", "42" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *o = render(cases[i].in, &e);
                if (!o)
                        TEST_FAIL("render '%s': %s", cases[i].in, strempty(e));
                ASSERT_STREQ(o, cases[i].out);
        }
}

TEST(template_errors) {
        const char *bad[] = { "{{ .A", "stray {{", "{{ if .A }}x{{ end }}", "{{ \"open }}" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *e = NULL, *o = render(bad[i], &e);
                if (o)
                        TEST_FAIL("'%s' should not render (got '%s')", bad[i], o);
                ASSERT_NOT_NULL(e);
                ASSERT_TRUE(startswith(e, "template: "));
        }
}

TEST(go_durations) {
        int64_t ns;
        ASSERT_OK(parse_go_duration("300ms", &ns));
        ASSERT_EQ(ns, 300000000);
        ASSERT_OK(parse_go_duration("1h30m", &ns));
        ASSERT_EQ(ns, 5400LL * 1000000000LL);
        ASSERT_OK(parse_go_duration("1.5s", &ns));
        ASSERT_EQ(ns, 1500000000);
        ASSERT_OK(parse_go_duration("0", &ns));
        ASSERT_EQ(ns, 0);
        ASSERT_ERROR(parse_go_duration("5", &ns), EINVAL);
        ASSERT_ERROR(parse_go_duration("fast", &ns), EINVAL);
        ASSERT_ERROR(parse_go_duration("", &ns), EINVAL);
}

TEST(paths) {
        _cleanup_free_ char *a = path_join_clean("/tmp/x", "../y/./z"), *b = path_clean("../../a/../b/"),
                            *c = path_dirname("dir/file.yaml"), *d = path_dirname("file.yaml");
        ASSERT_STREQ(a, "/tmp/y/z");
        ASSERT_STREQ(b, "../../b");
        ASSERT_STREQ(c, "dir");
        ASSERT_STREQ(d, ".");
}

DEFINE_TEST_MAIN();
