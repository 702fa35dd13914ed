/* Unit names: systemd's escaping rules for name parts, and the names pcctl gives projects and processes.
 *
 * The rules are those of systemd's unit_name_escape() (what `systemd-escape` prints): '/' becomes '-',
 * '-', '\' and every byte outside [0-9A-Za-z:_.] become "\xNN" (lower-case hex), and a leading '.' is
 * escaped too so no unit name starts with a dot. Escaping '-' keeps the project and process parts apart:
 * in "pcctl-<project>-<process>.service" every literal '-' is a separator. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/hex-util.h"
#include "shared/macro.h"
#include "unit/unit-driver.h"

#define UNIT_NAME_MAX 255

static bool char_is_plain(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                IN_SET(c, ':', '_', '.');
}

static char *escape_char(char *t, unsigned char c) {
        static const char hex[] = "0123456789abcdef";

        *t++ = '\\';
        *t++ = 'x';
        *t++ = hex[c >> 4];
        *t++ = hex[c & 15];
        return t;
}

int unit_name_escape(const char *s, char **ret) {
        char *buf, *t;
        size_t l;

        if (!s || !ret)
                return -EINVAL;

        l = strlen(s);
        if (l > (SIZE_MAX - 1) / 4)
                return -ENOMEM;
        buf = malloc(l * 4 + 1);
        if (!buf)
                return -ENOMEM;

        t = buf;
        for (const char *f = s; *f; f++) {
                if (f == s && *f == '.')
                        t = escape_char(t, (unsigned char) *f);
                else if (*f == '/')
                        *t++ = '-';
                else if (!char_is_plain(*f))
                        t = escape_char(t, (unsigned char) *f);
                else
                        *t++ = *f;
        }
        *t = 0;

        *ret = buf;
        return 0;
}

int unit_name_unescape(const char *s, char **ret) {
        _cleanup_free_ char *buf = NULL;
        char *t;

        if (!s || !ret)
                return -EINVAL;

        buf = malloc(strlen(s) + 1);
        if (!buf)
                return -ENOMEM;

        t = buf;
        for (const char *f = s; *f; f++) {
                if (*f == '-')
                        *t++ = '/';
                else if (*f == '\\') {
                        int a, b;

                        if (f[1] != 'x')
                                return -EINVAL;
                        a = unhexchar(f[2]);
                        if (a < 0)
                                return -EINVAL;
                        b = unhexchar(f[3]);
                        if (b < 0)
                                return -EINVAL;
                        if (a == 0 && b == 0) /* an embedded NUL cannot be represented */
                                return -EINVAL;
                        *t++ = (char) ((a << 4) | b);
                        f += 3;
                } else
                        *t++ = *f;
        }
        *t = 0;

        *ret = TAKE_PTR(buf);
        return 0;
}

static const char *const unit_suffixes[] = {
        ".service", ".socket", ".target", ".device", ".mount", ".automount",
        ".swap", ".timer", ".path", ".slice", ".scope",
};

bool unit_name_is_valid(const char *name) {
        const char *dot = NULL;
        size_t l, n_at = 0;
        bool suffix_ok = false;

        if (isempty(name))
                return false;
        l = strlen(name);
        if (l > UNIT_NAME_MAX)
                return false;

        dot = strrchr(name, '.');
        if (!dot || dot == name)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(unit_suffixes); i++)
                if (streq(dot, unit_suffixes[i]))
                        suffix_ok = true;
        if (!suffix_ok)
                return false;

        for (const char *p = name; p < dot; p++) {
                if (*p == '@')
                        n_at++;
                else if (!char_is_plain(*p) && *p != '-' && *p != '\\')
                        return false;
        }
        if (n_at > 1 || name[0] == '@')
                return false;
        return true;
}

static int name_join(const char *project, const char *process, const char *suffix, char **ret) {
        _cleanup_free_ char *p = NULL, *q = NULL;
        char *name;
        int r;

        if (isempty(project) || (process && isempty(process)) || !ret)
                return -EINVAL;

        r = unit_name_escape(project, &p);
        if (r < 0)
                return r;
        if (process) {
                r = unit_name_escape(process, &q);
                if (r < 0)
                        return r;
        }

        if (asprintf(&name, "pcctl-%s%s%s%s", p, q ? "-" : "", strempty(q), suffix) < 0)
                return -ENOMEM;
        if (strlen(name) > UNIT_NAME_MAX) {
                free(name);
                return -ENAMETOOLONG;
        }

        *ret = name;
        return 0;
}

int unit_name_for_process(const char *project, const char *process, char **ret) {
        if (isempty(process))
                return -EINVAL;
        return name_join(project, process, ".service", ret);
}

int unit_name_for_slice(const char *project, char **ret) {
        return name_join(project, NULL, ".slice", ret);
}

int unit_name_project_pattern(const char *project, char **ret) {
        return name_join(project, NULL, "-*", ret);
}
