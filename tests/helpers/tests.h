/* A small unit-test harness in the style of systemd's TEST() macros.
 *
 *         TEST(ring_wraps) {
 *                 ASSERT_EQ(ring_count(r), 3u);
 *         }
 *         DEFINE_TEST_MAIN();
 *
 * Each TEST() registers itself at load time. main() runs them in order; a failed ASSERT aborts the whole
 * executable with the file, line and both values, so meson records a failure. Arguments on the command line
 * select tests by name. log_tests_skipped() exits 77, which meson counts as a skip. */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/macro.h"

typedef struct TestCase {
        const char *name;
        void (*func)(void);
} TestCase;

#define TESTS_MAX 512
extern TestCase tests_registry[TESTS_MAX];
extern size_t tests_n;

#define TEST(name)                                                                      \
        static void test_##name(void);                                                  \
        __attribute__((constructor)) static void test_register_##name(void) {           \
                if (tests_n < TESTS_MAX)                                                \
                        tests_registry[tests_n++] = (TestCase) { #name, test_##name };  \
        }                                                                               \
        static void test_##name(void)

#define TEST_FAIL(...)                                                                  \
        do {                                                                            \
                fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
                fprintf(stderr, __VA_ARGS__);                                           \
                fputc('\n', stderr);                                                    \
                abort();                                                                \
        } while (0)

#define ASSERT_TRUE(expr)                                                               \
        do {                                                                            \
                if (!(expr))                                                            \
                        TEST_FAIL("assertion failed: %s", #expr);                       \
        } while (0)
#define ASSERT_FALSE(expr) ASSERT_TRUE(!(expr))

/* expr returns >= 0 on success, -errno on failure */
#define ASSERT_OK(expr)                                                                 \
        do {                                                                            \
                long _r_ = (long) (expr);                                               \
                if (_r_ < 0)                                                            \
                        TEST_FAIL("%s failed: %s (%ld)", #expr, strerror((int) -_r_), _r_); \
        } while (0)
#define ASSERT_ERROR(expr, err)                                                         \
        do {                                                                            \
                long _r_ = (long) (expr);                                               \
                if (_r_ != -(long) (err))                                               \
                        TEST_FAIL("%s: expected -%s, got %ld", #expr, #err, _r_);       \
        } while (0)

#define ASSERT_EQ(a, b)                                                                 \
        do {                                                                            \
                intmax_t _a_ = (intmax_t) (a), _b_ = (intmax_t) (b);                    \
                if (_a_ != _b_)                                                         \
                        TEST_FAIL("%s == %s: %jd != %jd", #a, #b, _a_, _b_);            \
        } while (0)
#define ASSERT_NE(a, b)                                                                 \
        do {                                                                            \
                intmax_t _a_ = (intmax_t) (a), _b_ = (intmax_t) (b);                    \
                if (_a_ == _b_)                                                         \
                        TEST_FAIL("%s != %s: both %jd", #a, #b, _a_);                   \
        } while (0)
#define ASSERT_UEQ(a, b)                                                                \
        do {                                                                            \
                uintmax_t _a_ = (uintmax_t) (a), _b_ = (uintmax_t) (b);                 \
                if (_a_ != _b_)                                                         \
                        TEST_FAIL("%s == %s: %ju != %ju", #a, #b, _a_, _b_);            \
        } while (0)
#define ASSERT_STREQ(a, b)                                                              \
        do {                                                                            \
                const char *_a_ = (a), *_b_ = (b);                                      \
                if (!_a_ || !_b_ || strcmp(_a_, _b_) != 0)                              \
                        TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                 \
                                  _a_ ?: "(null)", _b_ ?: "(null)");                    \
        } while (0)
#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

#define log_tests_skipped(reason)                                                       \
        ({                                                                              \
                fprintf(stderr, "SKIP: %s\n", reason);                                  \
                77;                                                                     \
        })

/* Creates a fresh temporary directory; the caller frees the string and may remove the tree. */
char *test_tmpdir(void);
/* Path of a file in tests/fixtures (PCCTL_TEST_FIXTURES), in a static buffer. */
const char *test_fixture(const char *name);

int tests_run_main(int argc, char **argv);
#define DEFINE_TEST_MAIN()                                                              \
        int main(int argc, char **argv) {                                               \
                return tests_run_main(argc, argv);                                      \
        }
