/* Which paths under a watched root matter (watch-match.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/glob-util.h"
#include "shared/path-util.h"
#include "shared/strv.h"
#include "watch/watch-match.h"

/* process-compose's DefaultIgnoreDirs and DefaultIgnoreFiles. The directories are pruned during the walk,
 * which is what keeps a watch of a project root under the kernel's watch limit. */
const char *const watch_default_ignore_dirs[] = {
        ".git", ".hg", ".svn", ".idea", ".vscode",
        "node_modules", "vendor", "target", "dist", "build", "bin",
        ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache",
        ".next", ".nuxt", ".terraform", ".gradle", ".direnv", "result",
        NULL,
};

const char *const watch_default_ignore_files[] = {
        "*.log", "*.log.gz", "*.swp", "*.swx", "*~", ".#*", "#*#", "4913",
        ".DS_Store", "*.tmp",
        NULL,
};

WatchMatch *watch_match_free(WatchMatch *m) {
        if (!m)
                return NULL;
        free(m->root);
        strv_free(m->include);
        strv_free(m->exclude);
        strv_free(m->always_exclude);
        free(m->only_base);
        free(m);
        return NULL;
}

int watch_match_new(const char *root, char * const *include, char * const *exclude, bool defaults,
                    char * const *always_exclude, const char *only_base, WatchMatch **ret) {
        _cleanup_(watch_match_freep) WatchMatch *m = NULL;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->defaults = defaults;
        m->root = path_clean(root);
        if (!m->root ||
            (include && !(m->include = strv_copy(include))) ||
            (exclude && !(m->exclude = strv_copy(exclude))) ||
            (always_exclude && !(m->always_exclude = strv_copy(always_exclude))) ||
            (only_base && !(m->only_base = strdup(only_base))))
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

/* abs relative to the root, "/"-separated: "." for the root itself, NULL when abs is not under it. */
static const char *relative(const WatchMatch *m, const char *abs) {
        size_t n = strlen(m->root);

        if (streq(abs, m->root))
                return ".";
        if (streq(m->root, "/"))
                return abs[0] == '/' ? abs + 1 : NULL;
        if (strncmp(abs, m->root, n) != 0 || abs[n] != '/')
                return NULL;
        return abs + n + 1;
}

static const char *base_of(const char *rel) {
        const char *s = strrchr(rel, '/');

        return s ? s + 1 : rel;
}

static bool in_list(const char *const *list, const char *s, size_t n) {
        for (; list && *list; list++)
                if (strlen(*list) == n && strncmp(*list, s, n) == 0)
                        return true;
        return false;
}

/* process-compose's one rule: a pattern with a "/" is matched against the relative path, one without
 * against the base name. */
static bool match_any(const char *const *patterns, const char *rel, const char *base) {
        for (; patterns && *patterns; patterns++)
                if (glob_match(*patterns, strchr(*patterns, '/') ? rel : base))
                        return true;
        return false;
}

/* Whether a directory above rel (not rel itself) has a default-ignored name. A file inside one is dropped
 * even when the walk did not prune it: a directory created later is watched before it is looked at. */
static bool has_ignored_dir(const WatchMatch *m, const char *rel) {
        const char *end = strrchr(rel, '/');

        if (!m->defaults || !end)
                return false;
        for (const char *s = rel; s < end;) {
                size_t n = strcspn(s, "/");

                if (n > (size_t) (end - s))
                        n = end - s;
                if (in_list(watch_default_ignore_dirs, s, n))
                        return true;
                s += n + 1;
        }
        return false;
}

bool watch_match_file(const WatchMatch *m, const char *abs) {
        const char *rel, *base;

        rel = relative(m, abs);
        if (!rel)
                return false;
        base = base_of(rel);

        if (m->only_base && !streq(base, m->only_base))
                return false;
        if (match_any((const char *const *) m->always_exclude, abs, abs))
                return false;
        if (m->defaults && match_any(watch_default_ignore_files, rel, base))
                return false;
        if (has_ignored_dir(m, rel))
                return false;
        if (match_any((const char *const *) m->exclude, rel, base))
                return false;
        if (strv_length(m->include) > 0 && !match_any((const char *const *) m->include, rel, base))
                return false;
        return true;
}

bool watch_match_dir(const WatchMatch *m, const char *abs) {
        const char *rel, *base;

        rel = relative(m, abs);
        if (!rel)
                return false;
        if (streq(rel, "."))
                return true;
        base = base_of(rel);

        if (m->defaults && in_list(watch_default_ignore_dirs, base, strlen(base)))
                return false;
        if (has_ignored_dir(m, rel))
                return false;
        /* a pattern for a subtree ("bin" + "/" + "**") also matches its root: the root is pruned too */
        return !match_any((const char *const *) m->exclude, rel, base);
}

int watch_log_exclusions(const char *log_path, char ***patterns) {
        _cleanup_free_ char *clean = NULL, *sibling = NULL, *gz = NULL;
        const char *base, *dot;
        size_t dir_len;

        if (!log_path || !log_path[strspn(log_path, " \t\n\r\v\f")])
                return 0;
        clean = path_clean(log_path);
        if (!clean)
                return -ENOMEM;
        base = strrchr(clean, '/');
        base = base ? base + 1 : clean;
        dir_len = base - clean;
        dot = strrchr(base, '.');
        if (!dot || dot == base) {
                /* Go's path.Ext: the suffix from the last "."; a name that is all extension has no prefix */
                if (dot == base)
                        return strv_extend(patterns, clean);
                dot = base + strlen(base);
        }
        if (asprintf(&sibling, "%.*s%.*s-*%s", (int) dir_len, clean, (int) (dot - base), base, dot) < 0) {
                sibling = NULL;
                return -ENOMEM;
        }
        if (asprintf(&gz, "%s.gz", sibling) < 0) {
                gz = NULL;
                return -ENOMEM;
        }
        if (strv_extend(patterns, clean) < 0 || strv_consume(patterns, TAKE_PTR(sibling)) < 0 ||
            strv_consume(patterns, TAKE_PTR(gz)) < 0)
                return -ENOMEM;
        return 0;
}
