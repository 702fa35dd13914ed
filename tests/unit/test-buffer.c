/* shared/buffer.c: appends, printf, the size cap and the sticky error. */
#include "shared/buffer.h"
#include "tests.h"

TEST(append_and_steal) {
        Buffer b = {};
        _cleanup_free_ char *s = NULL;
        size_t n;

        ASSERT_OK(buffer_append_str(&b, "ab"));
        ASSERT_OK(buffer_append(&b, "c\0d", 3));
        ASSERT_OK(buffer_append_char(&b, '!'));
        ASSERT_OK(buffer_printf(&b, "%d-%s", 42, "x"));
        ASSERT_EQ(b.len, 10u);
        ASSERT_TRUE(memcmp(b.data, "abc\0d!42-x", 11) == 0);
        s = buffer_steal(&b, &n);
        ASSERT_EQ(n, 10u);
        ASSERT_NULL(b.data);
        ASSERT_EQ(b.len, 0u);
}

TEST(empty_steal_is_empty_string) {
        Buffer b = {};
        _cleanup_free_ char *s = buffer_steal(&b, NULL);

        ASSERT_STREQ(s, "");
}

TEST(grows_past_many_reallocations) {
        Buffer b = {};

        for (int i = 0; i < 10000; i++)
                ASSERT_OK(buffer_printf(&b, "%04d", i % 10000));
        ASSERT_EQ(b.len, 40000u);
        ASSERT_TRUE(strneq(b.data + 4 * 9999, "9999", 4));
        ASSERT_EQ(b.data[b.len], 0);
        buffer_done(&b);
}

TEST(cap_is_sticky) {
        Buffer b = BUFFER_INIT_MAX(5);

        ASSERT_OK(buffer_append_str(&b, "12345"));
        ASSERT_ERROR(buffer_append_char(&b, '6'), E2BIG);
        /* Once failed, later appends that would fit fail too, so one check at the end suffices. */
        ASSERT_ERROR(buffer_append(&b, "", 0), E2BIG);
        ASSERT_ERROR(buffer_printf(&b, "%s", ""), E2BIG);
        ASSERT_STREQ(b.data, "12345");
        ASSERT_NULL(buffer_steal(&b, NULL));
        /* steal resets, keeping the cap */
        ASSERT_EQ(b.max, 5u);
        ASSERT_OK(buffer_append_str(&b, "abc"));
        buffer_done(&b);
}

TEST(reserve_advance) {
        Buffer b = {};
        char *p = buffer_reserve(&b, 3);

        ASSERT_NOT_NULL(p);
        memcpy(p, "xyz", 3);
        buffer_advance(&b, 2);
        ASSERT_STREQ(b.data, "xy");
        buffer_truncate(&b, 1);
        ASSERT_STREQ(b.data, "x");
        buffer_truncate(&b, 5);         /* never grows */
        ASSERT_EQ(b.len, 1u);
        buffer_done(&b);
}

DEFINE_TEST_MAIN();
