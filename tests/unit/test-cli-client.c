/* src/cli/cli-client.c: the one table of options that take a value, which finds a verb or a subcommand among
 * the arguments before getopt runs. */
#include "cli/cli-client.h"
#include "tests.h"

TEST(takes_value) {
        ASSERT_TRUE(cli_option_takes_value("-u"));
        ASSERT_TRUE(cli_option_takes_value("--unix-socket"));
        ASSERT_TRUE(cli_option_takes_value("-o"));
        ASSERT_TRUE(cli_option_takes_value("--tail"));
        /* process logs --since-seq N: its value is not the subcommand */
        ASSERT_TRUE(cli_option_takes_value("--since-seq"));
        ASSERT_FALSE(cli_option_takes_value("--port=8080"));
        ASSERT_FALSE(cli_option_takes_value("-U"));
        ASSERT_FALSE(cli_option_takes_value("-v"));
        ASSERT_FALSE(cli_option_takes_value("--follow"));
}

TEST(first_positional) {
        char *a[] = { (char *) "process", (char *) "-u", (char *) "/run/x.sock", (char *) "--since-seq",
                      (char *) "5", (char *) "-U", (char *) "logs", (char *) "web", NULL };
        char *b[] = { (char *) "process", (char *) "-v", (char *) "--", (char *) "-x", NULL };
        char *c[] = { (char *) "process", (char *) "-o", (char *) "json", NULL };

        ASSERT_EQ(cli_first_positional(8, a, 1), 6);
        ASSERT_EQ(cli_first_positional(8, a, 7), 7);
        ASSERT_EQ(cli_first_positional(4, b, 1), 3);
        ASSERT_EQ(cli_first_positional(3, c, 1), -1);
}

DEFINE_TEST_MAIN();
