/* Glob matching with "**", by the rules of doublestar v4's Match (the library process-compose's file watch
 * uses): names and patterns are split on "/", and
 *   "*"        any run of characters but "/"
 *   "**"       as a whole path component (between slashes, or at either end): zero or more directories;
 *              a trailing one ("dir" + "/" + "**") also matches "dir" itself. Inside a component
 *              ("**.txt") it is a plain "*"
 *   "?"        one character (a UTF-8 sequence) but "/"
 *   "[...]"    a class: ranges "a-z", "!" or "^" negates, "\\" escapes
 *   "{a,b}"    alternatives (they may hold "/" and nest)
 *   "\\c"      c itself
 * The pattern must match the whole name. Pure, libc only. */
#pragma once

#include <stdbool.h>

/* Whether name matches pattern. A malformed pattern (an unclosed class or brace, a trailing "\\") matches
 * nothing; the loader refuses those first (glob_is_valid()). */
bool glob_match(const char *pattern, const char *name);

/* Whether pattern is valid, by the rules of doublestar v4's ValidatePattern (which
 * process-compose's validator uses): "[...]" classes are closed and not empty (a "]" right after "[", "[!"
 * or "[^" does not count as a member), "\\" escapes the next byte (there must be one, also inside a class),
 * and "{" and "}" balance. */
bool glob_is_valid(const char *pattern);
