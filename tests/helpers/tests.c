#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

TestCase tests_registry[TESTS_MAX];
size_t tests_n;

char *test_tmpdir(void) {
        char *t;

        if (asprintf(&t, "%s/pcctl-test-XXXXXX", getenv("TMPDIR") ?: "/tmp") < 0)
                return NULL;
        if (!mkdtemp(t)) {
                free(t);
                return NULL;
        }
        return t;
}

const char *test_fixture(const char *name) {
        static char buf[PATH_MAX];

        snprintf(buf, sizeof buf, "%s/%s", getenv("PCCTL_TEST_FIXTURES") ?: PCCTL_TEST_FIXTURES_DEFAULT, name);
        return buf;
}

int tests_run_main(int argc, char **argv) {
        size_t ran = 0;

        for (size_t i = 0; i < tests_n; i++) {
                bool selected = argc <= 1;

                for (int a = 1; a < argc; a++)
                        if (streq(argv[a], tests_registry[i].name))
                                selected = true;
                if (!selected)
                        continue;
                fprintf(stderr, "/* %s */\n", tests_registry[i].name);
                tests_registry[i].func();
                ran++;
        }
        fprintf(stderr, "%zu tests passed\n", ran);
        return ran == 0 && argc > 1 ? EXIT_FAILURE : EXIT_SUCCESS;
}
