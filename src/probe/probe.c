/* Readiness and liveness probes: see probe.h. The scheduling and the object live here; the checks of each
 * kind in probe-exec.c and probe-http.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "probe/probe-internal.h"
#include "shared/strv.h"
#include "shared/time-util.h"

static const char * const probe_kind_table[_PROBE_KIND_MAX] = {
        [PROBE_EXEC] = "exec",
        [PROBE_HTTP_GET] = "http_get",
};

const char *probe_kind_to_string(ProbeKind k) {
        return k >= 0 && k < _PROBE_KIND_MAX ? probe_kind_table[k] : NULL;
}

ProbeKind probe_kind_from_string(const char *s) {
        for (int i = 0; s && i < _PROBE_KIND_MAX; i++)
                if (streq(probe_kind_table[i], s))
                        return i;
        return _PROBE_KIND_INVALID;
}

Probe *probe_ref(Probe *p) {
        p->n_ref++;
        return p;
}

static void probe_destroy(Probe *p);

void probe_unref(Probe *p) {
        if (p && --p->n_ref == 0)
                probe_destroy(p);
}

/* accuracy: 1 ms for the periodic checks (many probes coalesce into fewer wakeups); 1 µs for the first
 * check and for libcurl's timers, where slack adds up over the several timer steps of one request (measured:
 * a local GET took 2 ms at p50 with 1 ms slack, 0.2 ms with 1 µs). */
int probe_arm_timer(Probe *p, sd_event_source **s, usec_t when, usec_t accuracy, sd_event_time_handler_t handler) {
        int r;

        if (!*s) {
                r = sd_event_add_time(p->event, s, CLOCK_MONOTONIC, when, accuracy, handler, p);
                if (r < 0)
                        return r;
                return 0;
        }
        r = sd_event_source_set_time(*s, when);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

void probe_disarm_timer(sd_event_source *s) {
        if (s)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* One check finished: count it, tell the owner, schedule the next one unless the owner changed things. */
void probe_report(Probe *p, bool ok, const char *error) {
        bool fatal = false;
        unsigned generation;
        int r;

        if (!p->running)
                return;
        if (ok)
                p->failures = 0;
        else if (++p->failures >= p->failure_threshold) {
                fatal = true;
                p->failures = 0;
        }

        generation = p->generation;
        probe_ref(p);
        p->callback(p, ok, fatal, ok ? NULL : error, p->userdata);
        if (!p->dead && p->running && p->generation == generation) {
                /* period is measured from the start of the last check, as a ticker would; a check that took
                 * longer than the period is followed by the next one at once */
                r = probe_arm_timer(p, &p->timer, MAX(p->check_start + p->period, now_usec(CLOCK_MONOTONIC)),
                              USEC_PER_MSEC, on_check_timer);
                if (r < 0)
                        p->running = false;   /* cannot happen short of ENOMEM; the probe goes quiet */
        }
        probe_unref(p);
}

/* ---- scheduling ---- */

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_free_ char *error = NULL;
        Probe *p = userdata;
        int r;

        if (!p->running)
                return 0;
        p->check_start = now_usec(CLOCK_MONOTONIC);
        r = p->kind == PROBE_EXEC ? probe_exec_start(p, &error) : probe_http_start(p);
        if (r < 0) {
                char buf[128];
                if (!error) {
                        snprintf(buf, sizeof buf, "cannot start the check: %s", strerror(-r));
                        probe_ref(p);
                        probe_report(p, false, buf);
                        probe_unref(p);
                } else {
                        probe_ref(p);
                        probe_report(p, false, error);
                        probe_unref(p);
                }
        }
        return 0;
}

/**
 * probe_start() - start checking
 * @p: the probe
 *
 * The first check runs initial_delay_seconds from now, then one every period_seconds. A probe that was
 * running is restarted: its running check is cancelled and its failure count reset.
 *
 * Return: 0, or a negative errno from sd-event.
 */
int probe_start(Probe *p) {
        int r;

        if (!p || p->dead)
                return -EINVAL;
        probe_stop(p);
        r = probe_arm_timer(p, &p->timer, now_usec(CLOCK_MONOTONIC) + p->initial_delay, 1, on_check_timer);
        if (r < 0)
                return r;
        p->running = true;
        return 0;
}

void probe_stop(Probe *p) {
        if (!p)
                return;
        p->running = false;
        p->generation++;
        p->failures = 0;
        probe_disarm_timer(p->timer);
        if (p->kind == PROBE_EXEC)
                probe_exec_cancel(p);
        else
                probe_http_cancel(p);
}

bool probe_is_running(const Probe *p) {
        return p && p->running;
}

const char *probe_get_url(const Probe *p) {
        return p ? p->url : NULL;
}

static void probe_destroy(Probe *p) {
        probe_stop(p);
        probe_http_done(p);
        sd_event_source_disable_unref(p->timer);
        strv_free(p->argv);
        strv_free(p->environment);
        free(p->working_directory);
        free(p->user);
        free(p->group);
        sd_event_unref(p->event);
        free(p);
}

/**
 * probe_free() - stop and free a probe
 * @p: the probe, or NULL
 *
 * Safe from the probe's own callback: the memory goes when the callback returns.
 *
 * Return: NULL.
 */
Probe *probe_free(Probe *p) {
        if (!p)
                return NULL;
        probe_stop(p);
        p->dead = true;
        probe_unref(p);
        return NULL;
}

static usec_t seconds_or(int v, int min, int dflt) {
        if (v < min)
                v = dflt;
        return (usec_t) MIN(v, PROBE_SECONDS_MAX) * USEC_PER_SEC;
}

/**
 * probe_new() - create a probe
 * @event: the loop everything runs on (referenced)
 * @config: what to check; copied
 * @callback: called after every check
 * @userdata: passed to callback
 * @ret: the probe, stopped
 *
 * Return: 0; -EINVAL for a config that cannot work (see probe.h); -ENOMEM; other negative errnos.
 */
int probe_new(sd_event *event, const ProbeConfig *config, ProbeCallback callback, void *userdata,
              Probe **ret) {
        _cleanup_(probe_freep) Probe *p = NULL;
        static bool curl_initialized = false;
        int r;

        if (!event || !config || !callback || !ret)
                return -EINVAL;
        if (config->kind != PROBE_EXEC && config->kind != PROBE_HTTP_GET)
                return -EINVAL;

        p = new0(Probe, 1);
        if (!p)
                return -ENOMEM;
        p->n_ref = 1;
        p->errfd = -EBADF;
        p->event = sd_event_ref(event);
        p->kind = config->kind;
        p->callback = callback;
        p->userdata = userdata;
        p->initial_delay = seconds_or(config->initial_delay_seconds, 0, 0);
        p->period = seconds_or(config->period_seconds, 1, 10);
        p->timeout = seconds_or(config->timeout_seconds, 1, 1);
        p->success_threshold = config->success_threshold < 1 ? 1 : (unsigned) config->success_threshold;
        p->failure_threshold = config->failure_threshold < 1 ? 3 : (unsigned) config->failure_threshold;

        if (p->kind == PROBE_EXEC) {
                r = probe_exec_setup(p, config);
                if (r < 0)
                        return r;
        } else {
                if (!curl_initialized) {
                        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                                return -ENOMEM;
                        curl_initialized = true;
                }
                r = probe_http_setup(p, config);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}
