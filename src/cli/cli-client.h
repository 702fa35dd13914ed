/* Plumbing shared by the client verbs (verb-process.c, verb-project.c, verb-namespace.c, verb-down.c,
 * verb-graph.c, verb-process-logs.c): process-compose's messages and exit codes (compat §4.3), opening the
 * API client, one getopt driver that adds the common client options to a verb's own, and the one table of
 * the options that take a separate value, which finds a verb or a subcommand among the arguments. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "client/client-options.h"
#include "client/http-client.h"
#include "shared/macro.h"
#include "ws/ws-session.h"

/* Colour on a terminal unless NO_COLOR is set. */
bool cli_use_color(void);

/* One "Key:   value" line of `version` and `info`, in process-compose's "%-15s %s" layout. */
void cli_print_field(const char *key, const char *value);

/**
 * cli_fail() - report a fatal client error as process-compose's log.Fatal() does
 * @r: the error (-errno); -EACCES with @error prints @error alone, as process-compose's transport does
 * @error: the detail, or NULL for strerror(-r)
 * @format: what failed
 *
 * Prints "<what>: <error>" on stderr.
 *
 * Return: EXIT_FAILURE.
 */
int cli_fail(int r, const char *error, const char *format, ...) _printf_(3, 4);

/* "pcctl VERB: <message>" and the hint to --help on stderr; returns EXIT_FAILURE. */
int cli_usage_error(const char *verb, const char *format, ...) _printf_(2, 3);

/* Checks the count of positional arguments: 0, or -1 after a usage error. max < 0: no upper bound. */
int cli_need_args(const char *verb, int have, int min, int max, const char *what);

/* Finishes the common options and opens the client: 0, or -1 after printing the error. */
int cli_open_client(ClientOptions *o, HttpClient **ret);

typedef struct CliVerbOptions {
        const char *verb;               /* for messages: "pcctl VERB: invalid option" */
        const char *short_options;      /* the verb's own short options ("o:v"); -h is added */
        const struct option *options;   /* the verb's own long options, {} terminated; --help is added */
        /* One of the verb's own options: 0, or -1 after printing an error. */
        int (*parse)(int c, const char *arg, void *userdata);
        void (*help)(void);
} CliVerbOptions;

/**
 * cli_parse_options() - parse a client verb's options
 * @argc: argument count
 * @argv: the arguments, argv[0] being the verb
 * @v: the verb's own options
 * @o: the common client options, first taken from the environment
 * @userdata: passed to @v->parse
 * @ret_optind: the index of the first positional argument (GNU getopt moves them to the end)
 *
 * Options may come before or after the positional arguments, as with process-compose's cobra.
 *
 * Return: 0 parsed; 1 when --help was printed; -1 after printing an error (exit 1).
 */
int cli_parse_options(int argc, char **argv, const CliVerbOptions *v, ClientOptions *o, void *userdata,
                      int *ret_optind);

/**
 * cli_option_takes_value() - whether an option takes the next argument as its value
 * @arg: one argument, such as "-u" or "--port"
 *
 * Only for finding the verb or the subcommand before getopt runs ("pcctl -u /run/x.sock list" must not take
 * the path for the verb): one table of every such option of every verb. "--port=8080" and "-p8080" carry
 * their value and take nothing.
 */
bool cli_option_takes_value(const char *arg);

/**
 * cli_ws_open() - open one of the controller's WebSocket streams (logs, states, terminal)
 * @o: the finished client options (where the controller is, the token)
 * @path: the path and query of the stream, already escaped
 * @e: the loop the session runs on
 * @max_message: the largest message accepted from the server
 * @ops: the session's callbacks; @userdata is theirs
 * @ret: the session, in client mode (no pings of its own: it answers the server's)
 *
 * Prints what went wrong itself: the server's refusal (its error text), a failed authentication, a transport
 * error.
 *
 * Return: 0, or -1 after printing the error.
 */
int cli_ws_open(const ClientOptions *o, const char *path, sd_event *e, size_t max_message, const WsSessionOps *ops,
                void *userdata, WsSession **ret);

/* Index of the first positional argument of argv[start..], skipping the values of options; -1 if none. */
int cli_first_positional(int argc, char **argv, int start);
