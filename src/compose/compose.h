/* The process-compose file format: libyaml → a plain-data model of the project.
 *
 * compose_load() runs the whole pipeline of process-compose's loader (compat §1.1): file discovery, dotenv
 * files, ${VAR} substitution over the file text with $$ escaping, file-level extends, merging of several
 * files, process-level extends, defaults, replica expansion, Go-style {{ .VAR }} templates, executable/args,
 * validation and namespace admission. The result is a ComposeProject: plain C data, every key typed and with
 * process-compose's defaults applied, every process already expanded into its replicas. Nothing here logs
 * or touches the event loop; errors come back as a ComposeError naming file, line, column and key.
 *
 * Ownership: a ComposeProject owns all its strings and processes. Processes are held by pointer, so the
 * address of a ComposeProcess stays valid while the project changes (compose_scale() adds and removes
 * processes but never moves the others). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"
#include "shared/time-util.h"

/* Limits on client-controlled input (compose_load() fails with a clear error beyond them). */
#define COMPOSE_FILE_SIZE_MAX     (16U * 1024U * 1024U) /* bytes per file, before and after substitution */
#define COMPOSE_DEPTH_MAX         64U                   /* nesting of YAML collections */
#define COMPOSE_PROCESSES_MAX     10000U                /* processes after replica expansion */
#define COMPOSE_STRING_MAX        (1024U * 1024U)       /* bytes of one scalar */
#define COMPOSE_NODES_MAX         (4U * 1024U * 1024U)  /* YAML nodes visited, aliases included */
#define COMPOSE_FILES_MAX         64U                   /* files in one project (-f plus extends chains) */

/* A position in a configuration file; file NULL when the value did not come from a file (JSON API). */
typedef struct ComposePos {
        char *file;
        unsigned line;   /* 1-based; 0 unknown */
        unsigned column; /* 1-based; 0 unknown */
} ComposePos;

/* A load error. The formatted form (compose_error_format()) is "file:line:col: message", or "file: message"
 * without a position, or just the message without a file. */
typedef struct ComposeError {
        char *file;
        unsigned line;
        unsigned column;
        char *message;
} ComposeError;

/* Values are the integers of process-compose's JSON (compat §3.3.3). */
typedef enum ComposeCondition {
        COMPOSE_CONDITION_PROCESS_COMPLETED = 0,
        COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY = 1,
        COMPOSE_CONDITION_PROCESS_HEALTHY = 2,
        COMPOSE_CONDITION_PROCESS_STARTED = 3,
        COMPOSE_CONDITION_PROCESS_LOG_READY = 4,
        _COMPOSE_CONDITION_MAX,
        _COMPOSE_CONDITION_INVALID = -EINVAL,
} ComposeCondition;

typedef enum ComposeRestart {
        COMPOSE_RESTART_NO = 0,
        COMPOSE_RESTART_ALWAYS = 1,
        COMPOSE_RESTART_ON_FAILURE = 2,
        COMPOSE_RESTART_EXIT_ON_FAILURE = 3,
        _COMPOSE_RESTART_MAX,
        _COMPOSE_RESTART_INVALID = -EINVAL,
} ComposeRestart;

/* "process_completed", ... as in YAML; from_string returns _INVALID for anything else. */
const char *compose_condition_to_string(ComposeCondition c);
ComposeCondition compose_condition_from_string(const char *s);
/* The short form of GET /graph ("completed", "healthy", ...). */
const char *compose_condition_to_short_string(ComposeCondition c);
const char *compose_restart_to_string(ComposeRestart r);
ComposeRestart compose_restart_from_string(const char *s);

/* A key/value pair kept in file order (vars, headers, env_cmds). For vars, literal is true when the YAML
 * value was a plain (unquoted) number, boolean or null, so JSON shows it without quotes. */
typedef struct ComposeKV {
        char *key;
        char *value;
        bool literal;
} ComposeKV;

typedef struct ComposeDependency {
        char *name;                  /* a process name after replica expansion */
        ComposeCondition condition;
        ComposePos pos;              /* where the dependency was written */
} ComposeDependency;

typedef struct ComposeAvailability {
        ComposeRestart restart;      /* default no */
        int backoff_seconds;         /* default 1; the manager uses max(backoff, 1) */
        int max_restarts;            /* 0 = unlimited */
        bool exit_on_end;
        bool exit_on_skipped;
} ComposeAvailability;

typedef struct ComposeProbeExec {
        char *command;
        char *working_dir;           /* defaults to the process's working_dir */
} ComposeProbeExec;

typedef struct ComposeProbeHttp {
        char *host;                  /* default "127.0.0.1" */
        char *scheme;                /* default "http" */
        char *path;                  /* default "/" */
        char *port;                  /* as written (templated); NULL if none */
        int num_port;                /* 1..65535, or 0 when port is missing or invalid */
        ComposeKV *headers;
        size_t n_headers;
        int status_code;             /* default 200; <1 or >=400 reset to 200 */
} ComposeProbeHttp;

typedef struct ComposeProbe {
        ComposeProbeExec *exec;      /* exactly one of exec/http_get is used; exec wins */
        ComposeProbeHttp *http_get;
        int initial_delay_seconds;   /* default 0 */
        int period_seconds;          /* default 10 */
        int timeout_seconds;         /* default 1 */
        int success_threshold;       /* default 1 */
        int failure_threshold;       /* default 3 */
} ComposeProbe;

typedef struct ComposeShutdown {
        char *command;
        int signal;                  /* default 15; outside 1..31 → 15 */
        int timeout_seconds;         /* default 0 = no SIGKILL escalation with a plain signal */
        bool parent_only;
        char *send_keys;
} ComposeShutdown;

typedef struct ComposeLogRotation {
        int max_size_mb;
        int max_backups;
        int max_age_days;
        bool compress;
        char *directory;
        char *filename;
} ComposeLogRotation;

typedef struct ComposeLogConfig {
        ComposeLogRotation *rotation;
        char **fields_order;
        bool disable_json;
        char *timestamp_format;
        bool no_color;
        bool no_metadata;
        bool add_timestamp;
        bool flush_each_line;
} ComposeLogConfig;

typedef struct ComposeSchedule {
        char *cron;
        char *timezone;
        char *interval;              /* as written ("30s", "1h30m") */
        usec_t interval_usec;        /* parsed; 0 if none */
        bool run_on_start;
        int max_concurrent;          /* default 1 */
        ComposePos pos_cron;         /* of the cron value, for its errors */
        ComposePos pos_timezone;
} ComposeSchedule;

typedef struct ComposeWatchPath {
        char *path;                  /* absolute after loading */
        char **include;
        char **exclude;
        ComposePos pos;              /* of the entry in the file */
} ComposeWatchPath;

typedef struct ComposeWatch {
        ComposeWatchPath *paths;
        size_t n_paths;
        char *debounce;              /* as written; default "300ms" */
        usec_t debounce_usec;
        bool cascade;
        int max_entries;             /* default 8192 */
        int buffer_size;             /* default 65536 */
        bool disable_default_excludes;
} ComposeWatch;

/* One entry of a process's "x-systemd:" map: an extra unit property in unit-file syntax. The core area
 * validates key/value with unit_xprop_validate() and reports errors at file:line:column. */
typedef struct ComposeXProp {
        char *key;
        char *value;                 /* scalar text */
        char *file;
        unsigned line;
        unsigned column;
} ComposeXProp;

typedef struct ComposeShell {
        char *shell_command;         /* default $COMPOSE_SHELL or "bash" */
        char *shell_argument;        /* default "-c" */
        char *elevated_shell_command;/* default "sudo" */
        char *elevated_shell_argument;/* default "-S" */
} ComposeShell;

typedef struct ComposeProcess {
        char *name;                  /* unique name: replica name ("web-0") or the map key */
        char *base_name;             /* map key (PC_PROC_NAME) */
        int replica_num;             /* 0-based */
        char *replica_name;          /* = name */

        char *command;               /* rendered; "" if none */
        char **entrypoint;
        char *executable;            /* computed: shell or entrypoint[0] */
        char **args;                 /* computed: [shell_argument, command] or entrypoint[1:] */
        char *working_dir;           /* "" = the CWD of pcctl */
        char **environment;          /* "K=V", rendered */
        char *env_file;              /* as written; relative paths are relative to working_dir */
        bool is_dotenv_disabled;

        ComposeDependency *depends_on;
        size_t n_depends_on;
        ComposeAvailability availability;
        ComposeProbe *readiness_probe;
        ComposeProbe *liveness_probe;
        char *ready_log_line;
        ComposeShutdown shutdown;

        int replicas;                /* of the base process; default 1 */
        char **namespaces;           /* default ["default"] */
        bool disabled;
        char *is_disabled;           /* "true"/"false" as written, NULL if not set */
        bool is_daemon;
        int launch_timeout_seconds;  /* default 5 */
        bool is_foreground;
        bool is_tty;
        bool is_interactive;
        bool is_elevated;
        bool is_template_disabled;
        bool truncate_log;
        bool disable_ansi_colors;    /* TUI only: accepted, ignored */
        char *description;
        char *log_location;
        ComposeLogConfig *log_configuration;
        ComposeKV *vars;             /* process vars, plus PC_REPLICA_NUM as process-compose adds it */
        size_t n_vars;
        int *success_exit_codes;
        size_t n_success_exit_codes;
        ComposeSchedule *schedule;
        ComposeWatch *watch;
        char *extends;
        char *monitor_for;           /* TUI only */
        char *monitor_silence_threshold; /* TUI only */
        char *mcp;                   /* MCP only: the object as JSON text, NULL if absent */
        char *original_config;       /* JSON of the process before templates (scale-up renders from it) */

        ComposeXProp *x_systemd;
        size_t n_x_systemd;

        ComposePos pos;              /* the process's key */
        ComposePos pos_working_dir;
        ComposePos pos_env_file;
        ComposePos pos_log_location;

        void *extra;                 /* rows registered by tests (compose_table_register_extra_process_rows()) */
} ComposeProcess;

typedef struct ComposeProject {
        char *version;
        char *name;                  /* the `name:` key, NULL if absent */
        char *project_name;          /* name, or the basename of the working directory */
        char *working_directory;     /* absolute CWD the project was loaded from */

        char **file_names;           /* loaded files in merge order (extends bases first) */
        char **env_file_names;       /* dotenv files actually read */
        char **dot_env_vars;         /* "K=V" from the dotenv files */

        char **environment;          /* top-level environment, "K=V" */
        ComposeKV *env_cmds;         /* VAR → shell command, in file order */
        size_t n_env_cmds;
        char **env_cmds_environment; /* results of compose_run_env_cmds(), "K=V" */

        char *log_location;
        char *log_level;             /* as written, "" meaning info (PC_LOG_LEVEL overrides) */
        int log_length;              /* default 1000 */
        ComposeLogConfig *log_configuration;
        char *log_format;
        ComposeShell shell;
        ComposeKV *vars;
        size_t n_vars;
        bool is_strict;
        bool disable_env_expansion;
        bool is_tui_disabled;
        bool ordered_shutdown;
        bool disable_dotenv;
        char *extends;
        char *mcp_server;            /* JSON text, NULL if absent; not used by pcctl */
        char **namespaces;           /* -n selection; NULL = all */

        ComposeProcess **processes;  /* after replica expansion, sorted by name (see compose_project_sort()) */
        size_t n_processes;

        char **warnings;             /* non-fatal findings the caller should log (non-strict checks) */
        char **notes;                /* accepted-but-ignored keys, for `config --verbose` */
} ComposeProject;

/* Every pointer in the options is owned by them: compose_load_options_done() frees the lists and strings
 * (so set them to copies, never to environ or argv themselves). */
typedef struct ComposeLoadOptions {
        char **files;                /* -f; empty = discovery in working_directory */
        char **env_files;            /* -e; NULL = [".env"] */
        bool disable_dotenv;
        char **namespaces;           /* -n */
        bool strict;                 /* is_strict ||= strict */
        bool dry_run;                /* implies strict */
        bool ordered_shutdown;
        bool tui_disabled;
        char **disabled_processes;   /* PC_DISABLED_PROCESSES */
        char *shell;                 /* COMPOSE_SHELL; NULL = "bash" */
        char *log_level;             /* PC_LOG_LEVEL */
        char *working_directory;     /* NULL = getcwd() */
        char **environ;              /* for substitution and OS env; NULL = the process's environ */
} ComposeLoadOptions;

/**
 * compose_load_options_init() - zero-initialise options.
 * @opts: options to initialise
 */
void compose_load_options_init(ComposeLoadOptions *opts);

/**
 * compose_load_options_from_env() - fill options from the environment, as process-compose does.
 * @opts: initialised options; only fields not yet set are filled
 * @env: "K=V" list to read (NULL = environ)
 *
 * Reads PC_CONFIG_FILES (comma list), PC_DISABLE_DOTENV (any value), PC_NAMESPACES (comma list),
 * PC_ORDERED_SHUTDOWN (any value), PC_DISABLED_PROCESSES (comma list), COMPOSE_SHELL and PC_LOG_LEVEL.
 * Command-line flags parsed afterwards override or extend these.
 *
 * Return: 0 or -ENOMEM.
 */
int compose_load_options_from_env(ComposeLoadOptions *opts, char * const *env);

/**
 * compose_load_options_done() - free everything the options own.
 * @opts: options; may be zeroed
 */
void compose_load_options_done(ComposeLoadOptions *opts);

/**
 * compose_load() - load, merge, expand and validate a project.
 * @opts: load options (files, dotenv, namespaces, strictness, environment)
 * @ret_project: set to the new project on success
 * @ret_error: set on failure (file, position, message); may be NULL
 *
 * Runs the whole pipeline of compat §1.1. Non-fatal findings are left in project->warnings.
 *
 * Return: 0, -EINVAL for an invalid configuration, -ENOENT when no file was found or a file is missing,
 * -E2BIG/-ELOOP when a limit is exceeded, -ENOMEM.
 */
int compose_load(const ComposeLoadOptions *opts, ComposeProject **ret_project, ComposeError *ret_error);

/**
 * compose_load_string() - compose_load() on one in-memory file.
 * @text: the file contents (need not be NUL-terminated)
 * @size: length of @text
 * @file_name: the name errors carry (also the base for relative file extends)
 * @opts: load options; files are ignored; NULL = defaults
 * @ret_project: set on success
 * @ret_error: set on failure; may be NULL
 *
 * Return: as compose_load().
 */
int compose_load_string(const char *text, size_t size, const char *file_name, const ComposeLoadOptions *opts,
                        ComposeProject **ret_project, ComposeError *ret_error);

/**
 * compose_error_format() - "file:line:col: message" (shorter forms without position or file).
 * @e: the error
 *
 * Return: a new string, or NULL on OOM.
 */
char *compose_error_format(const ComposeError *e);

/**
 * compose_error_done() - free an error's strings and zero it.
 * @e: the error; may be zeroed already
 */
void compose_error_done(ComposeError *e);

/**
 * compose_project_free() - free a project and all its processes.
 * @p: project or NULL
 *
 * Return: NULL.
 */
ComposeProject *compose_project_free(ComposeProject *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ComposeProject *, compose_project_free);

/**
 * compose_process_free() - free one process.
 * @p: process or NULL
 *
 * Return: NULL.
 */
ComposeProcess *compose_process_free(ComposeProcess *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ComposeProcess *, compose_process_free);

/**
 * compose_process_dup() - deep copy of a process.
 * @p: the process
 * @ret: set to the copy
 *
 * Return: 0 or -ENOMEM.
 */
int compose_process_dup(const ComposeProcess *p, ComposeProcess **ret);

/**
 * compose_process_equal() - whether two processes are the same configuration.
 * @a: a process or NULL
 * @b: a process or NULL
 *
 * Compares every field the API shows (each row of the field table with a JSON key), so two processes are
 * equal exactly when their ProcessConfig JSON is. Positions in files do not count.
 *
 * Return: true if equal (or both NULL).
 */
bool compose_process_equal(const ComposeProcess *a, const ComposeProcess *b);

/**
 * compose_schedule_is_set() - whether a schedule schedules anything (process-compose's IsScheduled()).
 * @s: the process's schedule or NULL
 *
 * An empty `schedule: {}` (no cron, no interval) is not a schedule: the process runs as any other.
 *
 * Return: true when @s has a cron expression or an interval.
 */
bool compose_schedule_is_set(const ComposeSchedule *s);

/**
 * compose_project_find_process() - look a process up by its (replica) name.
 * @p: the project
 * @name: process name ("web" or "web-0")
 *
 * Return: the process, or NULL.
 */
ComposeProcess *compose_project_find_process(const ComposeProject *p, const char *name);

/**
 * compose_project_sort() - sort processes by name again after adding or renaming some.
 * @p: the project
 *
 * Lookups are binary searches over the sorted array (with a linear fallback, so an unsorted array is slow
 * but still correct).
 */
void compose_project_sort(ComposeProject *p);

/**
 * compose_project_find_replicas() - all processes with the given base name, in replica order.
 * @p: the project
 * @base_name: the map key the processes came from
 * @ret: set to a new array of borrowed pointers (caller frees the array only)
 *
 * Return: the number of replicas found (0 with *ret NULL), or -ENOMEM.
 */
int compose_project_find_replicas(const ComposeProject *p, const char *base_name, ComposeProcess ***ret);

/* A process's env_file as read for one start: compose_env_file_load() does the I/O, so that
 * compose_process_environment_from() can build the environment without any. */
typedef struct ComposeEnvFile {
        char *path;                  /* the resolved path; NULL when the process has no env_file */
        char *data;                  /* the file's bytes (NULL when it could not be read) */
        size_t size;
        int error;                   /* -errno when it could not be read, else 0 */
} ComposeEnvFile;

/**
 * compose_process_env_file_path() - where a process's env_file is, resolved lexically.
 * @project: the project (its working_directory is the base of relative paths)
 * @process: the process
 * @ret: set to a new absolute, cleaned path (no "." or ".." parts), or NULL without env_file
 *
 * A relative env_file is relative to the process's working_dir, itself relative to the project's directory.
 *
 * Return: 1 with a path, 0 without env_file, -ENOMEM.
 */
int compose_process_env_file_path(const ComposeProject *project, const ComposeProcess *process, char **ret);

/**
 * compose_env_file_load() - read a process's env_file for one start.
 * @project: the project
 * @process: the process
 * @ret: set to the file (path NULL without env_file); an unreadable file is not a failure here but
 *       ret->error, which compose_process_environment_from() reports as the project's strictness says
 *
 * Return: 0 or -ENOMEM.
 */
int compose_env_file_load(const ComposeProject *project, const ComposeProcess *process, ComposeEnvFile *ret);
void compose_env_file_done(ComposeEnvFile *f);

/**
 * compose_process_environment_from() - compose_process_environment() without I/O: @env_file was read
 * by compose_env_file_load() (NULL: the process has no env_file). Same order, same errors; @os_environ
 * NULL is empty.
 */
int compose_process_environment_from(const ComposeProject *project, const ComposeProcess *process,
                                     char * const *os_environ, const ComposeEnvFile *env_file, char ***ret_env,
                                     ComposeError *ret_error);

/**
 * compose_process_environment() - the full environment of a process, as process-compose builds it.
 * @project: the project
 * @process: the process
 * @os_environ: pcctl's own environment (NULL = environ)
 * @ret_env: set to a new "K=V" list (later entries already replaced earlier ones)
 * @ret_error: set when env_file cannot be read; may be NULL
 *
 * Order (later wins, compat §1.5): PC_PROC_NAME, PC_REPLICA_NUM, dotenv vars (unless disabled for the
 * project or the process), @os_environ, top-level environment plus env_cmds results, the process env_file
 * (read now: call this at every start), the process environment. A missing env_file is an error only in
 * strict projects; otherwise it is skipped, as process-compose only logs it.
 *
 * Return: 0, -ENOENT/-EINVAL for an unreadable or invalid env_file (strict), -ENOMEM.
 */
int compose_process_environment(const ComposeProject *project, const ComposeProcess *process,
                                char * const *os_environ, char ***ret_env, ComposeError *ret_error);

/* How long one env_cmds command may run, as in process-compose. */
#define COMPOSE_ENV_CMD_TIMEOUT_USEC (2 * USEC_PER_SEC)

/**
 * ComposeCommandRunner - runs a command for the loader (env_cmds); compose/ itself forks nothing.
 * @argv: the program and its arguments (for env_cmds: shell, shell argument, command)
 * @env: "K=V" environment of the command
 * @timeout: how long it may run
 * @ret_stdout: set to its standard output (NUL-terminated) when it succeeded
 * @userdata: the caller's pointer
 *
 * command_run_capture() (shared/command-util.h) is one; tests pass fakes.
 *
 * Return: 0 when the command exited with status 0, -ETIMEDOUT, -EPROTO when it failed, other -errno.
 */
typedef int (*ComposeCommandRunner)(char * const *argv, char * const *env, usec_t timeout, char **ret_stdout,
                                    void *userdata);

/**
 * compose_run_env_cmds() - run the top-level env_cmds once and keep their output.
 * @project: the project; results go to project->env_cmds_environment
 * @os_environ: environment of the commands (NULL = environ)
 * @runner: runs each command (through the project shell, with COMPOSE_ENV_CMD_TIMEOUT_USEC)
 * @userdata: passed to @runner
 *
 * The trimmed stdout of each command becomes "VAR=out". A failing or timed out command leaves VAR unset and
 * adds a warning to project->warnings.
 *
 * With a runner that blocks (command_run_capture()), call this only where blocking delays nothing: for `up`
 * before the event loop starts, exactly when process-compose runs them. The results must exist before the
 * first process is started anyway.
 *
 * Return: 0 or -ENOMEM (command failures are not errors).
 */
int compose_run_env_cmds(ComposeProject *project, char * const *os_environ, ComposeCommandRunner runner,
                         void *userdata);

/**
 * compose_admit_namespaces() - apply `-n NS...`: keep only the processes of these namespaces.
 * @p: the project
 * @namespaces: the admitted namespaces; empty/NULL = no change
 *
 * Dependencies on processes left out are dropped, each with a warning in the project. compose_load() runs
 * it; a live update runs it again on the new project, so that it admits what `up` admitted.
 *
 * Return: 0 or -ENOMEM.
 */
int compose_admit_namespaces(ComposeProject *p, char * const *namespaces);

/**
 * compose_select() - apply `up PROC...`: enable the named processes and their transitive dependencies.
 * @project: the project
 * @names: process names (replica or base names); empty/NULL = no change
 * @no_deps: enable only the named processes and clear their depends_on
 * @ret_error: "no such process: X" for an unknown name; may be NULL
 *
 * Every other process is marked disabled (still listed and startable).
 *
 * Return: 0, -ENOENT for an unknown name, -ENOMEM.
 */
int compose_select(ComposeProject *project, char * const *names, bool no_deps, ComposeError *ret_error);

/**
 * compose_topological_order() - processes ordered so that dependencies come before their dependents.
 * @project: the project
 * @ret: set to a new array of borrowed pointers, n_processes long (caller frees the array only)
 *
 * Ties keep name order, so the result is deterministic.
 *
 * Return: 0, -ELOOP for a cycle, -ENOMEM.
 */
int compose_topological_order(const ComposeProject *project, ComposeProcess ***ret);

/**
 * compose_dependents() - processes that depend directly on a process (for ordered shutdown).
 * @project: the project
 * @name: process name
 * @ret: set to a new array of borrowed pointers (NULL when there are none)
 *
 * Return: the number of dependents, or -ENOMEM.
 */
int compose_dependents(const ComposeProject *project, const char *name, ComposeProcess ***ret);

/**
 * compose_find_cycle() - find a dependency cycle.
 * @project: the project
 * @ret_cycle: set to a new strv naming the cycle in order, first name repeated at the end
 *             ("a", "b", "a"); NULL when there is none
 *
 * Return: 1 if a cycle was found, 0 if not, -ENOMEM.
 */
int compose_find_cycle(const ComposeProject *project, char ***ret_cycle);

/**
 * compose_scale() - change the number of replicas of a process in the model (compat §1.8).
 * @project: the project
 * @name: a process name or base name ("process1-0", "process2")
 * @count: new number of replicas (>= 1)
 * @ret_removed: set to the names of removed processes (may be NULL); the processes are freed
 * @ret_added: set to the names of new processes (may be NULL)
 * @ret_renamed: set to pairs old,new of renamed processes (may be NULL)
 * @ret_error: the message for the API; may be NULL
 *
 * Existing replicas keep their ComposeProcess (renamed to the new width: scale 2→10 renames process1-0 to
 * process1-00; back to 1 renames it process1); new replicas are rendered from original_config with their
 * PC_REPLICA_NUM. Dependencies on the group are re-expanded.
 *
 * Return: 0, 1 when count equals the current count (no change), -ENOENT unknown name, -EINVAL bad count,
 * -ENOMEM.
 */
int compose_scale(ComposeProject *project, const char *name, int count, char ***ret_removed, char ***ret_added,
                  char ***ret_renamed, ComposeError *ret_error);

/**
 * compose_dry_run_message() - "Validated N configured processes from M files."
 * @project: the project
 *
 * Return: a new string, or NULL on OOM.
 */
char *compose_dry_run_message(const ComposeProject *project);

/**
 * compose_replica_name() - the name of replica i of n: base if n == 1, else base-<i zero-padded>.
 * @base: base name
 * @i: replica number
 * @n: number of replicas
 *
 * Return: a new string, or NULL on OOM.
 */
char *compose_replica_name(const char *base, int i, int n);

/**
 * compose_project_format_yaml() - the resolved project as YAML (for `pcctl config`).
 * @project: the project
 * @ret: set to a new NUL-terminated string
 *
 * Return: 0 or -ENOMEM.
 */
int compose_project_format_yaml(const ComposeProject *project, char **ret);
