/* shared/url-util.c: percent-decoding, and the query string as Go's net/url.ParseQuery reads it. */
#include "shared/url-util.h"
#include "tests.h"

static void expect(const char *query, const char *key, int r, const char *value) {
        _cleanup_free_ char *v = NULL;

        ASSERT_EQ(url_query_get(query, key, &v), r);
        if (value)
                ASSERT_STREQ(v, value);
        else
                ASSERT_NULL(v);
}

TEST(unescape) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        ASSERT_OK(url_unescape("a+b%2B%2fc", 10, true, &a));
        ASSERT_STREQ(a, "a b+/c");
        /* path segments keep '+' */
        ASSERT_OK(url_unescape("a+b", 3, false, &b));
        ASSERT_STREQ(b, "a+b");
}

TEST(unescape_refused) {
        char *v = NULL;

        ASSERT_ERROR(url_unescape("%zz", 3, true, &v), EINVAL);
        ASSERT_ERROR(url_unescape("a%4", 3, true, &v), EINVAL);
        ASSERT_ERROR(url_unescape("%00", 3, true, &v), EINVAL);
        ASSERT_ERROR(url_unescape("a\0b", 3, true, &v), EINVAL);
        ASSERT_NULL(v);
}

TEST(query_plus_is_space) {
        /* Go's url.QueryUnescape: '+' is a space in a query, "%2B" a plus sign. */
        expect("name=a+b", "name", 1, "a b");
        expect("name=a%2Bb", "name", 1, "a+b");
        expect("name=a%20b%2Fc", "name", 1, "a b/c");
}

TEST(query_keys_are_unescaped) {
        /* Go unescapes the key as well: "na%6De" is "name", "my+key" is "my key". */
        expect("na%6De=web", "name", 1, "web");
        expect("my+key=1", "my key", 1, "1");
        expect("my+key=1", "my+key", 0, NULL);
}

TEST(query_first_value) {
        expect("a=1&name=x&name=y", "name", 1, "x");
        expect("name", "name", 1, "");
        expect("name=", "name", 1, "");
        expect("names=x", "name", 0, NULL);
        expect("", "name", 0, NULL);
        expect(NULL, "name", 0, NULL);
        expect("&&name=z&", "name", 1, "z");
}

TEST(query_malformed) {
        /* A pair with ';' is skipped (Go 1.17+), so is one whose key does not unescape. */
        expect("name=a;b&name=c", "name", 1, "c");
        expect("na%zzme=a&name=b", "name", 1, "b");
        /* A bad value of the key asked for is reported; the caller decides (400, or absent). */
        expect("name=%zz&offset=1", "name", -EINVAL, NULL);
        expect("name=%zz&offset=1", "offset", 1, "1");
}

DEFINE_TEST_MAIN();
