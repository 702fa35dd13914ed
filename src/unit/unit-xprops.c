/* The x-systemd property table: unit-file syntax in, typed D-Bus "(sv)" out. See unit-xprops.h.
 *
 * The parsers follow systemd's unit-file rules (xprop_parse_size() with base 1024, parse_sec(), xprop_parse_boolean(),
 * rlimit "soft:hard") closely enough that a value copied from a .service file means the same here, and
 * stricter where systemd would silently reset a property (an empty value is an error, not "default"). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/time-util.h"
#include "shared/utf8-util.h"
#include "unit/unit-xprops-internal.h"
#include "unit/unit-xprops.h"

typedef enum XPropKind {
        XPROP_SIZE,        /* t: bytes, K/M/G/T/P/E (base 1024), "infinity", or N% (→ <Name>Scale u) */
        XPROP_CPU_QUOTA,   /* t CPUQuotaPerSecUSec: N% of one CPU */
        XPROP_WEIGHT,      /* t: 1..10000 */
        XPROP_TASKS,       /* t: count, "infinity", or N% (→ TasksMaxScale u) */
        XPROP_INT,         /* i: integer in [min, max] */
        XPROP_RLIMIT,      /* t LimitX + t LimitXSoft: VALUE or SOFT:HARD */
        XPROP_UMASK,       /* u: octal, at most 0777 */
        XPROP_USER,        /* s: a user or group name, or a numeric id */
        XPROP_GROUPS,      /* as: whitespace-separated group names */
        XPROP_BOOL,        /* b */
        XPROP_ENUM,        /* s: one of choices; booleans map to "yes"/"no" if allowed */
        XPROP_TIMESPAN,    /* t: a time span ("90", "1min 30s", "infinity"), sent in µs */
        XPROP_PATHS,       /* as: whitespace-separated absolute paths, optional '-' or '+' prefix */
        XPROP_DENIED,      /* pcctl sets it, or it conflicts with how pcctl runs processes */
        _XPROP_KIND_MAX,
        _XPROP_KIND_INVALID = -EINVAL,
} XPropKind;


typedef struct XProp {
        const char *name;        /* the unit-file name the compose file uses */
        const char *bus;         /* the D-Bus property, when it differs from name */
        XPropKind kind;
        int64_t min, max;        /* XPROP_INT bounds; XPROP_TIMESPAN: min 1 rejects 0, max 1 maps 0 to infinity */
        RlimitUnit rlimit;
        const char * const *choices;
        const char *reason;      /* XPROP_DENIED */
} XProp;

static const char * const protect_system_choices[] = { "no", "yes", "full", "strict", NULL };
static const char * const protect_home_choices[] = { "no", "yes", "read-only", "tmpfs", NULL };

#define SIZE(n) { .name = n, .kind = XPROP_SIZE }
#define BOOL(n) { .name = n, .kind = XPROP_BOOL }
#define RLIMIT(n, u) { .name = n, .kind = XPROP_RLIMIT, .rlimit = u }
#define DENY(n, r) { .name = n, .kind = XPROP_DENIED, .reason = r }

#define REASON_EXEC "pcctl sets the command from 'command' or 'entrypoint'"
#define REASON_ENV "pcctl computes the full environment; use 'environment' or 'env_file'"
#define REASON_TYPE "pcctl sets the service type itself (Type=exec; ExitType=cgroup for 'is_daemon')"
#define REASON_RESTART "pcctl handles restarts itself; use 'availability'"
#define REASON_SHUTDOWN "pcctl sets it from 'shutdown' (signal, timeout_seconds, parent_only)"
#define REASON_LOGS "pcctl reads each process's output from the journal through it"
#define REASON_DEPS "pcctl schedules dependencies itself; use 'depends_on'"
#define REASON_USEC "use the unit-file name with seconds"

static const XProp xprops[] = {
        SIZE("MemoryMax"),
        SIZE("MemoryHigh"),
        SIZE("MemoryLow"),
        SIZE("MemoryMin"),
        SIZE("MemorySwapMax"),
        { .name = "CPUQuota", .bus = "CPUQuotaPerSecUSec", .kind = XPROP_CPU_QUOTA },
        { .name = "CPUWeight", .kind = XPROP_WEIGHT },
        { .name = "StartupCPUWeight", .kind = XPROP_WEIGHT },
        { .name = "IOWeight", .kind = XPROP_WEIGHT },
        { .name = "StartupIOWeight", .kind = XPROP_WEIGHT },
        { .name = "TasksMax", .kind = XPROP_TASKS },
        { .name = "Nice", .kind = XPROP_INT, .min = -20, .max = 19 },
        { .name = "OOMScoreAdjust", .kind = XPROP_INT, .min = -1000, .max = 1000 },
        RLIMIT("LimitCPU", RLIMIT_UNIT_SEC),
        RLIMIT("LimitFSIZE", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitDATA", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitSTACK", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitCORE", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitRSS", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitNOFILE", RLIMIT_UNIT_NUMBER),
        RLIMIT("LimitAS", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitNPROC", RLIMIT_UNIT_NUMBER),
        RLIMIT("LimitMEMLOCK", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitLOCKS", RLIMIT_UNIT_NUMBER),
        RLIMIT("LimitSIGPENDING", RLIMIT_UNIT_NUMBER),
        RLIMIT("LimitMSGQUEUE", RLIMIT_UNIT_SIZE),
        RLIMIT("LimitNICE", RLIMIT_UNIT_NICE),
        RLIMIT("LimitRTPRIO", RLIMIT_UNIT_NUMBER),
        RLIMIT("LimitRTTIME", RLIMIT_UNIT_USEC),
        { .name = "UMask", .kind = XPROP_UMASK },
        { .name = "User", .kind = XPROP_USER },
        { .name = "Group", .kind = XPROP_USER },
        { .name = "SupplementaryGroups", .kind = XPROP_GROUPS },
        BOOL("PrivateTmp"),
        BOOL("PrivateDevices"),
        BOOL("PrivateNetwork"),
        BOOL("NoNewPrivileges"),
        BOOL("ProtectKernelTunables"),
        BOOL("ProtectKernelModules"),
        BOOL("ProtectControlGroups"),
        BOOL("RestrictRealtime"),
        BOOL("LockPersonality"),
        BOOL("MemoryDenyWriteExecute"),
        { .name = "ProtectSystem", .kind = XPROP_ENUM, .choices = protect_system_choices },
        { .name = "ProtectHome", .kind = XPROP_ENUM, .choices = protect_home_choices },
        { .name = "ReadOnlyPaths", .kind = XPROP_PATHS },
        { .name = "ReadWritePaths", .kind = XPROP_PATHS },
        { .name = "InaccessiblePaths", .kind = XPROP_PATHS },
        { .name = "RuntimeMaxSec", .bus = "RuntimeMaxUSec", .kind = XPROP_TIMESPAN, .min = 1 },
        { .name = "TimeoutStartSec", .bus = "TimeoutStartUSec", .kind = XPROP_TIMESPAN, .max = 1 },

        DENY("ExecStart", REASON_EXEC),
        DENY("ExecStartEx", REASON_EXEC),
        DENY("ExecStartPre", REASON_EXEC),
        DENY("ExecStartPost", REASON_EXEC),
        DENY("ExecCondition", REASON_EXEC),
        DENY("ExecReload", REASON_EXEC),
        DENY("ExecStop", "pcctl runs 'shutdown.command' itself"),
        DENY("ExecStopPost", "pcctl runs 'shutdown.command' itself"),
        DENY("Environment", REASON_ENV),
        DENY("EnvironmentFile", REASON_ENV),
        DENY("UnsetEnvironment", REASON_ENV),
        DENY("PassEnvironment", REASON_ENV),
        DENY("Type", REASON_TYPE),
        DENY("ExitType", REASON_TYPE),
        DENY("RemainAfterExit", REASON_TYPE),
        DENY("Restart", REASON_RESTART),
        DENY("RestartSec", REASON_RESTART),
        DENY("StartLimitBurst", REASON_RESTART),
        DENY("StartLimitIntervalSec", REASON_RESTART),
        DENY("SuccessExitStatus", "pcctl judges exit codes itself; use 'availability.success_exit_codes'"),
        DENY("KillMode", REASON_SHUTDOWN),
        DENY("KillSignal", REASON_SHUTDOWN),
        DENY("TimeoutStopSec", REASON_SHUTDOWN),
        DENY("TimeoutSec", REASON_SHUTDOWN),
        DENY("SendSIGKILL", REASON_SHUTDOWN),
        DENY("FinalKillSignal", REASON_SHUTDOWN),
        DENY("SyslogIdentifier", REASON_LOGS),
        DENY("StandardOutput", REASON_LOGS),
        DENY("StandardError", REASON_LOGS),
        DENY("StandardInput", "pcctl runs processes with stdin from /dev/null"),
        DENY("Slice", "pcctl puts every process in the project's slice so the project stops as one"),
        DENY("WorkingDirectory", "pcctl sets it from 'working_dir'"),
        DENY("Description", "pcctl names the process in it"),
        DENY("IgnoreSIGPIPE", "pcctl sets IgnoreSIGPIPE=no, as process-compose children get default SIGPIPE"),
        DENY("Wants", REASON_DEPS),
        DENY("Requires", REASON_DEPS),
        DENY("Requisite", REASON_DEPS),
        DENY("BindsTo", REASON_DEPS),
        DENY("PartOf", REASON_DEPS),
        DENY("After", REASON_DEPS),
        DENY("Before", REASON_DEPS),
        DENY("Conflicts", REASON_DEPS),
        DENY("OnFailure", REASON_DEPS),
        DENY("OnSuccess", REASON_DEPS),
        DENY("CPUQuotaPerSecUSec", "use 'CPUQuota' with a percentage"),
        DENY("RuntimeMaxUSec", REASON_USEC " ('RuntimeMaxSec')"),
        DENY("TimeoutStartUSec", REASON_USEC " ('TimeoutStartSec')"),
};

static const XProp *xprop_find(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(xprops); i++)
                if (streq(xprops[i].name, key))
                        return xprops + i;
        return NULL;
}

static const XProp *xprop_find_case(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(xprops); i++)
                if (strcasecmp(xprops[i].name, key) == 0)
                        return xprops + i;
        return NULL;
}

/* The value as the message shows it: quoted, escaped, cut at 64 bytes. */
static void quote_value(char *buf, size_t size, const char *value) {
        size_t n = 0, i;

        for (i = 0; value[i] && i < 64 && n + 8 < size; i++) {
                unsigned char c = value[i];
                if (IN_SET(c, '"', '\\'))
                        n += snprintf(buf + n, size - n, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        n += snprintf(buf + n, size - n, "\\x%02x", c);
                else
                        buf[n++] = c;
        }
        if (value[i] && n + 4 < size)
                n += snprintf(buf + n, size - n, "...");
        buf[n] = 0;
}

static int set_error(char **ret_error, const char *format, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        *ret_error = s;
        return -EINVAL;
}

static int emit_t(sd_bus_message *m, const char *name, uint64_t v) {
        return m ? sd_bus_message_append(m, "(sv)", name, "t", v) : 0;
}

static int emit_u(sd_bus_message *m, const char *name, uint32_t v) {
        return m ? sd_bus_message_append(m, "(sv)", name, "u", v) : 0;
}

/* An "as" property from a whitespace-separated list. Each item is checked by check(). */
static int emit_strv(sd_bus_message *m, const char *name, const char *value,
                     bool (*check)(const char *s, size_t len)) {
        const char *p = value;
        size_t n = 0;
        int r;

        if (m) {
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "s", name);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'v', "as");
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'a', "s");
                if (r < 0)
                        return r;
        }
        for (;;) {
                size_t len;

                p += strspn(p, " \t");
                if (!*p)
                        break;
                len = strcspn(p, " \t");
                if (!check(p, len) || ++n > 64)
                        return -EINVAL;
                if (m) {
                        char item[UNIT_XPROP_VALUE_MAX + 1];

                        if (len > UNIT_XPROP_VALUE_MAX)
                                return -EINVAL;
                        memcpy(item, p, len);
                        item[len] = 0;
                        r = sd_bus_message_append(m, "s", item);
                        if (r < 0)
                                return r;
                }
                p += len;
        }
        if (n == 0)
                return -EINVAL;
        if (m) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool valid_path_item(const char *s, size_t len) {
        if (len > 0 && (s[0] == '-' || s[0] == '+')) {
                s++;
                len--;
        }
        if (len == 0 || s[0] != '/' || len > 4095)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] == '"' || s[i] == '\'' || s[i] == '\\')
                        return false;   /* systemd's quoting rules are not replicated: refuse, don't guess */
        return true;
}

/* VALUE or SOFT:HARD: LimitX (hard) and LimitXSoft. */
static int xprop_apply_rlimit(const XProp *p, const char *value, sd_bus_message *m) {
        const char *bus = p->bus ?: p->name, *colon = strchr(value, ':');
        char name[UNIT_XPROP_KEY_MAX + 16];
        uint64_t soft, hard;
        int r;

        if (colon) {
                char first[UNIT_XPROP_VALUE_MAX + 1];

                if ((size_t) (colon - value) > UNIT_XPROP_VALUE_MAX)
                        return -EINVAL;
                memcpy(first, value, colon - value);
                first[colon - value] = 0;
                if (xprop_parse_rlimit_one(p->rlimit, first, &soft) < 0 ||
                    xprop_parse_rlimit_one(p->rlimit, colon + 1, &hard) < 0 || soft > hard)
                        return -EINVAL;
        } else {
                if (xprop_parse_rlimit_one(p->rlimit, value, &soft) < 0)
                        return -EINVAL;
                hard = soft;
        }
        r = emit_t(m, bus, hard);
        if (r < 0)
                return r;
        snprintf(name, sizeof name, "%sSoft", bus);
        return emit_t(m, name, soft);
}

/* One of p->choices; a boolean maps to "yes"/"no". */
static int xprop_apply_enum(const XProp *p, const char *value, sd_bus_message *m) {
        const char *choice = NULL;
        int r;

        for (const char * const *c = p->choices; *c; c++)
                if (streq(*c, value))
                        choice = *c;
        if (!choice) {
                r = xprop_parse_boolean(value);
                if (r < 0)
                        return r;
                choice = r ? "yes" : "no";
        }
        return m ? sd_bus_message_append(m, "(sv)", p->bus ?: p->name, "s", choice) : 0;
}

/* Parses value for p and, if m is set, appends it (one case per kind). -EINVAL for a bad value; other
 * negative errors come from sd-bus. */
static int xprop_apply(const XProp *p, const char *value, sd_bus_message *m) {
        const char *bus = p->bus ?: p->name;
        char name[UNIT_XPROP_KEY_MAX + 16];
        uint64_t v;
        int64_t i;
        usec_t t;
        int r;

        switch (p->kind) {
        case XPROP_SIZE:
                if (streq(value, "infinity"))
                        return emit_t(m, bus, UINT64_MAX);
                if (endswith(value, "%")) {
                        if (xprop_parse_permyriad(value, &v) < 0 || v > 10000)
                                return -EINVAL;
                        snprintf(name, sizeof name, "%sScale", bus);
                        /* systemd's UINT32_SCALE_FROM_PERMYRIAD, rounded */
                        return emit_u(m, name, (uint32_t) ((v * UINT32_MAX + 5000) / 10000));
                }
                if (xprop_parse_size(value, &v) < 0 || v == UINT64_MAX)
                        return -EINVAL;
                return emit_t(m, bus, v);

        case XPROP_CPU_QUOTA:
                /* 1% of one CPU is 10 ms per second; above 1000000% (10000 CPUs) is surely a typo */
                if (xprop_parse_permyriad(value, &v) < 0 || v == 0 || v > 100000000)
                        return -EINVAL;
                return emit_t(m, bus, v * 100);

        case XPROP_WEIGHT:
                if (parse_u64(value, &v) < 0 || v < 1 || v > 10000)
                        return -EINVAL;
                return emit_t(m, bus, v);

        case XPROP_TASKS:
                if (streq(value, "infinity"))
                        return emit_t(m, bus, UINT64_MAX);
                if (endswith(value, "%")) {
                        if (xprop_parse_permyriad(value, &v) < 0 || v == 0 || v > 10000)
                                return -EINVAL;
                        snprintf(name, sizeof name, "%sScale", bus);
                        return emit_u(m, name, (uint32_t) ((v * UINT32_MAX + 5000) / 10000));
                }
                if (parse_u64(value, &v) < 0 || v == 0 || v == UINT64_MAX)
                        return -EINVAL;
                return emit_t(m, bus, v);

        case XPROP_INT:
                if (parse_i64(value, &i) < 0 || i < p->min || i > p->max)
                        return -EINVAL;
                return m ? sd_bus_message_append(m, "(sv)", bus, "i", (int32_t) i) : 0;

        case XPROP_RLIMIT:
                return xprop_apply_rlimit(p, value, m);

        case XPROP_UMASK: {
                size_t len = strlen(value);

                if (len == 0 || len > 4 || strspn(value, "01234567") != len)
                        return -EINVAL;
                v = strtoul(value, NULL, 8);
                if (v > 0777)
                        return -EINVAL;
                return emit_u(m, bus, (uint32_t) v);
        }

        case XPROP_USER:
                if (!xprop_valid_user_name(value, strlen(value)))
                        return -EINVAL;
                return m ? sd_bus_message_append(m, "(sv)", bus, "s", value) : 0;

        case XPROP_GROUPS:
                return emit_strv(m, bus, value, xprop_valid_user_name);

        case XPROP_BOOL:
                r = xprop_parse_boolean(value);
                if (r < 0)
                        return r;
                return m ? sd_bus_message_append(m, "(sv)", bus, "b", r) : 0;

        case XPROP_ENUM:
                return xprop_apply_enum(p, value, m);

        case XPROP_TIMESPAN:
                if (xprop_parse_timespan(value, USEC_PER_SEC, &t) < 0)
                        return -EINVAL;
                if (t == 0 && p->min > 0)
                        return -EINVAL;
                if (t == 0 && p->max > 0)
                        t = USEC_INFINITY;   /* systemd: TimeoutStartSec=0 disables the timeout */
                return emit_t(m, bus, t);

        case XPROP_PATHS:
                return emit_strv(m, bus, value, valid_path_item);

        default:
                return -EINVAL;
        }
}

static void xprop_expectation(const XProp *p, char *buf, size_t size) {
        switch (p->kind) {
        case XPROP_SIZE:
                snprintf(buf, size, "must be a size in bytes (with K, M, G, T, P or E suffix), "
                         "a percentage of RAM (0%%..100%%) or \"infinity\"");
                break;
        case XPROP_CPU_QUOTA:
                snprintf(buf, size, "must be a percentage of one CPU above 0 (\"50%%\", \"200%%\")");
                break;
        case XPROP_WEIGHT:
                snprintf(buf, size, "must be an integer between 1 and 10000");
                break;
        case XPROP_TASKS:
                snprintf(buf, size, "must be a positive number of tasks, a percentage or \"infinity\"");
                break;
        case XPROP_INT:
                snprintf(buf, size, "must be an integer between %" PRIi64 " and %" PRIi64, p->min, p->max);
                break;
        case XPROP_RLIMIT:
                snprintf(buf, size, "must be %s or \"infinity\", or SOFT:HARD with SOFT <= HARD",
                         xprop_rlimit_unit_text(p->rlimit));
                break;
        case XPROP_UMASK:
                snprintf(buf, size, "must be an octal mode between 0000 and 0777");
                break;
        case XPROP_USER:
                snprintf(buf, size, "must be a user or group name, or a numeric id");
                break;
        case XPROP_GROUPS:
                snprintf(buf, size, "must be a space-separated list of 1 to 64 group names");
                break;
        case XPROP_BOOL:
                snprintf(buf, size, "must be a boolean (yes/no, true/false, on/off, 1/0)");
                break;
        case XPROP_ENUM: {
                size_t n = snprintf(buf, size, "must be a boolean or one of:");
                for (const char * const *c = p->choices; *c && n < size; c++)
                        n += snprintf(buf + n, size - n, " %s", *c);
                break;
        }
        case XPROP_TIMESPAN:
                snprintf(buf, size, "must be a %stime span (\"90\", \"5min\", \"1h 30min\") or \"infinity\"",
                         p->min > 0 ? "non-zero " : "");
                break;
        case XPROP_PATHS:
                snprintf(buf, size, "must be a space-separated list of absolute paths "
                         "(optionally prefixed by '-' or '+', no quotes)");
                break;
        default:
                snprintf(buf, size, "is invalid");
        }
}

/**
 * unit_xprop_validate() - check one x-systemd entry without I/O
 * @key: the property, in unit-file spelling ("MemoryMax")
 * @value: the value, in unit-file syntax ("512M")
 * @ret_error: the message for the user, naming the property (set only on -EINVAL)
 *
 * Return: 0 if unit_xprop_append() will encode it, -EINVAL if not, -ENOMEM.
 */
int unit_xprop_validate(const char *key, const char *value, char **ret_error) {
        char quoted[300], expect[300];
        const XProp *p;
        size_t len;
        int r;

        if (isempty(key))
                return set_error(ret_error, "x-systemd: empty property name");
        if (strlen(key) > UNIT_XPROP_KEY_MAX) {
                quote_value(quoted, sizeof quoted, key);
                return set_error(ret_error, "x-systemd: property name \"%s\" is too long (at most %d bytes)",
                                 quoted, UNIT_XPROP_KEY_MAX);
        }

        p = xprop_find(key);
        if (!p) {
                const XProp *q = xprop_find_case(key);

                quote_value(quoted, sizeof quoted, key);
                if (q)
                        return set_error(ret_error, "x-systemd: unknown property '%s' (did you mean '%s'?)",
                                         quoted, q->name);
                return set_error(ret_error, "x-systemd: unknown property '%s'", quoted);
        }
        if (p->kind == XPROP_DENIED)
                return set_error(ret_error, "x-systemd: '%s' cannot be set: %s", p->name, p->reason);

        if (!value)
                value = "";
        if (isempty(value))
                return set_error(ret_error, "x-systemd: '%s' must not be empty", p->name);
        len = strlen(value);
        if (len > UNIT_XPROP_VALUE_MAX)
                return set_error(ret_error, "x-systemd: '%s' value is too long (%zu bytes, at most %d)",
                                 p->name, len, UNIT_XPROP_VALUE_MAX);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) value[i] < 0x20 && value[i] != '\t') {
                        quote_value(quoted, sizeof quoted, value);
                        return set_error(ret_error,
                                         "x-systemd: '%s' must not contain control characters, got \"%s\"",
                                         p->name, quoted);
                }

        /* D-Bus strings must be UTF-8 (sd-bus refuses anything else when appending). */
        if (!utf8_is_valid(value, strlen(value))) {
                quote_value(quoted, sizeof quoted, value);
                return set_error(ret_error, "x-systemd: '%s' must be valid UTF-8, got \"%s\"", p->name, quoted);
        }

        r = xprop_apply(p, value, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                quote_value(quoted, sizeof quoted, value);
                xprop_expectation(p, expect, sizeof expect);
                return set_error(ret_error, "x-systemd: '%s' %s, got \"%s\"", p->name, expect, quoted);
        }
        return 0;
}

/**
 * unit_xprop_append() - append the typed "(sv)" entries for one x-systemd entry
 * @m: a message with an open a(sv) container (StartTransientUnit's properties)
 * @key: the property, in unit-file spelling
 * @value: the value, in unit-file syntax
 *
 * Return: 0, -EINVAL for anything unit_xprop_validate() rejects, or a negative errno from sd-bus.
 */
int unit_xprop_append(sd_bus_message *m, const char *key, const char *value) {
        const XProp *p;
        int r;

        if (!m || !key || !value)
                return -EINVAL;
        r = unit_xprop_validate(key, value, NULL);
        if (r < 0)
                return r;
        p = xprop_find(key);
        r = xprop_apply(p, value, m);
        return r < 0 ? r : 0;   /* sd_bus_message_append() may return > 0 */
}

bool unit_xprop_system_only(const char *key) {
        return key && (streq(key, "User") || streq(key, "Group") || streq(key, "SupplementaryGroups"));
}
