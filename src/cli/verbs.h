/* The pcctl command-line verbs.
 *
 * pcctl.c holds the table and dispatches on the first argument that is not a global option. Each verb
 * receives argv starting at its own name (argv[0] is the verb) and returns a process exit code. Every
 * verb lives in its own file, verb-<name>.c; the client verbs share cli-client.h (messages, the API client,
 * the getopt driver and the one table of options that take a value). */
#pragma once

int verb_up(int argc, char **argv);               /* verb-up.c: run a project (the controller) */
int verb_run(int argc, char **argv);              /* verb-up.c: one process in the foreground (run) */
int verb_config(int argc, char **argv);           /* verb-config.c: print the resolved project */
int verb_logs(int argc, char **argv);             /* verb-logs.c: journalctl-compatible log views */
int verb_exited(int argc, char **argv);           /* verb-exec.c: __exited, the in-unit exit recorder */
int verb_exec(int argc, char **argv);             /* verb-exec.c: __exec, the in-unit stderr wrapper */
int verb_process(int argc, char **argv);          /* verb-process.c: process list|get|start|stop|... */
int verb_project(int argc, char **argv);          /* verb-project.c: project state|is-ready|update */
int verb_namespace(int argc, char **argv);        /* verb-namespace.c: namespace list|start|stop|restart */
int verb_down(int argc, char **argv);             /* verb-down.c */
int verb_graph(int argc, char **argv);            /* verb-graph.c */
int verb_list(int argc, char **argv);             /* verb-process.c: alias of process list */
int verb_process_logs(int argc, char **argv);     /* verb-process-logs.c: process logs over WebSocket */
int verb_process_monitor(int argc, char **argv);  /* verb-process-logs.c: process monitor (states WS) */
int verb_analyze(int argc, char **argv);          /* verb-analyze.c: analyze critical-chain */
int verb_version(int argc, char **argv);          /* verb-version.c */
int verb_info(int argc, char **argv);             /* verb-info.c */
int verb_completion(int argc, char **argv);       /* verb-completion.c: completion bash|zsh|fish */
int verb_complete(int argc, char **argv);         /* verb-completion.c: __complete, what the scripts ask */
int verb_attach(int argc, char **argv);           /* verb-attach.c: the terminal of an interactive process */

/* The names of the verbs pcctl --help lists (pcctl.c), for completion; NULL on OOM. */
char **cli_verb_names(void);
