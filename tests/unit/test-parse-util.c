/* shared/parse-util.c: strict decimal numbers, with Go's strconv errors (syntax vs range). */
#include "shared/parse-util.h"
#include "tests.h"

TEST(port) {
        uint16_t p = 0;

        ASSERT_OK(parse_port("8080", &p));
        ASSERT_EQ(p, 8080);
        ASSERT_OK(parse_port("65535", &p));
        ASSERT_EQ(p, 65535);
        ASSERT_OK(parse_port(" +1", &p));
        ASSERT_EQ(p, 1);
        ASSERT_ERROR(parse_port("0", &p), EINVAL);
        ASSERT_ERROR(parse_port("65536", &p), EINVAL);
        ASSERT_ERROR(parse_port("", &p), EINVAL);
        ASSERT_ERROR(parse_port("80x", &p), EINVAL);
        ASSERT_ERROR(parse_port("99999999999999999999", &p), EINVAL);
        ASSERT_EQ(p, 1);
}

TEST(u64) {
        uint64_t v = 7;

        ASSERT_OK(parse_u64("0", &v));
        ASSERT_UEQ(v, 0);
        ASSERT_OK(parse_u64("18446744073709551615", &v));
        ASSERT_UEQ(v, UINT64_MAX);
        ASSERT_ERROR(parse_u64("18446744073709551616", &v), ERANGE);
        ASSERT_ERROR(parse_u64("99999999999999999999999", &v), ERANGE);
        /* As Go: the first overflowing digit decides, even before a bad byte. */
        ASSERT_ERROR(parse_u64("99999999999999999999x", &v), ERANGE);
        v = 7;
        ASSERT_ERROR(parse_u64("", &v), EINVAL);
        ASSERT_ERROR(parse_u64(NULL, &v), EINVAL);
        ASSERT_ERROR(parse_u64("+1", &v), EINVAL);
        ASSERT_ERROR(parse_u64("-1", &v), EINVAL);
        ASSERT_ERROR(parse_u64(" 1", &v), EINVAL);
        ASSERT_ERROR(parse_u64("1 ", &v), EINVAL);
        ASSERT_ERROR(parse_u64("0x10", &v), EINVAL);
        ASSERT_UEQ(v, 7);       /* untouched on failure */
}

TEST(u64_len) {
        uint64_t v;

        ASSERT_OK(parse_u64_len("1234;rest", 4, &v));
        ASSERT_UEQ(v, 1234);
        ASSERT_ERROR(parse_u64_len("1234", 0, &v), EINVAL);
        ASSERT_ERROR(parse_u64_len("12;4", 4, &v), EINVAL);
        /* 20 digits within range: fine (a cap on the digit count would refuse it) */
        ASSERT_OK(parse_u64_len("10000000000000000000", 20, &v));
        ASSERT_UEQ(v, 10000000000000000000ull);
}

TEST(i64) {
        int64_t v = 7;

        ASSERT_OK(parse_i64("-9223372036854775808", &v));
        ASSERT_TRUE(v == INT64_MIN);
        ASSERT_OK(parse_i64("9223372036854775807", &v));
        ASSERT_TRUE(v == INT64_MAX);
        ASSERT_OK(parse_i64("+12", &v));
        ASSERT_EQ(v, 12);
        ASSERT_OK(parse_i64("-0", &v));
        ASSERT_EQ(v, 0);
        ASSERT_ERROR(parse_i64("9223372036854775808", &v), ERANGE);
        ASSERT_ERROR(parse_i64("-9223372036854775809", &v), ERANGE);
        ASSERT_ERROR(parse_i64("-", &v), EINVAL);
        ASSERT_ERROR(parse_i64("+-1", &v), EINVAL);
        ASSERT_ERROR(parse_i64("1e3", &v), EINVAL);
        ASSERT_ERROR(parse_i64("", &v), EINVAL);
}

DEFINE_TEST_MAIN();
