/* pcctl project: the state of the running project, whether it is ready, and a live update from files loaded
 * here (POST /project). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-render.h"
#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/json-util.h"
#include "shared/strv.h"

enum {
        ARG_WITH_MEMORY = 0x100,
        ARG_WAIT,
};

typedef struct ProjectArgs {
        bool with_memory, wait, verbose;
        char **files, **namespaces;
} ProjectArgs;

static void project_args_done(ProjectArgs *a) {
        strv_free(a->files);
        strv_free(a->namespaces);
}

static void project_help(void) {
        printf("Usage: pcctl project COMMAND [OPTIONS...]\n\n"
               "Execute operations on a running project.\n\n"
               "Commands:\n"
               "  state [--with-memory]       Show the project state\n"
               "  is-ready [--wait]           Exit 0 when every process is ready, else 1 (--wait: poll every 1 s)\n"
               "  update -f FILE... [-v] [-n NS...]\n"
               "                              Load FILE(s) here and apply them to the running project\n\n"
               "Options:\n"
               "      --with-memory      state: include the controller's memory\n"
               "      --wait             is-ready: wait until the project is ready\n"
               "  -f, --config FILE      update: configuration file (repeatable; env PC_CONFIG_FILES)\n"
               "  -n, --namespace NS     update: admit only these namespaces (repeatable; env PC_NAMESPACES)\n"
               "  -v, --verbose          update: print a table of what changed\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

static int project_state(HttpClient *c, bool with_memory) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = http_client_call(c, "GET", with_memory ? "/project/state?withMemory=true" : "/project/state?withMemory=false",
                             NULL, false, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get project state");
        if (!cJSON_IsObject(j))
                return cli_fail(-EPROTO, "invalid response: not an object", "failed to get project state");
        r = client_project_state_print(stdout, j, cli_use_color());
        if (r < 0)
                return cli_fail(r, NULL, "failed to print project state");
        return EXIT_SUCCESS;
}

/* One readiness check: 0 ready, 1 not ready (message in *ret_message), -errno when the API failed. */
static int check_ready(HttpClient *c, char **ret_message, char **ret_error) {
        _cleanup_json_ cJSON *j = NULL;
        cJSON *data;
        int r;

        r = http_client_call(c, "GET", "/processes", NULL, false, &j, NULL, ret_error);
        if (r < 0)
                return r;
        data = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!cJSON_IsArray(data)) {
                free(*ret_error);
                *ret_error = strdup("invalid response: no \"data\" array");
                return -EPROTO;
        }
        client_states_sort(data);
        r = client_not_ready_message(data, ret_message);
        if (r < 0)
                return r;
        return *ret_message ? 1 : 0;
}

static int project_is_ready(HttpClient *c, bool wait) {
        for (;;) {
                _cleanup_free_ char *msg = NULL, *err = NULL;
                int r;

                r = check_ready(c, &msg, &err);
                if (r == 0)
                        return EXIT_SUCCESS;
                /* A wrong token never heals; anything else (not ready yet, controller still starting) may. */
                if (!wait || r == -EACCES) {
                        if (r > 0) {
                                fprintf(stderr, "%s\n", msg);
                                return EXIT_FAILURE;
                        }
                        return cli_fail(r, err, "failed to check readiness");
                }
                (void) nanosleep(&(struct timespec) { .tv_sec = 1 }, NULL);
        }
}

static int project_update(HttpClient *c, ComposeLoadOptions *lo, bool verbose) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_json_ cJSON *body = NULL, *j = NULL;
        _cleanup_free_ char *err = NULL, *cerr = NULL;
        ComposeError e = {};
        const cJSON *v;
        long status = 0;
        size_t n = 0;
        int r;

        r = compose_load(lo, &p, &e);
        if (r < 0) {
                cerr = compose_error_format(&e);
                compose_error_done(&e);
                return cli_fail(r, cerr, "Failed to load project");
        }
        body = compose_project_to_json(p);
        if (!body)
                return cli_fail(-ENOMEM, NULL, "Failed to update project");

        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", "/project", body, true, &j, &status, &err);
        if (r < 0)
                return cli_fail(r, err, "Failed to update project");
        if (!cJSON_IsObject(j))
                return cli_fail(-EPROTO, "invalid response: not an object", "Failed to update project");

        cJSON_ArrayForEach(v, j)
                n++;
        if (n == 0) {
                printf("No processes were updated\n");
                return EXIT_SUCCESS;
        }
        if (verbose) {
                r = client_update_print_table(stdout, j);
                if (r < 0)
                        return cli_fail(r, NULL, "Failed to update project");
        } else
                printf("Project updated successfully\n");

        /* 207: some processes could not be updated; say which, and fail (process-compose exits 0 here). */
        if (status == 207) {
                _cleanup_strv_free_ char **failed = NULL;
                _cleanup_free_ char *list = NULL;
                cJSON_ArrayForEach(v, j)
                        if (!cJSON_IsString(v) || streq(v->valuestring, "error"))
                                if (strv_extend(&failed, strempty(v->string)) < 0)
                                        return cli_fail(-ENOMEM, NULL, "Failed to update project");
                strv_sort(failed);
                list = strv_join(failed, "', '");
                fprintf(stderr, "Failed to update: '%s'\n", strempty(list));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

static int project_parse(int c, const char *arg, void *userdata) {
        ProjectArgs *a = userdata;

        switch (c) {
        case ARG_WITH_MEMORY:
                a->with_memory = true;
                return 0;
        case ARG_WAIT:
                a->wait = true;
                return 0;
        case 'f':
        case 'n':
                if (strv_extend(c == 'f' ? &a->files : &a->namespaces, arg) < 0) {
                        cli_fail(-ENOMEM, NULL, "out of memory");
                        return -1;
                }
                return 0;
        case 'v':
                a->verbose = true;
                return 0;
        }
        cli_usage_error("project", "invalid option");
        return -1;
}

/* project update: the files and namespaces given, over PC_CONFIG_FILES and PC_NAMESPACES. */
static int run_update(ProjectArgs *a, ClientOptions *o) {
        _cleanup_(compose_load_options_done) ComposeLoadOptions lo = {};
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        int r;

        compose_load_options_init(&lo);
        r = compose_load_options_from_env(&lo, NULL);
        if (r < 0)
                return cli_fail(r, NULL, "Failed to load project");
        if (a->files) {
                /* -f replaces PC_CONFIG_FILES, as a flag replaces its default in cobra */
                strv_free(lo.files);
                lo.files = TAKE_PTR(a->files);
        }
        if (!lo.files)
                return cli_usage_error("project update", "required flag(s) \"config\" not set");
        if (a->namespaces) {
                strv_free(lo.namespaces);
                lo.namespaces = TAKE_PTR(a->namespaces);
        }
        if (cli_open_client(o, &c) < 0)
                return EXIT_FAILURE;
        return project_update(c, &lo, a->verbose);
}

int verb_project(int argc, char **argv) {
        static const struct option options[] = {
                { "with-memory", no_argument,       NULL, ARG_WITH_MEMORY },
                { "wait",        no_argument,       NULL, ARG_WAIT },
                { "config",      required_argument, NULL, 'f' },
                { "namespace",   required_argument, NULL, 'n' },
                { "verbose",     no_argument,       NULL, 'v' },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_(project_args_done) ProjectArgs a = {};
        const CliVerbOptions v = {
                .verb = "project", .short_options = "f:n:v", .options = options, .parse = project_parse,
                .help = project_help,
        };
        const char *sub;
        int r, n, ind;

        r = cli_parse_options(argc, argv, &v, &o, &a, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        n = argc - ind;
        if (n == 0) {
                project_help();
                return EXIT_FAILURE;
        }
        sub = argv[ind];
        if (n > 1)
                return cli_usage_error("project", "'%s' takes no arguments, got '%s'", sub, argv[ind + 1]);

        if (a.with_memory && !streq(sub, "state"))
                return cli_usage_error("project", "--with-memory applies to 'state' only");
        if (a.wait && !streq(sub, "is-ready"))
                return cli_usage_error("project", "--wait applies to 'is-ready' only");
        if ((a.files || a.namespaces || a.verbose) && !streq(sub, "update"))
                return cli_usage_error("project", "-f, -n and -v apply to 'update' only");

        if (streq(sub, "update"))
                return run_update(&a, &o);
        if (!streq(sub, "state") && !streq(sub, "is-ready"))
                return cli_usage_error("project", "unknown command '%s'", sub);
        if (cli_open_client(&o, &c) < 0)
                return EXIT_FAILURE;
        return streq(sub, "state") ? project_state(c, a.with_memory) : project_is_ready(c, a.wait);
}
