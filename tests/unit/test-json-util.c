/* shared/json-util.c and shared/utf8-util.c: the escaper's flag sets (Go, zerolog, journalctl), invalid UTF-8
 * as U+FFFD, and cJSON output made valid. */
#include "shared/json-util.h"
#include "shared/utf8-util.h"
#include "tests.h"

static void expect_escape(const char *in, size_t n, JsonEscapeFlags flags, const char *out) {
        Buffer b = {};

        ASSERT_OK(json_escape_append(&b, in, n, flags));
        ASSERT_STREQ(b.data, out);
        ASSERT_EQ(b.len, strlen(out));
        buffer_done(&b);
}

TEST(utf8_valid_len) {
        ASSERT_EQ(utf8_valid_len("a", 1), 1);
        ASSERT_EQ(utf8_valid_len("\xc3\xa9", 2), 2);
        ASSERT_EQ(utf8_valid_len("\xe2\x82\xac", 3), 3);
        ASSERT_EQ(utf8_valid_len("\xf0\x9f\x98\x80", 4), 4);
        ASSERT_EQ(utf8_valid_len("\xff", 1), 0);
        ASSERT_EQ(utf8_valid_len("\xc3", 1), 0);                 /* truncated */
        ASSERT_EQ(utf8_valid_len("\xc0\xaf", 2), 0);             /* overlong */
        ASSERT_EQ(utf8_valid_len("\xe0\x80\xaf", 3), 0);         /* overlong */
        ASSERT_EQ(utf8_valid_len("\xed\xa0\x80", 3), 0);         /* surrogate */
        ASSERT_EQ(utf8_valid_len("\xf4\x90\x80\x80", 4), 0);     /* above U+10FFFF */
        ASSERT_TRUE(utf8_is_valid("caf\xc3\xa9", 5));
        ASSERT_FALSE(utf8_is_valid("a\xff" "b", 3));
}

TEST(escape_go) {
        expect_escape("a\"b\\c\n\r\t", 8, JSON_ESCAPE_GO, "\"a\\\"b\\\\c\\n\\r\\t\"");
        expect_escape("<a&b>", 5, JSON_ESCAPE_GO, "\"\\u003ca\\u0026b\\u003e\"");
        expect_escape("\b\f\x01\x1f", 4, JSON_ESCAPE_GO, "\"\\u0008\\u000c\\u0001\\u001f\"");
        expect_escape("\xe2\x80\xa8\xe2\x80\xa9", 6, JSON_ESCAPE_GO, "\"\\u2028\\u2029\"");
        /* invalid UTF-8: one U+FFFD per bad byte, valid text around it unchanged */
        expect_escape("a\xff" "b", 3, JSON_ESCAPE_GO, "\"a\\ufffdb\"");
        expect_escape("\xc3\xa9\xc3", 3, JSON_ESCAPE_GO, "\"\xc3\xa9\\ufffd\"");
        expect_escape("\xed\xa0\x80", 3, JSON_ESCAPE_GO, "\"\\ufffd\\ufffd\\ufffd\"");
        expect_escape("a\0b", 3, JSON_ESCAPE_GO, "\"a\\u0000b\"");
        expect_escape("", 0, JSON_ESCAPE_GO, "\"\"");
}

TEST(escape_zerolog) {
        expect_escape("<\b\f>\x7f", 5, JSON_ESCAPE_ZEROLOG, "\"<\\b\\f>\x7f\"");
        expect_escape("\xe2\x80\xa8", 3, JSON_ESCAPE_ZEROLOG, "\"\xe2\x80\xa8\"");
        expect_escape("x\xfe", 2, JSON_ESCAPE_ZEROLOG, "\"x\\ufffd\"");
}

TEST(escape_journalctl) {
        expect_escape("<\b\f\x02>", 5, JSON_ESCAPE_JOURNALCTL, "\"<\\b\\f\\u0002>\"");
        /* journalctl checks validity before; the escaper passes bytes through */
        expect_escape("\xff", 1, JSON_ESCAPE_JOURNALCTL, "\"\xff\"");
}

TEST(escape_alloc) {
        _cleanup_free_ char *s = json_escape("a\"b", JSON_ESCAPE_GO);

        ASSERT_STREQ(s, "\"a\\\"b\"");
}

TEST(print_fixes_utf8) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        _cleanup_free_ char *s = NULL;

        ASSERT_NOT_NULL(o);
        ASSERT_NOT_NULL(cJSON_AddStringToObject(o, "logs", "a\xff" "b caf\xc3\xa9"));
        s = json_print(o);
        ASSERT_STREQ(s, "{\"logs\":\"a\\ufffdb caf\xc3\xa9\"}");
}

TEST(print_valid_unchanged) {
        _cleanup_json_ cJSON *a = cJSON_CreateArray();
        _cleanup_free_ char *s = NULL;

        ASSERT_NOT_NULL(a);
        cJSON_AddItemToArray(a, cJSON_CreateString("\xe2\x82\xac"));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(3));
        s = json_print(a);
        ASSERT_STREQ(s, "[\"\xe2\x82\xac\",3]");
}

TEST(text_fix_utf8) {
        char in[] = "\xff\xfe" "ok";
        size_t n;
        _cleanup_free_ char *out = json_text_fix_utf8(in, 4, &n);

        ASSERT_STREQ(out, "\\ufffd\\ufffdok");
        ASSERT_EQ(n, 14u);
}

DEFINE_TEST_MAIN();
