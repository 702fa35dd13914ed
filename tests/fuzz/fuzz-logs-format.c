/* Fuzz the byte-level log paths: any process output (binary, invalid UTF-8, NULs, escapes) through the ring,
 * the log-file formats and systemd's printable check; the input also serves as a Go time layout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal-output.h"
#include "journal/log-file.h"
#include "journal/logring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *const order[] = { (char *) "message", (char *) "nope", (char *) "level", NULL };
        const LogFileConfig cfgs[] = {
                {},
                { .add_timestamp = true, .timestamp_format = "2006-01-02T15:04:05.999999999Z07:00" },
                { .disable_json = true, .no_color = true },
                { .disable_json = true, .add_timestamp = true, .fields_order = order },
                { .no_metadata = true },
        };
        LogRing *ring = log_ring_new(4, 64);
        char *layout, tbuf[256];
        Buffer b = {};

        for (size_t i = 0; i < 6 && ring; i++)
                (void) log_ring_append(ring, (const char *) data, size, 1, i % 8, (LogStream) (i % 3), 1, "c");
        log_ring_free(ring);

        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
                buffer_truncate(&b, 0);
                (void) log_file_format_line(&cfgs[i], &b, "web", 0, size % 2, (const char *) data, size,
                                            1714557723000000ULL);
        }
        buffer_done(&b);

        (void) journal_utf8_is_printable((const char *) data, size, true);
        (void) journal_utf8_is_printable((const char *) data, size, false);

        layout = strndup((const char *) data, size > 200 ? 200 : size);
        if (layout) {
                (void) go_time_format(tbuf, sizeof tbuf, layout, 1714557723045678ULL);
                free(layout);
        }
        return 0;
}
