/* Readiness and liveness probes (compat §1.4.1) on the caller's sd-event loop.
 *
 * A Probe runs one check after initial_delay_seconds and then one every period_seconds, and reports each
 * result through its callback. Nothing blocks the loop:
 *   - exec probes are spawned (posix_spawn, own process group, stdio on /dev/null) and watched with
 *     sd_event_add_child(); at timeout_seconds the whole process group gets SIGKILL and the check fails
 *     with "timeout". sd_event_add_child() needs SIGCHLD blocked in every thread of the process:
 *     probe_new() blocks it in the calling thread if it is not blocked yet, so create the first probe
 *     (or block SIGCHLD yourself) before starting any thread.
 *   - http_get probes use libcurl's multi interface driven by sd-event io and time sources. Debian's
 *     libcurl resolves names with its threaded resolver, so a host name does not block the loop either.
 *
 * Failure counting follows process-compose: consecutive failures are counted, and the check whose count
 * reaches failure_threshold is reported as fatal; the count then starts again from zero, so a probe that
 * keeps failing is fatal again every failure_threshold checks. A success resets the count.
 * success_threshold is accepted and ignored, as in process-compose.
 *
 * The error texts are what the log lines "Error: readiness check fail - <err>" and "Error: liveness check
 * fail - <err>" show: "exit status 3", "signal: killed", "timeout", "Received status code '500' does not
 * match expected status code '200'", "Ran into error while performing 'GET' request: <reason>". */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "shared/macro.h"

typedef struct Probe Probe;

typedef enum ProbeKind {
        PROBE_EXEC,
        PROBE_HTTP_GET,
        _PROBE_KIND_MAX,
        _PROBE_KIND_INVALID = -EINVAL,
} ProbeKind;

typedef struct ProbeHeader {
        const char *name;
        const char *value;
} ProbeHeader;

/* Limits on what a probe config may hold (compose input is client-controlled). */
#define PROBE_HEADERS_MAX 64
#define PROBE_HEADER_SIZE_MAX 8192
#define PROBE_URL_MAX 8192
#define PROBE_SECONDS_MAX (7 * 24 * 3600)

typedef struct ProbeConfig {
        ProbeKind kind;

        /* exec: argv[0] is looked up in pcctl's PATH (the core area passes [shell, shell_arg, command]).
         * environment is the full environment of the check ("K=V"; NULL: pcctl's own). working_directory
         * NULL: pcctl's. */
        char * const *argv;
        char * const *environment;
        const char *working_directory;
        /* exec, --system mode: run the check as this user and group (names or numeric ids), as
         * process-compose runs probes as the process's user. Needs root. NULL: pcctl's user. With a user
         * the check is forked (the user is looked up in the child) instead of posix_spawn'ed. */
        const char *user;
        const char *group;

        /* http_get: scheme://host[:port]path. NULL fields take the defaults; port <= 0 or > 65535 means no
         * port in the URL; status_code < 1 or >= 400 means 200. */
        const char *host;            /* "127.0.0.1" */
        const char *scheme;          /* "http"; "http" or "https" */
        const char *path;            /* "/" */
        int port;
        const ProbeHeader *headers;
        size_t n_headers;
        int status_code;

        /* Values below 1 take the defaults in brackets (initial_delay_seconds: below 0). */
        int initial_delay_seconds;   /* [0] */
        int period_seconds;          /* [10] */
        int timeout_seconds;         /* [1] */
        int success_threshold;       /* [1], unused */
        int failure_threshold;       /* [3] */
} ProbeConfig;

/* Called after every check. ok: the check passed. fatal: failure number failure_threshold in a row.
 * error: why it failed (NULL when ok). The callback may call probe_stop(), probe_start() or probe_free()
 * on this probe. */
typedef void (*ProbeCallback)(Probe *p, bool ok, bool fatal, const char *error, void *userdata);

/* Copies everything it needs from config. -EINVAL for a config that can never work (no argv, a scheme
 * other than http/https, a header with CR/LF, a URL libcurl refuses, over a limit); -ENOMEM. */
int probe_new(sd_event *event, const ProbeConfig *config, ProbeCallback callback, void *userdata,
              Probe **ret);
/* Starts checking: the first check after initial_delay_seconds. Restarts (and resets the failure count)
 * if already started. */
int probe_start(Probe *p);
/* Stops checking; a running exec check is killed (its process group gets SIGKILL), a running request is
 * dropped, and no callback follows. */
void probe_stop(Probe *p);
Probe *probe_free(Probe *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Probe *, probe_free);

bool probe_is_running(const Probe *p);
/* The URL an http_get probe requests (for logs), NULL for exec probes. */
const char *probe_get_url(const Probe *p);

const char *probe_kind_to_string(ProbeKind k);
ProbeKind probe_kind_from_string(const char *s);
