/* What the probe files share: the Probe object and the steps of its two kinds. Not for other areas. */
#pragma once

#include <curl/curl.h>

#include "probe/probe.h"
#include "shared/time-util.h"

typedef struct ProbeSocket ProbeSocket;

/* One socket libcurl asked us to watch; freed on CURL_POLL_REMOVE or with the probe. */
struct ProbeSocket {
        Probe *probe;
        sd_event_source *source;
        ProbeSocket *next, *prev;
};

struct Probe {
        unsigned n_ref;       /* the owner's reference plus one per event handler on the stack */
        bool dead;            /* probe_free() was called; destroyed when the last handler returns */

        sd_event *event;
        ProbeKind kind;
        ProbeCallback callback;
        void *userdata;

        usec_t initial_delay, period, timeout;
        unsigned failure_threshold, success_threshold;

        bool running;
        unsigned generation;  /* bumped by start/stop, so a callback that restarts wins over the reschedule */
        unsigned failures;    /* consecutive */
        usec_t check_start;
        sd_event_source *timer;

        /* exec */
        char **argv, **environment;
        char *working_directory;
        char *user, *group;
        pid_t pid;
        int errfd;            /* user checks: the child's setup error, read after it exits */
        bool timed_out;
        sd_event_source *child, *kill_timer;

        /* http_get */
        char *url;
        struct curl_slist *headers;
        long status_code;
        CURLM *multi;
        CURL *easy;
        sd_event_source *curl_timer;
        ProbeSocket *sockets;
        char errbuf[CURL_ERROR_SIZE];
};

Probe *probe_ref(Probe *p);
void probe_unref(Probe *p);
int probe_arm_timer(Probe *p, sd_event_source **s, usec_t when, usec_t accuracy, sd_event_time_handler_t handler);
void probe_disarm_timer(sd_event_source *s);
/* One check finished: count it, tell the owner, schedule the next one unless the owner changed things. */
void probe_report(Probe *p, bool ok, const char *error);

/* exec (probe-exec.c) */
int probe_exec_setup(Probe *p, const ProbeConfig *config);
int probe_exec_start(Probe *p, char **ret_error);
void probe_exec_cancel(Probe *p);

/* http_get (probe-http.c) */
int probe_http_setup(Probe *p, const ProbeConfig *config);
int probe_http_start(Probe *p);
void probe_http_cancel(Probe *p);
void probe_http_done(Probe *p);
