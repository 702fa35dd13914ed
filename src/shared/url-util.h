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

/**
 * url_query_get() - the first value of a key in a raw query string, as Go's url.Values.Get(key) finds it
 * @query: the raw query (after '?'), or NULL
 * @key: the decoded key
 * @ret: the decoded value, newly allocated ("" for "key" without '='); NULL when absent
 *
 * Follows net/url.ParseQuery, which process-compose's handlers read through gin: pairs are split on '&'; a
 * pair that contains ';' is skipped; key and value are both query-unescaped ('+' is a space, "%2B" a plus
 * sign); a pair whose key does not unescape is skipped.
 *
 * Return: 1 found, 0 absent, -EINVAL when the first pair with that key has a value that does not unescape
 * (Go skips such a pair; callers that answer 400 for it, or treat it as absent, decide), -ENOMEM.
 */
int url_query_get(const char *query, const char *key, char **ret);
