/* journald's Synchronize call: a point after which every line the project's processes wrote is in the
 * journal files.
 *
 * journald serves io.systemd.Journal.Synchronize (varlink, on JOURNAL_VARLINK_SOCKET) to root only. It
 * answers from a deferred event source of lower priority than its stdout streams (vl_method_synchronize() in
 * systemd v252 journald-server.c; streams are NORMAL+5, the answer NORMAL+15), so the answer comes once
 * journald has read every stream that had data waiting, to its end, and written those lines. Data a process
 * wrote is in journald's socket when write() returns, so once a unit is gone, one call made afterwards
 * covers all of its output, however far behind journald was.
 *
 * Each call makes journald log "Received client request to sync journal." (as `journalctl --sync` does). */
#pragma once

#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/time-util.h"

#define JOURNAL_VARLINK_SOCKET "/run/systemd/journal/io.systemd.journal"

typedef struct JournalSync JournalSync;

/* error: 0 when journald confirmed; -ETIMEDOUT, -EPROTO (an error reply) or the socket's -errno. The
 * callback may free the JournalSync. */
typedef void (*JournalSyncCallback)(JournalSync *s, int error, void *userdata);

/* Connects to address (NULL: JOURNAL_VARLINK_SOCKET) and sends the call; the callback runs once, from the
 * loop, at the latest after timeout. Returns -errno when the call cannot be made at all (-ENOENT without
 * journald, -EACCES when not root): the callback is then never called. */
int journal_sync_start(sd_event *e, const char *address, usec_t timeout, JournalSyncCallback cb,
                       void *userdata, JournalSync **ret);

JournalSync *journal_sync_free(JournalSync *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalSync *, journal_sync_free);
