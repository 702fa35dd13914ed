/* Common options of the client verbs (compat §4.1): where the controller's API is and how to authenticate.
 *
 * Every client verb accepts -a/--address, -p/--port, -u/--unix-socket, -U/--use-uds and --token-file, with
 * the environment variables PC_ADDRESS, PC_PORT_NUM, PC_SOCKET_PATH, PC_API_TOKEN_PATH and PC_API_TOKEN.
 * Precedence: a flag beats its variable, a variable beats the default; PC_API_TOKEN beats any token file.
 *
 * Use inside a verb's getopt_long() loop:
 *
 *         _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
 *         static const struct option options[] = { CLIENT_OPTIONS_LONG, { "output", required_argument, NULL,
 *                                                  'o' }, {} };
 *         r = client_options_from_env(&o, &err);                  (fatal on an invalid PC_PORT_NUM)
 *         while ((c = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "o:", options, NULL)) >= 0) {
 *                 r = client_options_parse(&o, c, optarg, &err);  (> 0 consumed, 0 not ours, < 0 bad value)
 *                 ...
 *         }
 *         r = client_options_finish(&o, &err);                    (token file, -U socket discovery)
 *
 * Functions here do not log: on failure they return -errno and, where given, a message in *ret_error
 * (allocated, for the caller to print). */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/macro.h"

#define CLIENT_DEFAULT_ADDRESS "localhost"
#define CLIENT_DEFAULT_PORT 8080
/* Longest token read from a token file; the server needs >= 20 characters, real tokens are far shorter. */
#define CLIENT_TOKEN_MAX 4096

enum {
        CLIENT_OPTION_TOKEN_FILE = 0x1000,
};

#define CLIENT_OPTIONS_SHORT "a:p:u:U"
#define CLIENT_OPTIONS_LONG                                                             \
        { "address",     required_argument, NULL, 'a' },                                \
        { "port",        required_argument, NULL, 'p' },                                \
        { "unix-socket", required_argument, NULL, 'u' },                                \
        { "use-uds",     no_argument,       NULL, 'U' },                                \
        { "token-file",  required_argument, NULL, CLIENT_OPTION_TOKEN_FILE }

/* The usage text of the common options, for the verbs' --help. */
#define CLIENT_OPTIONS_HELP                                                                     \
        "  -a, --address ADDR     Address of the controller (env PC_ADDRESS, default localhost)\n"  \
        "  -p, --port PORT        Port of the controller (env PC_PORT_NUM, default 8080)\n"         \
        "  -u, --unix-socket PATH Talk to the controller over this unix socket (env PC_SOCKET_PATH)\n" \
        "  -U, --use-uds          Use a unix socket: -u/PC_SOCKET_PATH, else the one socket\n"      \
        "                         $TMPDIR/process-compose-*.sock that accepts connections\n"        \
        "      --token-file PATH  Read the API token from PATH (env PC_API_TOKEN_PATH;\n"           \
        "                         PC_API_TOKEN wins)\n"

typedef struct ClientOptions {
        char *address;          /* TCP host name or address; IPv6 literals without brackets */
        uint16_t port;
        bool use_uds;           /* -U, -u or PC_SOCKET_PATH */
        char *socket_path;      /* set by -u/PC_SOCKET_PATH, or by client_options_finish() for -U */
        char *token_file;       /* --token-file or PC_API_TOKEN_PATH */
        char *token;            /* resolved by client_options_finish(); NULL = no auth header */
} ClientOptions;

#define CLIENT_OPTIONS_INIT { .port = CLIENT_DEFAULT_PORT }

void client_options_done(ClientOptions *o);

/* Applies PC_ADDRESS, PC_PORT_NUM, PC_SOCKET_PATH, PC_API_TOKEN_PATH. -EINVAL for an invalid port. */
int client_options_from_env(ClientOptions *o, char **ret_error);

/* Handles one getopt_long() result. Returns 1 if it was a client option, 0 if not, -errno for a bad value. */
int client_options_parse(ClientOptions *o, int c, const char *arg, char **ret_error);

/* After parsing: resolves the token (PC_API_TOKEN, else the token file, trimmed) and, for -U without a path,
 * discovers the socket. -ENOENT/-ENOTUNIQ when discovery finds no or several live sockets. */
int client_options_finish(ClientOptions *o, char **ret_error);

/* Parses a TCP port 1..65535 (decimal only, no sign, no spaces). */
int client_parse_port(const char *s, uint16_t *ret);

/* "http://localhost:8080" for TCP (IPv6 literals bracketed), "http://unix" over a unix socket. */
int client_options_base_url(const ClientOptions *o, char **ret);

/* "X-PC-Token-Key: <token>", or NULL in *ret when no token is set. */
int client_options_auth_header(const ClientOptions *o, char **ret);

/* Human description of the target for messages: "localhost:8080" or "unix socket /run/x.sock". */
int client_options_describe(const ClientOptions *o, char **ret);

/* Percent-encodes s as one URL path segment: everything but RFC 3986 unreserved characters is escaped, so
 * '/' becomes %2F and '+' becomes %2B (the server decodes '+' as a space otherwise). */
int client_escape_segment(const char *s, char **ret);

/* Default directory of -U sockets: $TMPDIR or /tmp. */
const char *client_tmpdir(void);
