/* The connection to the service manager (its private socket, else the bus) and the parsing of unit
 * properties. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver-internal.h"

/* The one synchronous round trip, at connection time. */
#define UNIT_DRIVER_PING_TIMEOUT_USEC (5 * USEC_PER_SEC)

static int read_variant(sd_bus_message *m, const char *type, void *p) {
        int r;

        r = sd_bus_message_read(m, "v", type, p);
        if (r == -ENXIO) /* not the type we expect: ignore the value */
                return sd_bus_message_skip(m, "v");
        return r < 0 ? r : 1;
}

/* Parses an a{sv} as sent by PropertiesChanged and GetAll. */
int unit_props_parse(sd_bus_message *m, UnitProps *p) {
        static const struct {
                const char *name;
                const char *type;
                unsigned bit;
                size_t offset;
        } table[] = {
                { "ActiveState",            "s", UNIT_PROP_ACTIVE_STATE,     offsetof(UnitProps, active_state) },
                { "SubState",               "s", UNIT_PROP_SUB_STATE,        offsetof(UnitProps, sub_state) },
                { "LoadState",              "s", UNIT_PROP_LOAD_STATE,       offsetof(UnitProps, load_state) },
                { "Result",                 "s", UNIT_PROP_RESULT,           offsetof(UnitProps, result) },
                { "MainPID",                "u", UNIT_PROP_MAIN_PID,         offsetof(UnitProps, main_pid) },
                { "ExecMainPID",            "u", UNIT_PROP_EXEC_MAIN_PID,    offsetof(UnitProps, exec_main_pid) },
                { "ExecMainCode",           "i", UNIT_PROP_EXEC_MAIN_CODE,   offsetof(UnitProps, exec_main_code) },
                { "ExecMainStatus",         "i", UNIT_PROP_EXEC_MAIN_STATUS, offsetof(UnitProps, exec_main_status) },
                { "ExecMainStartTimestamp", "t", UNIT_PROP_EXEC_MAIN_START,  offsetof(UnitProps, exec_main_start) },
                { "ExecMainExitTimestamp",  "t", UNIT_PROP_EXEC_MAIN_EXIT,   offsetof(UnitProps, exec_main_exit) },
                { "NextElapseUSecRealtime", "t", UNIT_PROP_NEXT_ELAPSE_REALTIME, offsetof(UnitProps, next_elapse_realtime) },
                { "NextElapseUSecMonotonic", "t", UNIT_PROP_NEXT_ELAPSE_MONOTONIC, offsetof(UnitProps, next_elapse_monotonic) },
                { "LastTriggerUSec",        "t", UNIT_PROP_LAST_TRIGGER,     offsetof(UnitProps, last_trigger) },
        };
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;
                bool known = false;

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                        if (!streq(key, table[i].name))
                                continue;
                        r = read_variant(m, table[i].type, (uint8_t *) p + table[i].offset);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                p->have |= table[i].bit;
                        known = true;
                        break;
                }
                if (!known) {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

/* D-Bus address values escape every byte outside a small safe set as %XX. */
static int bus_address_escape(const char *s, char **ret) {
        static const char hex[] = "0123456789abcdef";
        char *buf, *t;

        buf = malloc(strlen(s) * 3 + 1);
        if (!buf)
                return -ENOMEM;
        t = buf;
        for (const char *f = s; *f; f++) {
                unsigned char c = (unsigned char) *f;

                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    strchr("-_/.\\*", c))
                        *t++ = (char) c;
                else {
                        *t++ = '%';
                        *t++ = hex[c >> 4];
                        *t++ = hex[c & 15];
                }
        }
        *t = 0;
        *ret = buf;
        return 0;
}

int unit_manager_private_socket(UnitManagerScope scope, char **ret) {
        const char *rt;
        char *p;

        if (scope == UNIT_MANAGER_SYSTEM)
                p = strdup("/run/systemd/private");
        else {
                rt = getenv("XDG_RUNTIME_DIR");
                if (isempty(rt) || rt[0] != '/')
                        return -ENXIO;
                if (asprintf(&p, "%s/systemd/private", rt) < 0)
                        p = NULL;
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int bus_open_private(const char *socket_path, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *esc = NULL, *address = NULL;
        int r;

        r = bus_address_escape(socket_path, &esc);
        if (r < 0)
                return r;
        if (asprintf(&address, "unix:path=%s", esc) < 0)
                return -ENOMEM;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(bus);
        return 0;
}

/* One synchronous call so that an unreachable manager is reported at once, with its reason. */
static int bus_ping_manager(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DESTINATION, SD_PATH, "org.freedesktop.DBus.Properties",
                                           "Get");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", SD_MANAGER, "Version");
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, UNIT_DRIVER_PING_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return r;
        return 0;
}
/**
 * unit_bus_connect() - connect to the service manager of scope.
 * @scope: the user or the system manager
 * @ret: set to the connection (not attached to a loop)
 * @ret_private_socket: set to whether it is the manager's private socket (no bus daemon)
 *
 * Tries the private socket first (no bus daemon needed; the user manager's one only when
 * $XDG_RUNTIME_DIR is set), then the bus, and pings the manager once on each.
 *
 * Return: 0, or the more telling -errno of the attempts.
 */
int unit_bus_connect(UnitManagerScope scope, sd_bus **ret, bool *ret_private_socket) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *socket_path = NULL;
        int r, r_private = -ENXIO;

        if (scope == UNIT_MANAGER_USER || geteuid() == 0) {
                r = unit_manager_private_socket(scope, &socket_path);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        r_private = bus_open_private(socket_path, &bus);
                        if (r_private >= 0) {
                                r_private = bus_ping_manager(bus);
                                if (r_private < 0)
                                        bus = sd_bus_flush_close_unref(bus);
                        }
                }
        }

        if (bus) {
                *ret_private_socket = true;
                *ret = TAKE_PTR(bus);
                return 0;
        }
        if (scope == UNIT_MANAGER_USER)
                r = sd_bus_open_user(&bus);
        else
                r = sd_bus_open_system(&bus);
        if (r >= 0) {
                r = bus_ping_manager(bus);
                if (r < 0)
                        bus = sd_bus_flush_close_unref(bus);
        }
        if (r < 0) {
                log_debug_errno(r, "Connecting to the %s bus failed: %m",
                                scope == UNIT_MANAGER_USER ? "user" : "system");
                /* The private socket's reason is the more telling one ("no such file"). */
                return r_private != -ENXIO ? r_private : r;
        }
        *ret_private_socket = false;
        *ret = TAKE_PTR(bus);
        return 0;
}

int unit_driver_unreachable_message(UnitManagerScope scope, int error, char **ret) {
        _cleanup_free_ char *socket_path = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        (void) unit_manager_private_socket(scope, &socket_path);

        if (scope == UNIT_MANAGER_SYSTEM)
                r = asprintf(ret, "no systemd system manager reachable at %s or on the system bus (%s): "
                             "--system needs systemd running as PID 1",
                             strna(socket_path), strerror(error < 0 ? -error : error));
        else if (!socket_path)
                r = asprintf(ret, "no systemd user manager reachable: $XDG_RUNTIME_DIR is not set (%s): "
                             "start one with contrib/sandbox.sh start and export XDG_RUNTIME_DIR=/run/user/%u, "
                             "or log in to a systemd session",
                             strerror(error < 0 ? -error : error), (unsigned) getuid());
        else
                r = asprintf(ret, "no systemd user manager reachable at %s (%s): "
                             "start one with contrib/sandbox.sh start, or log in to a systemd session",
                             socket_path, strerror(error < 0 ? -error : error));
        return r < 0 ? -ENOMEM : 0;
}

int unit_path_for_unit(const char *unit, char **ret) {
        if (!unit_name_is_valid(unit) || !ret)
                return -EINVAL;
        return sd_bus_path_encode(SD_UNIT_PREFIX, unit, ret);
}
