/* Turning a compose process into what systemd and the probes get: the unit spec of a run (argv through the
 * __exec wrapper, the environment, the working directory, the stop properties, the x-systemd extras), the
 * unit spec of its shutdown.command, the configs of its probes and the paths of its log files.
 *
 * All of it is pure: no I/O, no bus call, no clock. What needs I/O comes in as input (the env_file is read
 * by compose_env_file_load() beforehand), so the whole mapping is tested with golden values
 * (tests/unit/test-process-spec.c).
 *
 * Paths are resolved lexically (shared/path-util.h): a relative working_dir, log_location or probe
 * working_dir is joined to the project's directory and cleaned, so "../" never reaches systemd, which
 * refuses a WorkingDirectory= with ".." in it. */
#pragma once

#include <stdbool.h>

#include "compose/compose.h"
#include "probe/probe.h"
#include "unit/unit-driver.h"

#define PROCESS_SPEC_STOP_TIMEOUT_DEFAULT_SEC 10
#define PROCESS_SPEC_STOP_TIMEOUT_MAX_SEC 86400

typedef enum ProcessSpecKind {
        PROCESS_SPEC_RUN,            /* the process itself */
        PROCESS_SPEC_SHUTDOWN,       /* its shutdown.command, as a unit of its own */
        _PROCESS_SPEC_KIND_MAX,
        _PROCESS_SPEC_KIND_INVALID = -EINVAL,
} ProcessSpecKind;

/* Everything a spec is made of. The pointers are borrowed for the duration of the call only. */
typedef struct ProcessSpecInput {
        const ComposeProject *project;
        const ComposeProcess *process;
        unsigned replica_num;        /* for log_location */
        const char *name;            /* the process's name (replica name), for the description */
        const char *unit;            /* "pcctl-<project>-<process>.service" */
        const char *slice;           /* "pcctl-<project>.slice" */
        const char *ident;           /* SyslogIdentifier */
        const char *exec_path;       /* the pcctl-exec wrapper */
        char * const *os_environ;    /* pcctl's own environment; NULL: empty */
        const ComposeEnvFile *env_file; /* as compose_env_file_load() read it; NULL: none */
        UnitManagerScope scope;      /* --system runs exec probes as the process's User=/Group= */
        const int *stdio_fds;        /* `pcctl run`'s foreground process: its stdin, stdout, stderr; NULL */
        /* where the run's exit is recorded by `<exec_path> __exited` in ExecStopPost=, for a controller
         * that was away when it ended (docs/lifecycle.md "Controller restarts"); NULL: not recorded */
        const char *exit_record;
} ProcessSpecInput;

/* A UnitSpec and the storage it points into (besides the input's strings: unit names and x-systemd keys
 * and values are borrowed from it, so the input must outlive the spec). */
typedef struct ProcessSpec {
        UnitSpec unit;
        char *unit_name;             /* PROCESS_SPEC_SHUTDOWN: "<unit>-shutdown.service" */
        char **argv;
        char **exec_stop_post;
        char **environment;
        char *working_directory;
        char *description;
        UnitExtraProperty *extra;
} ProcessSpec;

/* The run's Description ends in " [spec <process_spec_hash()>]". */
int process_spec_build(const ProcessSpecInput *in, ProcessSpecKind kind, ProcessSpec *ret, char **ret_reason);

#define PROCESS_SPEC_HASH_SIZE 17
void process_spec_hash(const UnitSpec *u, char * const *os_environ, char ret[static PROCESS_SPEC_HASH_SIZE]);
/* The hash at the end of a unit's Description; false when there is none (a unit of an older pcctl). */
bool process_spec_description_hash(const char *description, char ret[static PROCESS_SPEC_HASH_SIZE]);
void process_spec_done(ProcessSpec *s);

/* A scheduled process's timer (schedule: cron, interval, run_on_start) and the storage it points into. */
typedef struct ProcessTimerSpec {
        UnitTimerSpec timer;
        char *unit_name;             /* "pcctl-<project>-<process>.timer" */
        char *description;
        char **on_calendar;
} ProcessTimerSpec;

/* The timer of in->process, which has a schedule (compose_schedule_is_set()): cron becomes OnCalendar= (or,
 * for @every, the monotonic pair), interval OnActiveSec= plus OnUnitActiveSec=, run_on_start an
 * OnActiveSec=0. -EINVAL with *ret_reason for what cannot be scheduled. */
int process_spec_timer(const ProcessSpecInput *in, ProcessTimerSpec *ret, char **ret_reason);
void process_timer_spec_done(ProcessTimerSpec *s);
/* "<unit without .service>.timer" */
int process_spec_timer_unit(const char *unit, char **ret);

/* max_concurrent above 1 (docs/units.md §3.0): the runs are the services "<base>@1.service" to "@N", copies
 * of the run's spec, and the timer starts "<base>.service" (the process's unit), a oneshot launcher that
 * starts the first instance that is not active, or logs that the run is skipped. services holds the
 * launcher first, then the instances, as unit_driver_start_timer() takes them. */
typedef struct ProcessLauncherSpec {
        UnitSpec *services;
        size_t n_services;
        char **instances;            /* the instances' unit names, in order */
        char **argv;
        char **environment;
        char *description;
} ProcessLauncherSpec;

/* "<unit without .service>@<i>.service" */
int process_spec_instance_unit(const char *unit, unsigned i, char **ret);
/* The launcher and the n instances of run (the spec of a run, for in->unit). */
int process_spec_launcher(const ProcessSpecInput *in, const UnitSpec *run, unsigned n, ProcessLauncherSpec *ret);
void process_launcher_spec_done(ProcessLauncherSpec *s);

/* A probe's config and the storage it points into (the environment is borrowed from the run's spec). */
typedef struct ProcessProbeSpec {
        ProbeConfig config;
        char **argv;
        char *working_directory;
        ProbeHeader *headers;
} ProcessProbeSpec;

int process_spec_probe(const ProcessSpecInput *in, const ComposeProbe *probe, const ProcessSpec *run,
                       ProcessProbeSpec *ret);
void process_probe_spec_done(ProcessProbeSpec *s);

/* pcctl's own environment as its processes inherit it (compat §1.5): @environ without what the service
 * manager set for pcctl's own service (NOTIFY_SOCKET, LISTEN_*, INVOCATION_ID, ...: they describe the
 * controller's unit under `up -D`, and systemd sets each process's own). */
int process_spec_inherited_environment(char * const *environ, char ***ret);
bool process_spec_is_service_variable(const char *assignment);

int process_spec_working_dir(const ComposeProject *project, const ComposeProcess *process, char **ret);
int process_spec_log_location(const ComposeProject *project, const ComposeProcess *process, unsigned replica_num,
                              char **ret);
int process_spec_project_log_location(const ComposeProject *project, char **ret);
int process_spec_shutdown_unit(const char *unit, char **ret);
int process_spec_compute_exec(const ComposeProject *project, ComposeProcess *process);
