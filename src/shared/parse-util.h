/* Number parsing, strict: decimal digits only (and a sign where stated), no whitespace, no trailing bytes, and
 * overflow refused. Pure, libc only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/**
 * parse_u64_len() - parse an unsigned decimal number
 * @s: the text (need not be NUL-terminated)
 * @n: its length
 * @ret: the value, set only on success
 *
 * Return: 0; -EINVAL for an empty text or a byte that is not a digit (a sign included); -ERANGE above
 * UINT64_MAX (decided at the first digit that overflows, as Go's strconv does).
 */
int parse_u64_len(const char *s, size_t n, uint64_t *ret);
int parse_u64(const char *s, uint64_t *ret);

/* A signed decimal number with an optional '+' or '-', as Go's strconv.ParseInt(s, 10, 64) takes it.
 * Returns 0, -EINVAL or -ERANGE (outside int64). */
int parse_i64(const char *s, int64_t *ret);

/* A TCP/UDP port, 1..65535, as strtol() reads it (leading blanks and a sign allowed, nothing after the
 * digits). Return: 0, -EINVAL otherwise. */
int parse_port(const char *s, uint16_t *ret);
