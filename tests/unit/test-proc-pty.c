/* ProcPty: process-compose's key escapes, and a terminal driven on a loop without systemd: output to the
 * subscribers (scrollback first, the end last), input and size to the terminal side. */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "core/proc-pty.h"
#include "shared/buffer.h"
#include "tests.h"

static void expect_keys(const char *keys, const char *raw, size_t n) {
        char out[64];

        ASSERT_UEQ(proc_pty_unescape_keys(keys, out), n);
        ASSERT_EQ(memcmp(out, raw, n), 0);
}

TEST(unescape_keys) {
        expect_keys("print(6*7)\\n", "print(6*7)\n", 11);
        expect_keys("a\\r\\t\\e\\0b", "a\r\t\x1b\0b", 6);
        expect_keys("\\x03", "\x03", 1);
        expect_keys("\\x0", "\\x0", 3);          /* not two hex digits: literal */
        expect_keys("\\xzz", "\\xzz", 4);
        expect_keys("\\z", "\\z", 2);            /* unknown escape: literal */
        expect_keys("\\\\n", "\\n", 2);
        expect_keys("end\\", "end\\", 4);        /* a trailing backslash stays */
        expect_keys("", "", 0);
}

typedef struct Seen {
        Buffer bytes;
        unsigned ends;
} Seen;

static void on_output(const void *data, size_t len, void *userdata) {
        Seen *s = userdata;

        if (!data)
                s->ends++;
        else
                (void) buffer_append(&s->bytes, data, len);
}

static void run_for(sd_event *e, usec_t usec) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + usec;

        while (now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_OK(sd_event_run(e, 10 * USEC_PER_MSEC));
}

TEST(terminal_round_trip) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        ProcPty *t = NULL;
        ProcPtySub *a = NULL, *b = NULL;
        Seen sa = {}, sb = {};
        struct winsize ws;
        struct termios tio;
        char buf[64];
        int tty;

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(proc_pty_new(e, "test-proc-pty", &t));
        ASSERT_TRUE(proc_pty_is_open(t));
        ASSERT_TRUE(startswith(proc_pty_terminal_path(t), "/dev/pts/") != NULL);

        /* the process's side: its own fd, ours released (as after the unit's start) */
        tty = open(proc_pty_terminal_path(t), O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_TRUE(tty >= 0);
        proc_pty_release_terminal(t);
        ASSERT_EQ(proc_pty_terminal_fd(t), -EBADF);
        ASSERT_EQ(tcgetattr(tty, &tio), 0);
        tio.c_lflag &= ~(ECHO | ICANON);
        ASSERT_EQ(tcsetattr(tty, TCSANOW, &tio), 0);

        ASSERT_EQ(ioctl(tty, TIOCGWINSZ, &ws), 0);
        ASSERT_EQ(ws.ws_col, PROC_PTY_COLS_DEFAULT);
        ASSERT_EQ(ws.ws_row, PROC_PTY_ROWS_DEFAULT);

        ASSERT_OK(proc_pty_subscribe(t, on_output, &sa, &a));
        ASSERT_EQ(write(tty, ">>> ", 4), 4);
        run_for(e, 50 * USEC_PER_MSEC);
        ASSERT_UEQ(sa.bytes.len, 4);

        /* a late subscriber gets the screen so far first */
        ASSERT_OK(proc_pty_subscribe(t, on_output, &sb, &b));
        ASSERT_UEQ(sb.bytes.len, 4);
        ASSERT_STREQ(sb.bytes.data, ">>> ");

        /* input reaches the process, a resize its terminal */
        ASSERT_OK(proc_pty_sub_write(a, "x\n", 2));
        run_for(e, 20 * USEC_PER_MSEC);
        ASSERT_EQ(read(tty, buf, sizeof(buf)), 2);
        ASSERT_OK(proc_pty_sub_resize(b, 132, 43));
        ASSERT_EQ(ioctl(tty, TIOCGWINSZ, &ws), 0);
        ASSERT_EQ(ws.ws_col, 132);
        ASSERT_EQ(ws.ws_row, 43);
        ASSERT_ERROR(proc_pty_resize(t, 0, 10), EINVAL);

        /* the queue is bounded */
        {
                static char big[PROC_PTY_INPUT_MAX + 1];
                ASSERT_ERROR(proc_pty_write(t, big, sizeof(big)), ENOBUFS);
        }

        /* the process's side closes: both subscribers hear the end once, input is refused */
        b = proc_pty_sub_free(b);
        ASSERT_EQ(write(tty, "bye\r\n", 5), 5);
        close(tty);
        run_for(e, 50 * USEC_PER_MSEC);
        ASSERT_FALSE(proc_pty_is_open(t));
        ASSERT_EQ(sa.ends, 1u);
        ASSERT_EQ(sb.ends, 0u);
        ASSERT_TRUE(strstr(sa.bytes.data, "bye") != NULL);
        ASSERT_ERROR(proc_pty_sub_write(a, "y", 1), EPIPE);

        /* a subscription outlives its terminal */
        t = proc_pty_free(t);
        ASSERT_ERROR(proc_pty_sub_write(a, "y", 1), EPIPE);
        a = proc_pty_sub_free(a);
        buffer_done(&sa.bytes);
        buffer_done(&sb.bytes);
}

DEFINE_TEST_MAIN();
