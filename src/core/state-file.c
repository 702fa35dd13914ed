/* The controller's state file (state-file.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/state-file.h"
#include "shared/io-util.h"
#include "shared/json-util.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"

static void state_process_done(StateProcess *p) {
        free(p->name);
        free(p->status);
        free(p->cursor);
        free(p->spec_hash);
        *p = (StateProcess) {};
}

void state_file_done(StateFile *s) {
        if (!s)
                return;
        free(s->project);
        free(s->api_address);
        strv_free(s->selection);
        strv_free(s->namespaces);
        for (size_t i = 0; i < s->n_processes; i++)
                state_process_done(&s->processes[i]);
        free(s->processes);
        *s = (StateFile) {};
}

StateProcess *state_file_find(const StateFile *s, const char *name) {
        if (!s || !name)
                return NULL;
        for (size_t i = 0; i < s->n_processes; i++)
                if (streq(s->processes[i].name, name))
                        return &s->processes[i];
        return NULL;
}

int state_file_add(StateFile *s, const char *name, StateProcess **ret) {
        StateProcess *p, *n;

        p = state_file_find(s, name);
        if (p) {
                if (ret)
                        *ret = p;
                return 0;
        }
        if (s->n_processes >= STATE_FILE_MAX_PROCESSES)
                return -E2BIG;
        n = reallocarray(s->processes, s->n_processes + 1, sizeof(StateProcess));
        if (!n)
                return -ENOMEM;
        s->processes = n;
        p = &s->processes[s->n_processes];
        *p = (StateProcess) { .name = strdup(name) };
        if (!p->name)
                return -ENOMEM;
        s->n_processes++;
        if (ret)
                *ret = p;
        return 0;
}

/* ---- parsing ---------------------------------------------------------------------------------------- */

static int fail(char **ret_error, int error, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
                /* the message quotes names and values from the file: keep it on one line */
                for (char *c = *ret_error; c && *c; c++)
                        if ((unsigned char) *c < ' ' || *c == 0x7f)
                                *c = '?';
        }
        return error;
}

static int get_string(const cJSON *o, const char *key, bool required, char **ret, char **ret_error) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        if (!v || cJSON_IsNull(v)) {
                if (required)
                        return fail(ret_error, -EINVAL, "has no \"%s\"", key);
                return 0;
        }
        if (!cJSON_IsString(v) || !v->valuestring)
                return fail(ret_error, -EINVAL, "has a \"%s\" that is not a string", key);
        if (strlen(v->valuestring) > STATE_FILE_MAX_STRING)
                return fail(ret_error, -EINVAL, "has a \"%s\" longer than %u bytes", key, STATE_FILE_MAX_STRING);
        if (free_and_strdup(ret, v->valuestring) < 0)
                return -ENOMEM;
        return 0;
}

static int get_bool(const cJSON *o, const char *key, bool *ret, char **ret_error) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        if (!v)
                return 0;
        if (!cJSON_IsBool(v))
                return fail(ret_error, -EINVAL, "has a \"%s\" that is not true or false", key);
        *ret = cJSON_IsTrue(v);
        return 0;
}

/* A JSON number that is an integer in [min, max]. cJSON keeps numbers as doubles: exact up to 2^53, which
 * bounds log_seq (2^53 lines is ~285 years at a million lines a second). */
static int get_int(const cJSON *o, const char *key, double min, double max, double *ret, char **ret_error) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        if (!v)
                return 0;
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble < min || v->valuedouble > max)
                return fail(ret_error, -EINVAL, "has a \"%s\" that is not an integer in [%.0f, %.0f]", key, min,
                            max);
        *ret = v->valuedouble;
        return 0;
}

static int get_strv(const cJSON *o, const char *key, char ***ret, char **ret_error) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *e;
        _cleanup_strv_free_ char **l = NULL;

        if (!v || cJSON_IsNull(v))
                return 0;
        if (!cJSON_IsArray(v))
                return fail(ret_error, -EINVAL, "has a \"%s\" that is not a list", key);
        if ((unsigned) cJSON_GetArraySize(v) > STATE_FILE_MAX_PROCESSES)
                return fail(ret_error, -EINVAL, "has more than %u \"%s\"", STATE_FILE_MAX_PROCESSES, key);
        cJSON_ArrayForEach(e, v) {
                if (!cJSON_IsString(e) || !e->valuestring || strlen(e->valuestring) > STATE_FILE_MAX_STRING)
                        return fail(ret_error, -EINVAL, "has a \"%s\" entry that is not a string", key);
                if (strv_extend(&l, e->valuestring) < 0)
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_process(const cJSON *o, StateFile *s, char **ret_error) {
        StateProcess *p;
        double d;
        int r;

        if (!o->string || isempty(o->string) || strlen(o->string) > STATE_FILE_MAX_STRING)
                return fail(ret_error, -EINVAL, "has a process with an empty or overlong name");
        if (!cJSON_IsObject(o))
                return fail(ret_error, -EINVAL, "has a process \"%s\" that is not an object", o->string);
        if (state_file_find(s, o->string))
                return fail(ret_error, -EINVAL, "has the process \"%s\" twice", o->string);
        r = state_file_add(s, o->string, &p);
        if (r < 0)
                return r == -E2BIG ? fail(ret_error, -EINVAL, "has more than %u processes",
                                          STATE_FILE_MAX_PROCESSES) : r;

        d = 0;
        r = get_int(o, "restarts", 0, UINT_MAX, &d, ret_error);
        if (r < 0)
                return r;
        p->restarts = (unsigned) d;
        r = get_bool(o, "stopped_by_user", &p->stopped_by_user, ret_error);
        if (r < 0)
                return r;
        r = get_string(o, "status", false, &p->status, ret_error);
        if (r < 0)
                return r;
        d = 0;
        r = get_int(o, "exit_code", INT_MIN, INT_MAX, &d, ret_error);
        if (r < 0)
                return r;
        p->exit_code = (int) d;
        d = 0;
        r = get_int(o, "log_seq", 0, 9007199254740992.0, &d, ret_error);
        if (r < 0)
                return r;
        p->log_seq = (uint64_t) d;
        r = get_string(o, "cursor", false, &p->cursor, ret_error);
        if (r < 0)
                return r;
        return get_string(o, "spec_hash", false, &p->spec_hash, ret_error);
}

int state_file_parse(const char *text, size_t size, StateFile *ret, char **ret_error) {
        _cleanup_json_ cJSON *root = NULL;
        _cleanup_(state_file_done) StateFile s = {};
        _cleanup_free_ char *format = NULL;
        const cJSON *procs, *e;
        const char *end = NULL;
        size_t i;
        double d;
        int r;

        if (ret_error)
                *ret_error = NULL;
        for (i = 0; i < size && strchr(" \t\r\n", text[i]) && text[i]; i++)
                ;
        if (i == size)
                return fail(ret_error, -ENODATA, "is empty");
        if (size > STATE_FILE_MAX_BYTES)
                return fail(ret_error, -EINVAL, "is larger than %u bytes", STATE_FILE_MAX_BYTES);
        if (memchr(text, 0, size))
                return fail(ret_error, -EINVAL, "is not valid JSON (contains a NUL byte)");

        root = cJSON_ParseWithLengthOpts(text, size, &end, false);
        if (!root)
                return fail(ret_error, -EINVAL, "is not valid JSON (near byte %zu)",
                            end && end >= text ? (size_t) (end - text) : (size_t) 0);
        if (!cJSON_IsObject(root))
                return fail(ret_error, -EINVAL, "is not a JSON object");

        r = get_string(root, "format", true, &format, ret_error);
        if (r < 0)
                return r;
        if (!streq(format, STATE_FILE_FORMAT))
                return fail(ret_error, -EINVAL, "is not a pcctl state file (format \"%.64s\")", format);
        e = cJSON_GetObjectItemCaseSensitive(root, "version");
        if (!cJSON_IsNumber(e))
                return fail(ret_error, -EINVAL, "has no format version");
        if (e->valuedouble != STATE_FILE_VERSION) {
                if (isfinite(e->valuedouble) && fabs(e->valuedouble) < 1e9)
                        return fail(ret_error, -EPROTO, "has format version %.0f, this pcctl reads version %d",
                                    e->valuedouble, STATE_FILE_VERSION);
                return fail(ret_error, -EPROTO, "has an unknown format version, this pcctl reads version %d",
                            STATE_FILE_VERSION);
        }

        r = get_string(root, "project", true, &s.project, ret_error);
        if (r < 0)
                return r;
        d = 0;
        r = get_int(root, "controller_pid", 0, INT_MAX, &d, ret_error);
        if (r < 0)
                return r;
        s.controller_pid = (pid_t) d;
        r = get_string(root, "api_address", false, &s.api_address, ret_error);
        if (r < 0)
                return r;
        r = get_strv(root, "selection", &s.selection, ret_error);
        if (r < 0)
                return r;
        r = get_bool(root, "no_deps", &s.no_deps, ret_error);
        if (r < 0)
                return r;
        r = get_strv(root, "namespaces", &s.namespaces, ret_error);
        if (r < 0)
                return r;

        procs = cJSON_GetObjectItemCaseSensitive(root, "processes");
        if (procs && !cJSON_IsObject(procs))
                return fail(ret_error, -EINVAL, "has \"processes\" that is not an object");
        if (procs)
                cJSON_ArrayForEach(e, procs) {
                        r = parse_process(e, &s, ret_error);
                        if (r < 0)
                                return r;
                }

        *ret = s;
        s = (StateFile) {};
        return 0;
}

/* ---- formatting ------------------------------------------------------------------------------------- */

static int add_strv(cJSON *o, const char *key, char **l) {
        cJSON *a = cJSON_AddArrayToObject(o, key);

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(i, l) {
                cJSON *v = cJSON_CreateString(*i);
                if (!v || !cJSON_AddItemToArray(a, v)) {
                        cJSON_Delete(v);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int add_string(cJSON *o, const char *key, const char *v) {
        if (!v)
                return cJSON_AddNullToObject(o, key) ? 0 : -ENOMEM;
        return cJSON_AddStringToObject(o, key, v) ? 0 : -ENOMEM;
}

int state_file_format(const StateFile *s, char **ret) {
        _cleanup_json_ cJSON *root = cJSON_CreateObject();
        cJSON *procs;
        char *text;

        if (!root)
                return -ENOMEM;
        if (add_string(root, "format", STATE_FILE_FORMAT) < 0 ||
            !cJSON_AddNumberToObject(root, "version", STATE_FILE_VERSION) ||
            add_string(root, "project", strempty(s->project)) < 0 ||
            !cJSON_AddNumberToObject(root, "controller_pid", s->controller_pid) ||
            add_string(root, "api_address", s->api_address) < 0 ||
            add_strv(root, "selection", s->selection) < 0 ||
            !cJSON_AddBoolToObject(root, "no_deps", s->no_deps) ||
            add_strv(root, "namespaces", s->namespaces) < 0)
                return -ENOMEM;

        procs = cJSON_AddObjectToObject(root, "processes");
        if (!procs)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_processes; i++) {
                const StateProcess *p = &s->processes[i];
                cJSON *o = cJSON_AddObjectToObject(procs, p->name);

                if (!o || !cJSON_AddNumberToObject(o, "restarts", p->restarts) ||
                    !cJSON_AddBoolToObject(o, "stopped_by_user", p->stopped_by_user) ||
                    add_string(o, "status", p->status) < 0 ||
                    !cJSON_AddNumberToObject(o, "exit_code", p->exit_code) ||
                    !cJSON_AddNumberToObject(o, "log_seq", (double) p->log_seq) ||
                    add_string(o, "cursor", p->cursor) < 0 ||
                    add_string(o, "spec_hash", p->spec_hash) < 0)
                        return -ENOMEM;
        }

        text = cJSON_PrintUnformatted(root);
        if (!text)
                return -ENOMEM;
        /* cJSON allocates with malloc by default: append the newline in a copy we own */
        if (asprintf(ret, "%s\n", text) < 0) {
                cJSON_free(text);
                return -ENOMEM;
        }
        cJSON_free(text);
        return 0;
}

/* ---- files ------------------------------------------------------------------------------------------ */

int state_file_dir(const char *runtime_dir, const char *project, char **ret) {
        _cleanup_free_ char *esc = NULL;
        int r;

        if (!runtime_dir)
                runtime_dir = getenv("XDG_RUNTIME_DIR");
        if (isempty(runtime_dir) || runtime_dir[0] != '/')
                return -ENXIO;
        if (isempty(project))
                return -EINVAL;
        /* unit_name_escape() makes any name one safe path component ("/" and leading "." are escaped) */
        r = unit_name_escape(project, &esc);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s/pcctl/%s", runtime_dir, esc) < 0)
                return -ENOMEM;
        return 0;
}

/* The directory holds the lock and what a restarted controller trusts: it must be a directory of ours that
 * no one else can write to. One left with a wider mode is narrowed; one of another user is refused. */
static int check_own_dir(const char *dir) {
        struct stat st;

        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (st.st_uid != geteuid())
                return -EPERM;
        if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0)
                return -errno;
        return 0;
}

int state_file_mkdir(const char *dir) {
        _cleanup_free_ char *parent = NULL;
        const char *slash;

        if (mkdir(dir, 0700) >= 0 || errno == EEXIST)
                return check_own_dir(dir);
        if (errno != ENOENT)
                return -errno;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return -ENOENT;
        parent = strndup(dir, (size_t) (slash - dir));
        if (!parent)
                return -ENOMEM;
        if (mkdir(parent, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        return check_own_dir(dir);
}

int state_file_read(const char *dir, StateFile *ret, char **ret_error) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;

        if (ret_error)
                *ret_error = NULL;
        if (asprintf(&path, "%s/" STATE_FILE_NAME, dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(STATE_FILE_MAX_BYTES + 1);
        if (!buf)
                return -ENOMEM;
        while (n <= STATE_FILE_MAX_BYTES) {
                ssize_t k = read(fd, buf + n, STATE_FILE_MAX_BYTES + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail(ret_error, -errno, "cannot be read: %s", strerror(errno));
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        return state_file_parse(buf, n, ret, ret_error);
}

int state_file_write(const char *dir, const StateFile *s) {
        _cleanup_free_ char *text = NULL, *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = state_file_format(s, &text);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/" STATE_FILE_NAME, dir) < 0 ||
            asprintf(&tmp, "%s/." STATE_FILE_NAME ".%d.tmp", dir, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, text, strlen(text));
        if (r >= 0 && fdatasync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int state_file_remove(const char *dir) {
        _cleanup_free_ char *path = NULL;
        DIR *d;

        if (asprintf(&path, "%s/" STATE_FILE_NAME, dir) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        /* the exit records, and the temporary files of a writer that was killed before its rename (a
         * controller's state file, a unit's exit record): they would keep the directory from going */
        d = opendir(dir);
        if (d) {
                for (struct dirent *de; (de = readdir(d)); )
                        if (endswith(de->d_name, STATE_FILE_EXIT_SUFFIX) ||
                            (endswith(de->d_name, ".tmp") && (startswith(de->d_name, "." STATE_FILE_NAME ".") ||
                                                              strstr(de->d_name, STATE_FILE_EXIT_SUFFIX "."))))
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        return 0;
}

int state_file_exit_record_path(const char *dir, const char *unit, char **ret) {
        if (asprintf(ret, "%s/%s" STATE_FILE_EXIT_SUFFIX, dir, unit) < 0)
                return -ENOMEM;
        return 0;
}

int state_file_exit_record_read(const char *dir, const char *unit, int *ret_code, int *ret_status,
                                uint64_t *ret_timestamp) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[64];
        struct stat st;
        ssize_t n;
        int code, status;

        if (state_file_exit_record_path(dir, unit, &path) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (sscanf(buf, "%d %d", &code, &status) != 2 || !IN_SET(code, CLD_EXITED, CLD_KILLED, CLD_DUMPED))
                return -EINVAL;
        *ret_code = code;
        *ret_status = status;
        *ret_timestamp = (uint64_t) st.st_mtim.tv_sec * 1000000u + (uint64_t) st.st_mtim.tv_nsec / 1000u;
        return 0;
}

int state_file_exit_record_remove(const char *dir, const char *unit) {
        _cleanup_free_ char *path = NULL;

        if (state_file_exit_record_path(dir, unit, &path) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int open_lock(const char *dir) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/" STATE_FILE_LOCK_NAME, dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        return fd < 0 ? -errno : fd;
}

/* The lock file is removed by its holder when a project ends (state_file_unlock()), so a lock taken on a file
 * that was unlinked meanwhile is no lock: look again until the fd and the path are the same file. */
int state_file_lock(const char *dir) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" STATE_FILE_LOCK_NAME, dir) < 0)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat a, b;
                int r;

                r = state_file_mkdir(dir);
                if (r < 0)
                        return r;
                fd = open_lock(dir);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
                if (fstat(fd, &a) < 0)
                        return -errno;
                if (stat(path, &b) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        return TAKE_FD(fd);
        }
        return -EBUSY;
}

int state_file_unlock(const char *dir, int fd) {
        _cleanup_free_ char *path = NULL, *state = NULL;
        int r = 0;

        if (fd < 0)
                return 0;
        if (asprintf(&path, "%s/" STATE_FILE_LOCK_NAME, dir) < 0 ||
            asprintf(&state, "%s/" STATE_FILE_NAME, dir) < 0)
                r = -ENOMEM;
        else if (access(state, F_OK) < 0 && errno == ENOENT) {
                /* nothing left to adopt: the lock file and the directory go while the lock is held */
                if (unlink(path) < 0 && errno != ENOENT)
                        r = -errno;
                else if (rmdir(dir) < 0 && !IN_SET(errno, ENOENT, ENOTEMPTY, EEXIST))
                        r = -errno;
        }
        safe_close(fd);
        return r;
}

int state_file_is_locked(const char *dir) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&path, "%s/" STATE_FILE_LOCK_NAME, dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? 1 : -errno;
        return 0;
}
