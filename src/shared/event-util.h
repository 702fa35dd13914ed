/* Small sd-event helpers. */
#pragma once

#include <systemd/sd-event.h>

#include "shared/time-util.h"

/* The loop's cached time of the current iteration for clock; the clock itself before the loop's first
 * iteration, when sd_event_now() has no time yet. */
static inline usec_t event_now(sd_event *e, clockid_t clock) {
        usec_t t;

        if (sd_event_now(e, clock, &t) < 0)
                t = now_usec(clock);
        return t;
}
