/* x-systemd entries from arbitrary bytes: the input is "<key>\n<value>" (no newline: the key is the whole
 * input and the value is empty). Validation must never crash, must answer with a message that names
 * x-systemd on every refusal, and must agree with unit_xprop_append(): what validates appends into an a(sv)
 * that seals, what does not is refused by append too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "shared/macro.h"
#include "unit/unit-xprops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sd_bus *bus;

static sd_bus *get_bus(void) {
        int fds[2];

        /* a bus that never authenticates is enough to build messages */
        if (!bus && (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
                     sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0))
                abort();
        return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *buf = NULL, *error = NULL;
        char *key, *value, *nl;
        int r, a;

        if (size > 16384)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        key = buf;
        nl = strchr(buf, '\n');
        if (nl) {
                *nl = 0;
                value = nl + 1;
        } else
                value = buf + size;

        r = unit_xprop_validate(key, value, &error);
        if (r < 0 && r != -EINVAL)
                abort();
        if (r == -EINVAL && (!error || strncmp(error, "x-systemd: ", 11) != 0))
                abort();
        if (r == 0 && error)
                abort();

        if (sd_bus_message_new_method_call(get_bus(), &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit") < 0 ||
            sd_bus_message_append(m, "ss", "x.service", "fail") < 0 ||
            sd_bus_message_open_container(m, 'a', "(sv)") < 0)
                abort();
        a = unit_xprop_append(m, key, value);
        if ((r == 0) != (a == 0))
                abort();
        if (a == 0) {
                static uint64_t cookie = 0;
                if (sd_bus_message_close_container(m) < 0 || sd_bus_message_append(m, "a(sa(sv))", 0) < 0 ||
                    sd_bus_message_seal(m, ++cookie, 0) < 0)
                        abort();
        }
        (void) unit_xprop_system_only(key);
        return 0;
}
