/* journalctl's argument syntax (journal-args.c): time spans, dates and priorities. */
#pragma once

#include "shared/time-util.h"

/* "5", "1h30min", "2 weeks": a bare number is seconds. Returns 0, -EINVAL or -ERANGE. */
int journal_parse_timespan(const char *s, usec_t *ret);

/* A date as journalctl's --since/--until take it: "YYYY-MM-DD [HH:MM[:SS[.frac]]]", "HH:MM[:SS]", "now",
 * "today", "yesterday", "tomorrow", "@EPOCH[.frac]", "-1h", "+5m", "2 hours ago", "5 min left". Local time.
 * Returns 0 and realtime µs in *ret, or -EINVAL / -ENOMEM. */
int journal_parse_date(const char *s, usec_t *ret);

/* -p: a level (0-7 or emerg..debug, also panic, error, warn) meaning 0..level, or a range "A..B" (either side
 * may be empty). Returns 0 with the inclusive range, or -EINVAL / -ENOMEM. */
int journal_parse_priority(const char *s, int *ret_min, int *ret_max);
