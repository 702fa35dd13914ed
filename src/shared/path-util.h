/* Lexical path operations, as Go's path/filepath does them: no file system access, so a path means the same
 * in a unit property, in a file pcctl opens and in a test. */
#pragma once

/* Go's filepath.Clean: "." parts dropped, "a/.." pairs removed, ".." at the root of an absolute path dropped,
 * repeated and trailing slashes removed; "" becomes ".". Returns a new string, NULL on OOM. */
char *path_clean(const char *p);
/* Go's filepath.Join: a and b joined with one "/" and cleaned (an empty side is skipped). */
char *path_join_clean(const char *a, const char *b);
/* An absolute, clean path for path: itself if absolute, else joined to base ("/" when base is NULL or
 * empty; a relative base is made absolute from "/"). No "." or ".." part is left, so systemd accepts it as
 * WorkingDirectory= (it refuses ".."). Returns 0 or -ENOMEM. */
int path_resolve(const char *base, const char *path, char **ret);
