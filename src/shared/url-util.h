/* Percent-decoding of URL parts, as Go's url.PathUnescape / url.QueryUnescape do it, shared by the REST
 * router (path segments, one at a time, so that "%2F" stays inside a name) and the WebSocket query
 * parameters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Decodes len bytes of s: "%XX" escapes, and '+' as a space when plus_is_space (query strings). A truncated
 * or non-hex escape, "%00" or a raw NUL is refused with -EINVAL, so a decoded name never hides a NUL.
 * Returns 0 and a NUL-terminated copy in *ret, or -EINVAL / -ENOMEM. */
int url_unescape(const char *s, size_t len, bool plus_is_space, char **ret);
