/* journalctl-compatible output helpers: systemd's notion of printable text and the mode names. (The byte
 * identity of whole entries is checked against the real journalctl in tests/integration/test-logs-cli.py.) */
#include <string.h>

#include "journal/journal-output.h"
#include "tests.h"

#define P(s, nl) journal_utf8_is_printable(s, sizeof(s) - 1, nl)

TEST(printable) {
        ASSERT_TRUE(P("", true));
        ASSERT_TRUE(P("plain text", true));
        ASSERT_TRUE(P("tab\there", false));
        ASSERT_TRUE(P("two\nlines", true));
        ASSERT_FALSE(P("two\nlines", false));
        ASSERT_TRUE(P("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", true));
        ASSERT_FALSE(P("nul\0byte", true));
        ASSERT_FALSE(P("cr\r", true));
        ASSERT_FALSE(P("esc\x1b[0m", true));
        ASSERT_FALSE(P("del\x7f", true));
        ASSERT_FALSE(P("c1 \xc2\x85", true));                 /* U+0085 is a C1 control */
        ASSERT_TRUE(P("\xc2\xa0", true));                     /* U+00A0 is not */
        ASSERT_FALSE(P("bad\xff", true));
        ASSERT_FALSE(P("truncated\xe2\x9c", true));
        ASSERT_FALSE(P("overlong\xc0\xaf", true));
        ASSERT_FALSE(P("surrogate\xed\xa0\x80", true));
        ASSERT_FALSE(P("noncharacter\xef\xbf\xbe", true));    /* U+FFFE */
        ASSERT_FALSE(P("reserved\xef\xb7\x90", true));        /* U+FDD0 */
        ASSERT_FALSE(P("beyond\xf4\x90\x80\x80", true));      /* U+110000 */
}

TEST(modes) {
        for (int m = 0; m < _JOURNAL_OUTPUT_MAX; m++) {
                const char *s = journal_output_mode_to_string((JournalOutputMode) m);

                ASSERT_NOT_NULL(s);
                ASSERT_EQ(journal_output_mode_from_string(s), m);
        }
        ASSERT_EQ(journal_output_mode_from_string("short"), JOURNAL_OUTPUT_SHORT);
        ASSERT_EQ(journal_output_mode_from_string("json-pretty"), JOURNAL_OUTPUT_JSON_PRETTY);
        ASSERT_EQ(journal_output_mode_from_string("json-sse"), _JOURNAL_OUTPUT_INVALID);
        ASSERT_EQ(journal_output_mode_from_string(NULL), _JOURNAL_OUTPUT_INVALID);
        ASSERT_NULL(journal_output_mode_to_string(_JOURNAL_OUTPUT_MAX));
}

DEFINE_TEST_MAIN();
