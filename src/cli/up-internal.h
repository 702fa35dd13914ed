/* What the files of `pcctl up` and `pcctl run` share: verb-up.c (the verbs and the controller's run),
 * up-args.c (the command line and the environment), up-claim.c (one controller per project), up-detach.c
 * (-D: the controller as a unit). */
#pragma once

#include <stdbool.h>

#include "compose/compose.h"
#include "core/state-file.h"
#include "http/http-server.h"

typedef struct UpArgs {
        ComposeLoadOptions load;
        HttpServerConfig http;
        char **selection;
        bool dry_run;
        bool tui;
        bool keep_project;
        bool no_watch;
        bool no_deps;
        bool logs_truncate;
        bool system;
        bool use_uds;
        bool detached;
        bool keep_running;
        bool recreate;
        char *token_file;
} UpArgs;

/* `pcctl run`: the foreground process, the caller's fds it gets, and the arguments after "--". */
typedef struct UpForeground {
        char **args;
        int fds[3];
} UpForeground;

void up_args_done(UpArgs *a);
/* `.pc_env` in the working directory into the environment, without overriding. */
void up_load_pc_env(void);
/* The environment, then the options (fg: run's). Return: 1 to go on, 0 after --help, -EINVAL (reported) on a
 * bad option. */
int up_parse_argv(int argc, char **argv, UpArgs *a, const UpForeground *fg);
/* The token, trimmed, from a file of at most 4 KiB. */
int up_read_token_file(const char *path, char **ret);
/* Where the API listens, as the state file and the messages name it. NULL without an API. */
char *up_api_address(const UpArgs *a);

/* up-claim.c */
void up_report_live_controller(const char *project, const char *dir);
int up_claim_project(const char *project, char **ret_dir, StateFile *ret_saved, bool *ret_have_saved);

/* up-detach.c */
int up_detach(int argc, char **argv, const char *self, const char *project, const UpArgs *a);
