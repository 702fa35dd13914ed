/* Which paths under a watched root matter: process-compose v1.122's rules (src/watcher/matcher.go), pure.
 *
 * A pattern containing "/" is matched against the path relative to the root, one without against the base
 * name, at any depth (so `exclude: ["*_test.go"]` also excludes `pkg/inner/foo_test.go`). Unless
 * disable_default_excludes is set, the default directory names prune whole subtrees and the default file
 * patterns drop files. The always-excluded patterns (the project's own log files) are matched against the
 * absolute path and apply even with disable_default_excludes. docs/watch.md has the rules for users. */
#pragma once

#include <stdbool.h>

#include "shared/macro.h"

extern const char *const watch_default_ignore_dirs[];   /* NULL-terminated */
extern const char *const watch_default_ignore_files[];

typedef struct WatchMatch {
        char *root;                  /* absolute, clean */
        char **include;              /* when not empty: only matching files trigger */
        char **exclude;
        bool defaults;               /* the default ignore lists apply */
        char **always_exclude;       /* absolute-path patterns */
        char *only_base;             /* the configured path was a file: only this base name triggers */
} WatchMatch;

/* A matcher for root (made clean); every list is copied, any may be NULL. 0 or -ENOMEM. */
int watch_match_new(const char *root, char * const *include, char * const *exclude, bool defaults,
                    char * const *always_exclude, const char *only_base, WatchMatch **ret);
WatchMatch *watch_match_free(WatchMatch *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(WatchMatch *, watch_match_free);

/* Whether a change to the file at abs (absolute, clean) should trigger a restart. */
bool watch_match_file(const WatchMatch *m, const char *abs);
/* Whether the directory at abs should be watched and descended into; false prunes its subtree. The root
 * itself always is. */
bool watch_match_dir(const WatchMatch *m, const char *abs);

/* Appends to *patterns the absolute-path patterns that cover a log file and the rotated siblings written
 * beside it ("name-<time>.ext" and "name-<time>.ext.gz"), as process-compose's LogExclusionPatterns. An empty
 * log_path adds nothing. 0 or -ENOMEM. */
int watch_log_exclusions(const char *log_path, char ***patterns);
