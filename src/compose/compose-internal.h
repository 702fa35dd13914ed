/* Internal helpers shared by the compose loader's files. Not for other areas. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "compose/compose.h"
#include "shared/path-util.h"

/* Sets *e (if e is not NULL and not already set) and returns r. */
int compose_error_set(ComposeError *e, int r, const char *file, unsigned line, unsigned column,
                      const char *format, ...) _printf_(6, 7);

/* A lookup function for ${VAR} substitution: returns the value or NULL when unset. */
typedef const char *(*EnvLookupFunc)(const char *name, void *userdata);

/* drone/envsubst v1.0.3 semantics over text, after process-compose's "$$" → placeholder step:
 * "$$" yields "$" and protects what follows; "${...}" forms are substituted; a plain "$VAR" is left alone
 * (it reaches the shell); outside ${} "\\" yields "\" and "\/" yields "/". On a syntax error returns -EINVAL
 * with *ret_error_offset at the offending "${" and *ret_error_message set to drone's text. */
int envsubst_expand(const char *text, size_t size, EnvLookupFunc lookup, void *userdata, char **ret,
                    size_t *ret_size, size_t *ret_error_offset, const char **ret_error_message);

/* Parses dotenv text (godotenv format: KEY=VALUE, export, quotes, comments, ${VAR} expansion inside double
 * quotes and unquoted values) and appends "K=V" entries to *env, replacing earlier ones with the same key.
 * Returns 0, -EINVAL with *ret_line on a bad line, -ENOMEM. */
int dotenv_parse(const char *text, size_t size, char ***env, unsigned *ret_line);
/* Reads a dotenv file: 0, -ENOENT, other -errno. */
int dotenv_read_file(const char *path, char ***env, unsigned *ret_line);

/* Go text/template subset used by process-compose: {{ .NAME }}, {{- -}} trimming, string/raw string/number
 * literals, comments. vars is a "K=V" list of the template data. Missing keys render as "<no value>".
 * Returns 0, or -EINVAL with *ret_error set (caller frees). */
int template_render(const char *text, const ComposeKV *vars, size_t n_vars, char **ret, char **ret_error);

/* Go duration syntax ("300ms", "1h30m", "-1.5s"): 0 or -EINVAL. */
int parse_go_duration(const char *s, int64_t *ret_nsec);

/* path_clean() and path_join_clean() are in shared/path-util.h. */
char *path_dirname(const char *p);

/* strv helpers missing from shared/strv.h */
int strv_env_merge_sorted(char ***dst, char * const *src);
