/* shared/macro.h: IN_SET and the cleanup/ownership helpers. */
#include "shared/macro.h"
#include "tests.h"

typedef enum Color { RED, GREEN, BLUE, _COLOR_MAX } Color;

TEST(in_set) {
        Color c = GREEN;
        char ch = '&';
        int calls = 0;

        ASSERT_TRUE(IN_SET(c, RED, GREEN));
        ASSERT_FALSE(IN_SET(c, RED, BLUE));
        ASSERT_TRUE(IN_SET(c, GREEN));
        ASSERT_TRUE(IN_SET(ch, '<', '>', '&'));
        ASSERT_FALSE(IN_SET(ch, '<', '>'));
        ASSERT_TRUE(IN_SET(-EAGAIN, -EINTR, -EAGAIN));
        /* x is evaluated once */
        ASSERT_TRUE(IN_SET((calls++, 5), 4, 5, 6));
        ASSERT_EQ(calls, 1);
}

TEST(take_ptr) {
        _cleanup_free_ char *p = strdup("x");
        char *q;

        ASSERT_NOT_NULL(p);
        q = TAKE_PTR(p);
        ASSERT_NULL(p);
        free(q);
}

DEFINE_TEST_MAIN();
