/* The pseudo-terminal of one run of an interactive process (is_interactive, is_tty).
 *
 * pcctl opens the terminal pair; the unit gets the terminal side as its stdin, stdout and stderr (UnitSpec's
 * tty_path and tty_fd), pcctl keeps the master side on its event loop:
 *   - everything the process writes is split into lines and sent to the journal with the process's
 *     SYSLOG_IDENTIFIER, so the journal follower, `pcctl logs` and the log API see it as any other output.
 *     A line is at most PROC_PTY_LINE_MAX bytes; bytes without a newline (a prompt) are logged once the
 *     terminal has been quiet for PROC_PTY_PARTIAL_USEC;
 *   - the raw bytes go to the subscribers (the terminal WebSocket), and the last PROC_PTY_SCROLLBACK bytes
 *     are kept, so a new subscriber first gets what the screen showed;
 *   - input (send-keys, the terminal WebSocket) is written without blocking: what the terminal does not take
 *     at once waits in a queue of at most PROC_PTY_INPUT_MAX bytes; more is refused (-ENOBUFS).
 * The terminal ends when the last holder of the terminal side closed it (the run is over: read gives EIO);
 * then the subscribers get a final call with len 0. A terminal whose terminal side pcctl keeps open (a
 * scheduled process's, which every run opens by its path) lasts from run to run, until it is freed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/time-util.h"

#define PROC_PTY_LINE_MAX 4096u
#define PROC_PTY_PARTIAL_USEC (300 * USEC_PER_MSEC)
#define PROC_PTY_SCROLLBACK (16u * 1024u)
#define PROC_PTY_INPUT_MAX (64u * 1024u)
#define PROC_PTY_COLS_DEFAULT 80
#define PROC_PTY_ROWS_DEFAULT 24

typedef struct ProcPty ProcPty;
typedef struct ProcPtySub ProcPtySub;

/* Output of the terminal; data NULL and len 0 once: the terminal ended (the subscription stays until freed). */
typedef void (*ProcPtyOutputFunc)(const void *data, size_t len, void *userdata);

int proc_pty_new(sd_event *e, const char *ident, ProcPty **ret);
/* A terminal whose master side a previous controller kept in systemd's fd store (no scrollback, no terminal
 * side of ours). Takes master_fd. */
int proc_pty_adopt(sd_event *e, const char *ident, int master_fd, ProcPty **ret);
/* Opens the terminal side of an adopted terminal again (TIOCGPTPEER) and keeps it, with its path, as
 * proc_pty_new() does: a terminal that must outlive its runs. 0 when it has one already. */
int proc_pty_hold_terminal(ProcPty *t);
/* Keeps the master side in the fd store of the controller's unit (sd_pid_notify_with_fds FDSTORE=1,
 * FDNAME=<ident>), replacing what the store held under that name; it is removed from there when the terminal
 * ends. A no-op (0) without $NOTIFY_SOCKET. */
int proc_pty_store(ProcPty *t);
/* The FDNAME of a process's terminal in the store: its identifier with '%' for '\\', which systemd drops from
 * the names it hands back. Caller frees. */
char *proc_pty_fdname(const char *ident);
/* Frees the terminal (closes the master side); subscribers get their final call first. */
ProcPty *proc_pty_free(ProcPty *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcPty *, proc_pty_free);

/* The terminal side, for the unit: its path and an fd of it, which the ProcPty keeps open until
 * proc_pty_release_terminal() (after the manager answered the start: the unit then holds its own). */
const char *proc_pty_terminal_path(const ProcPty *t);
int proc_pty_terminal_fd(const ProcPty *t);
void proc_pty_release_terminal(ProcPty *t);
bool proc_pty_is_open(const ProcPty *t);

/* Input. Return: 0; -ENOBUFS when the queue is full; -EPIPE after the terminal ended. */
int proc_pty_write(ProcPty *t, const void *data, size_t len);
/* TIOCSWINSZ (the kernel sends SIGWINCH to the foreground process group). -EINVAL for 0 or > 10000. */
int proc_pty_resize(ProcPty *t, unsigned cols, unsigned rows);

/* Subscribes to the raw output; func first gets the scrollback (synchronously, from this call). */
int proc_pty_subscribe(ProcPty *t, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret);
ProcPtySub *proc_pty_sub_free(ProcPtySub *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcPtySub *, proc_pty_sub_free);
/* The same as proc_pty_write()/proc_pty_resize() on the subscription's terminal; -EPIPE once it ended. */
int proc_pty_sub_write(ProcPtySub *s, const void *data, size_t len);
int proc_pty_sub_resize(ProcPtySub *s, unsigned cols, unsigned rows);

/* process-compose's key escapes (\n \r \t \b \f \v \a \e \0 \\ \xHH; anything else stays literal) into raw
 * bytes. Pure. Return: the length written to ret (at most strlen(keys)). */
size_t proc_pty_unescape_keys(const char *keys, char *ret);
