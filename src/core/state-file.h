/* The controller's state file: what a restarted controller needs and systemd does not keep.
 *
 * systemd keeps every unit's state, main PID, start time and exit status; the journal keeps every line. What
 * only pcctl knows is written here, so that a controller that crashed, was killed or stopped with
 * --keep-running can adopt the running units again (docs/lifecycle.md "Controller restarts"):
 *
 *         $XDG_RUNTIME_DIR/pcctl/<escaped project>/state.json
 *
 *         {"format":"pcctl-state","version":1,"project":"demo","controller_pid":4242,
 *          "api_address":"unix:/tmp/api.sock","selection":["web"],"no_deps":false,"namespaces":[],
 *          "processes":{"web":{"restarts":2,"stopped_by_user":false,"status":"Running","exit_code":0,
 *                              "log_seq":120,"cursor":"s=...","spec_hash":"9f86d081884c7d65"}}}
 *
 * The file is written whole, atomically (a temporary file in the same directory, fsync, rename), so a
 * reader sees the old or the new version, never a torn one. Parsing is strict about the format and version
 * and lenient about unknown keys (a newer pcctl of the same version may add some). The same directory holds
 * the lock file that makes one controller per project (state_file_lock()).
 *
 * Parsing and formatting are pure; state_file_read()/state_file_write() and the lock do the file I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/macro.h"

#define STATE_FILE_FORMAT "pcctl-state"
#define STATE_FILE_VERSION 1
#define STATE_FILE_NAME "state.json"
#define STATE_FILE_LOCK_NAME "lock"
/* Bounds of what a parser accepts: the file is ours, but it lives in a user-writable directory. */
#define STATE_FILE_MAX_BYTES (4u * 1024u * 1024u)
#define STATE_FILE_MAX_PROCESSES 10000u
#define STATE_FILE_MAX_STRING 4096u

/* What pcctl keeps of one process (one replica, by its API name). */
typedef struct StateProcess {
        char *name;
        unsigned restarts;               /* automatic restarts so far (max_restarts counts them) */
        bool stopped_by_user;            /* stopped through the API or the CLI: not started again */
        char *status;                    /* last status ("Running", "Completed", ...); NULL: unknown */
        int exit_code;                   /* of its last run, when it has ended */
        uint64_t log_seq;                /* sequence number of the ring line whose journal cursor is cursor */
        char *cursor;                    /* journal cursor of that line; NULL: none yet */
        char *spec_hash;                 /* hash of the unit spec it was started with; NULL: unknown */
} StateProcess;

typedef struct StateFile {
        char *project;                   /* the project's name (compose "name") */
        pid_t controller_pid;
        char *api_address;               /* "unix:PATH", "HOST:PORT", or NULL without an API */
        char **selection;                /* the process names `up` was given (strv), NULL: all */
        bool no_deps;
        char **namespaces;               /* -n NS, NULL: all */
        StateProcess *processes;
        size_t n_processes;
} StateFile;

void state_file_done(StateFile *s);
StateProcess *state_file_find(const StateFile *s, const char *name);
/* Adds (or returns the existing) entry of name; the other fields start zero. */
int state_file_add(StateFile *s, const char *name, StateProcess **ret);

/* Parses the text of a state file. On failure returns -EINVAL (corrupt), -ENODATA (empty) or -EPROTO (another
 * format version) with *ret_error set to one line without the file name ("is empty", "is not valid JSON
 * (near byte 12)", "has format version 7, this pcctl reads version 1"; caller frees). */
int state_file_parse(const char *text, size_t size, StateFile *ret, char **ret_error);
/* The JSON text of s, newline-terminated (caller frees). */
int state_file_format(const StateFile *s, char **ret);

/* $XDG_RUNTIME_DIR/pcctl/<project, escaped as a unit name part>; -ENXIO without an absolute
 * $XDG_RUNTIME_DIR. runtime_dir NULL: from the environment. */
int state_file_dir(const char *runtime_dir, const char *project, char **ret);
/* Creates the directory (and its parent, mode 0700) if needed; -EPERM when it belongs to another user,
 * -ENOTDIR when it is no directory (a wider mode of ours is narrowed to 0700). state_file_lock() calls it:
 * the lock owns the directory. */
int state_file_mkdir(const char *dir);
/* Reads dir/state.json: -ENOENT when there is none; parse errors as state_file_parse(). */
int state_file_read(const char *dir, StateFile *ret, char **ret_error);
/* Writes dir/state.json atomically (temporary file + fsync + rename). */
int state_file_write(const char *dir, const StateFile *s);
/* Removes dir/state.json and the exit records in dir. */
int state_file_remove(const char *dir);

/* The exit record of a unit: dir/<unit>.exit, written by `pcctl-exec __exited PATH` from the unit's
 * ExecStopPost= whenever a run ends, as "<code> <status>\n" (code: CLD_EXITED, CLD_KILLED or CLD_DUMPED;
 * status: the exit status or the signal number). It tells a controller that was away how a run whose unit
 * systemd has since collected ended: by exiting 0, or by a signal (a `systemctl stop` from outside). */
#define STATE_FILE_EXIT_SUFFIX ".exit"
int state_file_exit_record_path(const char *dir, const char *unit, char **ret);
/* Reads a unit's exit record: 0 with code, status and the time it was written (realtime µs); -ENOENT
 * without one; -EINVAL when it is not one. */
int state_file_exit_record_read(const char *dir, const char *unit, int *ret_code, int *ret_status,
                                uint64_t *ret_timestamp);
int state_file_exit_record_remove(const char *dir, const char *unit);

/* Takes the project's lock (flock on dir/lock) without waiting: returns the open fd (keep it open for the
 * controller's life; the kernel releases it when the process dies, so a stale lock is taken over by the
 * next controller), or -EWOULDBLOCK when a live controller holds it. */
int state_file_lock(const char *dir);
/* Releases the lock taken by state_file_lock() and closes fd. When the project left no state file (it ended),
 * the lock file and the project's directory are removed first, so ended projects leave nothing behind. */
int state_file_unlock(const char *dir, int fd);
/* True when a live process holds the lock (for `down`: is there a controller?). */
int state_file_is_locked(const char *dir);
