/* NULL-terminated string arrays. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
char **strv_copy(char * const *l);
bool strv_contains(char * const *l, const char *s);
/* Appends a copy of s. */
int strv_extend(char ***l, const char *s);
/* Appends s itself; on failure s is freed. */
int strv_consume(char ***l, char *s);
/* Splits s at any of the separator characters; empty items are kept only if keep_empty. */
char **strv_split(const char *s, const char *separators, bool keep_empty);
char *strv_join(char * const *l, const char *separator);
void strv_sort(char **l);

/* For "KEY=VALUE" lists: returns the value for key, or NULL. */
const char *strv_env_get(char * const *l, const char *key);
/* Sets KEY=VALUE, replacing any entry for the same key. */
int strv_env_set(char ***l, const char *key, const char *value);
/* Sets a "KEY=VALUE" assignment, replacing any entry for the same key. */
int strv_env_put(char ***l, const char *assignment);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
