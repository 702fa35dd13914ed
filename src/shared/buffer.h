/* A growable byte buffer, always NUL-terminated once anything was appended, with an optional size cap and a
 * sticky error, so that a chain of appends can be checked once at the end (b->error, or buffer_steal()
 * returning NULL): callers may ignore the return value of each append. Pure, libc only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

typedef struct Buffer {
        char *data;             /* NULL until the first append; then data[len] == 0 */
        size_t len;
        size_t allocated;
        size_t max;             /* 0: unlimited; otherwise an append past max bytes fails with -E2BIG */
        int error;              /* the first failure (-ENOMEM, -E2BIG); appends are no-ops once it is set */
} Buffer;

#define BUFFER_INIT_MAX(m) ((Buffer) { .max = (m) })

/**
 * buffer_append() - append n bytes
 * @b: the buffer
 * @p: the bytes (may be NULL when n is 0)
 * @n: how many
 *
 * Return: 0, or the buffer's (sticky) error: -ENOMEM, or -E2BIG past b->max.
 */
int buffer_append(Buffer *b, const void *p, size_t n);
int buffer_append_str(Buffer *b, const char *s);
int buffer_append_char(Buffer *b, char c);
int buffer_printf(Buffer *b, const char *fmt, ...) _printf_(2, 3);

/* Makes room for n more bytes (plus the NUL) and returns where they go, or NULL with b->error set. The caller
 * writes them and then calls buffer_advance(). */
char *buffer_reserve(Buffer *b, size_t n);
void buffer_advance(Buffer *b, size_t n);

/* Cuts the buffer back to len bytes (len <= b->len). */
void buffer_truncate(Buffer *b, size_t len);

/* Hands out the data (an empty string for an empty buffer; NULL on ENOMEM or a sticky error), and resets b. */
char *buffer_steal(Buffer *b, size_t *ret_len);
void buffer_done(Buffer *b);
