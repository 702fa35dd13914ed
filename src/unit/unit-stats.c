/* Resource usage of running units (unit-stats.h): the cgroup files, and the manager's properties for what
 * the files do not give. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/strv.h"
#include "unit/unit-driver-internal.h"

#define UNIT_STATS_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define SD_SERVICE "org.freedesktop.systemd1.Service"

/* ---- the files ---------------------------------------------------------------------------------------- */

static bool file_exists(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return false;
        return access(p, F_OK) >= 0;
}

static int layout_set(char **dir, const char *root, const char *sub) {
        if (asprintf(dir, "%s%s", root, sub) < 0) {
                *dir = NULL;
                return -ENOMEM;
        }
        return 0;
}

int unit_cgroup_layout_detect(const char *root, UnitCgroupLayout *ret) {
        static const char *const cpuacct_dirs[] = { "/cpuacct", "/cpu,cpuacct", "/cpuacct,cpu" };
        _cleanup_free_ char *unified = NULL, *memory = NULL;
        UnitCgroupLayout l = {};
        int r = 0;

        if (!root || !ret)
                return -EINVAL;

        if (file_exists(root, "cgroup.controllers")) {
                /* cgroup v2 only */
                r = layout_set(&l.memory_dir, root, "");
                if (r >= 0)
                        r = layout_set(&l.cpu_dir, root, "");
                l.memory_file = "memory.current";
                l.cpu_file = "cpu.stat";
        } else {
                if (asprintf(&memory, "%s/memory", root) < 0 || asprintf(&unified, "%s/unified", root) < 0)
                        return -ENOMEM;
                if (file_exists(memory, "memory.usage_in_bytes")) {
                        l.memory_dir = TAKE_PTR(memory);
                        l.memory_file = "memory.usage_in_bytes";
                }
                /* hybrid: the unified hierarchy has cpu.stat for every cgroup, no controller needed */
                if (file_exists(unified, "cgroup.controllers")) {
                        l.cpu_dir = TAKE_PTR(unified);
                        l.cpu_file = "cpu.stat";
                } else
                        for (size_t i = 0; i < ELEMENTSOF(cpuacct_dirs); i++) {
                                _cleanup_free_ char *d = NULL;

                                if (asprintf(&d, "%s%s", root, cpuacct_dirs[i]) < 0)
                                        return -ENOMEM;
                                if (file_exists(d, "cpuacct.usage")) {
                                        l.cpu_dir = TAKE_PTR(d);
                                        l.cpu_file = "cpuacct.usage";
                                        break;
                                }
                        }
        }
        if (r < 0) {
                unit_cgroup_layout_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void unit_cgroup_layout_done(UnitCgroupLayout *l) {
        if (!l)
                return;
        l->memory_dir = mfree(l->memory_dir);
        l->cpu_dir = mfree(l->cpu_dir);
        l->memory_file = l->cpu_file = NULL;
}

int unit_cgroup_parse_cpu_stat(const char *text, uint64_t *ret_nsec) {
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                uint64_t usec;
                size_t n;

                if (!startswith(l, "usage_usec "))
                        continue;
                l += STRLEN("usage_usec ");
                n = strcspn(l, "\n");
                if (parse_u64_len(l, n, &usec) < 0)
                        return -EINVAL;
                if (usec > UINT64_MAX / 1000)
                        return -ERANGE;
                *ret_nsec = usec * 1000;
                return 0;
        }
        return -ENODATA;
}

/* Reads a small cgroup file (kernfs answers it in one read) through *fd, opened on first use; with fd NULL
 * the file is opened for this read only. A read that fails on a kept fd (the cgroup was removed and made
 * again: ENODEV) opens the path once more. */
static int read_cgroup_file(const char *dir, const char *cgroup, const char *name, int *fd, char *buf,
                            size_t size) {
        _cleanup_close_ int own = -EBADF;
        _cleanup_free_ char *p = NULL;
        int *f = fd ?: &own;
        ssize_t n;

        for (unsigned attempt = 0;; attempt++) {
                if (*f < 0) {
                        if (!p && asprintf(&p, "%s%s/%s", dir, cgroup, name) < 0) {
                                p = NULL;
                                return -ENOMEM;
                        }
                        *f = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (*f < 0)
                                return *f = -errno;
                        attempt++; /* a fresh fd gets no second chance */
                }
                n = pread(*f, buf, size - 1, 0);
                if (n >= 0)
                        break;
                n = -errno;
                *f = safe_close(*f);
                if (attempt > 0)
                        return (int) n;
        }
        buf[n] = 0;
        return 0;
}

void unit_cgroup_close_fds(int fds[2]) {
        if (!fds)
                return;
        fds[0] = safe_close(fds[0]);
        fds[1] = safe_close(fds[1]);
}

static bool cgroup_path_is_valid(const char *cgroup) {
        return cgroup && cgroup[0] == '/' && !strstr(cgroup, "/..") && !strstr(cgroup, "//");
}

int unit_cgroup_read_stats(const UnitCgroupLayout *l, const char *cgroup, int fds[2], UnitStats *ret) {
        UnitStats s = { UINT64_MAX, UINT64_MAX };
        char buf[512];
        bool any_file = false;
        int r;

        if (!l || !ret || !cgroup_path_is_valid(cgroup))
                return -EINVAL;

        if (l->memory_dir) {
                r = read_cgroup_file(l->memory_dir, cgroup, l->memory_file, fds ? &fds[0] : NULL, buf,
                                     sizeof(buf));
                if (r >= 0) {
                        uint64_t v;

                        any_file = true;
                        if (parse_u64_len(buf, strcspn(buf, "\n"), &v) >= 0)
                                s.memory_bytes = v;
                } else if (r != -ENOENT)
                        any_file = true;
        }
        if (l->cpu_dir) {
                r = read_cgroup_file(l->cpu_dir, cgroup, l->cpu_file, fds ? &fds[1] : NULL, buf, sizeof(buf));
                if (r >= 0) {
                        uint64_t v;

                        any_file = true;
                        if (streq(l->cpu_file, "cpu.stat")) {
                                if (unit_cgroup_parse_cpu_stat(buf, &v) >= 0)
                                        s.cpu_nsec = v;
                        } else if (parse_u64_len(buf, strcspn(buf, "\n"), &v) >= 0)
                                s.cpu_nsec = v;
                } else if (r != -ENOENT)
                        any_file = true;
        }

        *ret = s;
        if (!any_file)
                return -ENOENT;
        return s.memory_bytes != UINT64_MAX && s.cpu_nsec != UINT64_MAX ? 0 : -ENODATA;
}

int unit_watch_read_stats(UnitWatch *w, UnitStats *ret) {
        int r;

        if (!w || !ret)
                return -EINVAL;
        *ret = (UnitStats) { UINT64_MAX, UINT64_MAX };
        if (!w->driver || !w->cgroup)
                return -ENODATA;
        r = unit_cgroup_read_stats(&w->driver->cgroups, w->cgroup, w->stats_fds, ret);
        if (r == -ENOENT) {
                /* gone or moved: the next unit_driver_read_stats() learns it again */
                w->cgroup = mfree(w->cgroup);
                unit_cgroup_close_fds(w->stats_fds);
                return -ENODATA;
        }
        return r < 0 ? -ENODATA : 0;
}

/* ---- the manager's properties -------------------------------------------------------------------------- */

enum {
        STAT_MEMORY,
        STAT_CPU,
        STAT_CGROUP,
        _STAT_MAX,
};

static const char *const stat_property[_STAT_MAX] = {
        [STAT_MEMORY] = "MemoryCurrent",
        [STAT_CPU] = "CPUUsageNSec",
        [STAT_CGROUP] = "ControlGroup",
};

typedef struct StatsSlot {
        UnitStatsCall *call;
        size_t index;
        unsigned what;
        sd_bus_slot *slot;
} StatsSlot;

struct UnitStatsCall {
        UnitDriver *driver;
        UnitStatsHandler handler;
        void *userdata;
        UnitStatsEntry *entries;         /* entries[i].unit is owned */
        size_t n;
        StatsSlot *slots;                /* n * _STAT_MAX */
        size_t pending;
};

static void stats_call_free(UnitStatsCall *c) {
        if (!c)
                return;
        for (size_t i = 0; c->slots && i < c->n * _STAT_MAX; i++)
                sd_bus_slot_unref(c->slots[i].slot);
        for (size_t i = 0; c->entries && i < c->n; i++)
                free((char *) c->entries[i].unit);
        free(c->slots);
        free(c->entries);
        free(c);
}

UnitStatsCall *unit_stats_call_cancel(UnitStatsCall *c) {
        stats_call_free(c);
        return NULL;
}

static void stats_learn_cgroup(UnitDriver *d, const char *unit, const char *cgroup) {
        UnitWatch *w = unit_driver_find_watch(d, unit);
        char *copy;

        /* "" while the unit is not running */
        if (!w || !cgroup_path_is_valid(cgroup) || streq_ptr(w->cgroup, cgroup))
                return;
        copy = strdup(cgroup);
        if (!copy)
                return; /* the manager is asked again next time */
        free(w->cgroup);
        w->cgroup = copy;
        unit_cgroup_close_fds(w->stats_fds);
}

static int on_stats_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StatsSlot *s = userdata;
        UnitStatsCall *c = s->call;
        UnitStatsEntry *e = &c->entries[s->index];

        if (!sd_bus_message_is_method_error(m, NULL)) {
                if (s->what == STAT_CGROUP) {
                        const char *cg;

                        if (sd_bus_message_read(m, "v", "s", &cg) >= 0)
                                stats_learn_cgroup(c->driver, e->unit, cg);
                } else {
                        uint64_t v;

                        if (sd_bus_message_read(m, "v", "t", &v) >= 0)
                                *(s->what == STAT_MEMORY ? &e->stats.memory_bytes : &e->stats.cpu_nsec) = v;
                }
        }

        if (--c->pending > 0)
                return 0;
        c->driver->dispatching++;
        c->handler(c->driver, c->entries, c->n, c->userdata);
        c->driver->dispatching--;
        stats_call_free(c);
        return 0;
}

int unit_driver_read_stats(UnitDriver *d, char * const *units, size_t n, UnitStatsHandler handler,
                           void *userdata, UnitStatsCall **ret_call) {
        UnitStatsCall *c;
        int r;

        if (!d || !handler || !ret_call || n == 0 || !units)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!unit_name_is_valid(units[i]))
                        return -EINVAL;

        c = new0(UnitStatsCall, 1);
        if (!c)
                return -ENOMEM;
        *c = (UnitStatsCall) { .driver = d, .handler = handler, .userdata = userdata, .n = n };
        c->entries = new0(UnitStatsEntry, n);
        c->slots = new0(StatsSlot, n * _STAT_MAX);
        if (!c->entries || !c->slots) {
                stats_call_free(c);
                return -ENOMEM;
        }

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                c->entries[i] = (UnitStatsEntry) { .unit = strdup(units[i]),
                                                   .stats = { UINT64_MAX, UINT64_MAX } };
                if (!c->entries[i].unit) {
                        stats_call_free(c);
                        return -ENOMEM;
                }
                r = sd_bus_path_encode(SD_UNIT_PREFIX, units[i], &path);
                if (r < 0) {
                        stats_call_free(c);
                        return r;
                }
                for (unsigned k = 0; k < _STAT_MAX; k++) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                        StatsSlot *s = &c->slots[i * _STAT_MAX + k];

                        *s = (StatsSlot) { .call = c, .index = i, .what = k };
                        r = sd_bus_message_new_method_call(d->bus, &m, SD_DESTINATION, path,
                                                           "org.freedesktop.DBus.Properties", "Get");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "ss", SD_SERVICE, stat_property[k]);
                        if (r >= 0)
                                r = sd_bus_call_async(d->bus, &s->slot, m, on_stats_reply, s,
                                                      UNIT_STATS_TIMEOUT_USEC);
                        if (r < 0) {
                                stats_call_free(c);
                                return r;
                        }
                        c->pending++;
                }
        }

        *ret_call = c;
        return 0;
}
