/* The listening socket of the HTTP server: socket activation, a unix socket (0600, a stale file replaced, one
 * in use refused) or TCP (IPv4 first, "::" dual-stack). Each logs its own errors with process-compose's texts. */
#pragma once

#include <stdint.h>

/* Binds path, mode 0600. Return: 0, -EADDRINUSE when another server answers on it, other negative errno. */
int http_listen_unix(const char *path, int *ret_fd);
/* Binds address:port (port 0: any); *ret_port is the bound port. */
int http_listen_tcp(const char *address, uint16_t port, int *ret_fd, uint16_t *ret_port);
/* Takes the socket passed by the service manager. Return: 1 taken, 0 none passed, negative errno. */
int http_listen_activated(int *ret_fd, uint16_t *ret_port);
/* Lifts RLIMIT_NOFILE's soft limit so that want connections fit. */
void http_bump_nofile(unsigned want);
