/* A small synchronous REST client for the controller's API (compat §3), on libcurl's easy interface.
 *
 * Client verbs are short-lived CLI processes, so blocking calls are right here (never in the controller's
 * loop). One HttpClient holds one curl handle, reused across calls (keep-alive over TCP).
 *
 * Errors: every call returns 0 or -errno. On failure *ret_error (when given) holds a message meant for the
 * user, worded as process-compose words it:
 *   - transport failure:  'Get "http://localhost:8080/processes": dial tcp 127.0.0.1:8080: connect:
 *                          connection refused'                                            -ECONNREFUSED etc.
 *   - 401:                'authentication failed: invalid or missing PC_API_TOKEN'        -EACCES
 *   - other non-2xx:      the server's {"error": "..."} text, else 'HTTP 404: 404 page not found'
 *                                                                                         -EBADMSG
 *   - a body that is not the expected JSON: 'invalid response from ...'                   -EPROTO
 * The functions do not log. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "client/client-options.h"
#include "shared/macro.h"

/* Largest response body accepted (64 MiB: /processes with thousands of processes fits many times). */
#define HTTP_CLIENT_BODY_MAX (64u * 1024u * 1024u)
/* Largest request body sent (project update of a large project). */
#define HTTP_CLIENT_REQUEST_MAX (16u * 1024u * 1024u)

#define HTTP_CLIENT_CONNECT_TIMEOUT_MS 10000u
/* Reads answer at once. Actions that wait for processes to stop (stop, restart, down, namespace, project
 * update) may legitimately take as long as the processes' shutdown timeouts, so they get the long one. */
#define HTTP_CLIENT_TIMEOUT_SHORT_MS 60000u
#define HTTP_CLIENT_TIMEOUT_LONG_MS 900000u

typedef struct HttpClient HttpClient;

typedef struct ClientResponse {
        long status;
        char *body;             /* NUL-terminated; may contain NULs from a broken server */
        size_t size;
} ClientResponse;

void client_response_done(ClientResponse *r);

int http_client_new(const ClientOptions *o, HttpClient **ret, char **ret_error);
HttpClient *http_client_free(HttpClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpClient *, http_client_free);

/* Total time limit of the following requests (0 = none). */
void http_client_set_timeout(HttpClient *c, unsigned timeout_ms);

/* One request. path starts with '/' and is already escaped (client_escape_segment()); body is JSON or NULL.
 * Transport failures and a 401 fail; any other status is returned in ret->status with its body. */
int http_client_request(HttpClient *c, const char *method, const char *path, const char *body,
                        ClientResponse *ret, char **ret_error);

/* A request whose success answer is JSON: statuses 200 and, when accept_207, 207 succeed (ret_status tells
 * which); anything else fails with the server's error text. *ret_json may be NULL if not wanted. */
int http_client_call(HttpClient *c, const char *method, const char *path, const cJSON *body, bool accept_207,
                     cJSON **ret_json, long *ret_status, char **ret_error);

/* The error text of a non-2xx answer: the {"error"} string if the body has one, else "HTTP <code>: <body>". */
int client_error_message(long status, const char *body, size_t size, char **ret);

/* path with each of the given segments escaped and joined by '/': client_path(&p, "/process/stop", name, NULL)
 * → "/process/stop/web%2F1". */
_sentinel_ int client_path(char **ret, const char *prefix, ...);
