/* Reading a unit's resource usage (unit/unit-stats.c): from cgroup files, in the layouts of cgroup v2, v1
 * and the hybrid of v1 controllers with the unified hierarchy, each built as a directory tree; and from the
 * manager, one batch of Properties.Get calls answered by a fake manager over a socketpair. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "shared/strv.h"
#include "tests.h"
#include "unit/unit-driver-internal.h"
#include "unit/unit-stats.h"

#define CG "/pcctl.slice/pcctl-p.slice/pcctl-p-web.service"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void put(const char *root, const char *dir, const char *file, const char *text) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof path, "%s%s", root, dir);
        for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                (void) mkdir(path, 0755);
                *s = '/';
        }
        (void) mkdir(path, 0755);
        if (!file)
                return;
        snprintf(path, sizeof path, "%s%s/%s", root, dir, file);
        f = fopen(path, "we");
        ASSERT_NOT_NULL(f);
        fputs(text, f);
        fclose(f);
}

static char *tree(void) {
        char *t = test_tmpdir();

        ASSERT_NOT_NULL(t);
        return t;
}

static void tree_free(char *t) {
        (void) nftw(t, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(t);
}

static const char cpu_stat[] = "usage_usec 3017022\nuser_usec 2997068\nsystem_usec 19953\nnice_usec 0\n";

TEST(parse_cpu_stat) {
        uint64_t v = 0;

        ASSERT_OK(unit_cgroup_parse_cpu_stat(cpu_stat, &v));
        ASSERT_UEQ(v, 3017022000ULL);
        ASSERT_OK(unit_cgroup_parse_cpu_stat("nr_periods 0\nusage_usec 5", &v));
        ASSERT_UEQ(v, 5000);
        ASSERT_ERROR(unit_cgroup_parse_cpu_stat("user_usec 5\n", &v), ENODATA);
        ASSERT_ERROR(unit_cgroup_parse_cpu_stat("", &v), ENODATA);
        ASSERT_ERROR(unit_cgroup_parse_cpu_stat("usage_usec x\n", &v), EINVAL);
        ASSERT_ERROR(unit_cgroup_parse_cpu_stat("usage_usec 18446744073709552\n", &v), ERANGE);
}

TEST(v2) {
        char *t = tree();
        UnitCgroupLayout l;
        UnitStats s;

        put(t, "", "cgroup.controllers", "cpu memory pids\n");
        put(t, CG, "memory.current", "20971520\n");
        put(t, CG, "cpu.stat", cpu_stat);
        ASSERT_OK(unit_cgroup_layout_detect(t, &l));
        ASSERT_STREQ(l.memory_file, "memory.current");
        ASSERT_STREQ(l.cpu_file, "cpu.stat");
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, NULL, &s));
        ASSERT_UEQ(s.memory_bytes, 20971520);
        ASSERT_UEQ(s.cpu_nsec, 3017022000ULL);

        /* MemoryAccounting off: no memory.current; the CPU counter is still there */
        put(t, "/other.service", "cpu.stat", "usage_usec 7\n");
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/other.service", NULL, &s), ENODATA);
        ASSERT_UEQ(s.memory_bytes, UINT64_MAX);
        ASSERT_UEQ(s.cpu_nsec, 7000);

        /* gone */
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/gone.service", NULL, &s), ENOENT);
        ASSERT_UEQ(s.memory_bytes, UINT64_MAX);
        ASSERT_UEQ(s.cpu_nsec, UINT64_MAX);

        /* not a path of the hierarchy */
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "", NULL, &s), EINVAL);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "rel.service", NULL, &s), EINVAL);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/a/../../etc", NULL, &s), EINVAL);

        unit_cgroup_layout_done(&l);
        tree_free(t);
}

TEST(kept_fds) {
        char *t = tree();
        int fds[2] = { -EBADF, -EBADF };
        UnitCgroupLayout l;
        UnitStats s;

        put(t, "", "cgroup.controllers", "memory\n");
        put(t, CG, "memory.current", "100\n");
        put(t, CG, "cpu.stat", "usage_usec 1\n");
        ASSERT_OK(unit_cgroup_layout_detect(t, &l));
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, fds, &s));
        ASSERT_TRUE(fds[0] >= 0 && fds[1] >= 0);
        ASSERT_UEQ(s.memory_bytes, 100);
        ASSERT_UEQ(s.cpu_nsec, 1000);

        /* the same files, read again from the start through the kept fds */
        put(t, CG, "memory.current", "200\n");
        put(t, CG, "cpu.stat", "usage_usec 2\n");
        {
                int f0 = fds[0], f1 = fds[1];

                ASSERT_OK(unit_cgroup_read_stats(&l, CG, fds, &s));
                ASSERT_EQ(fds[0], f0);
                ASSERT_EQ(fds[1], f1);
        }
        ASSERT_UEQ(s.memory_bytes, 200);
        ASSERT_UEQ(s.cpu_nsec, 2000);

        /* a cgroup that has gone: nothing opened */
        unit_cgroup_close_fds(fds);
        ASSERT_EQ(fds[0], -EBADF);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/gone.service", fds, &s), ENOENT);
        ASSERT_TRUE(fds[0] < 0 && fds[1] < 0);

        unit_cgroup_layout_done(&l);
        tree_free(t);
}

TEST(hybrid) {
        /* this sandbox: v1 memory, and the unified hierarchy beside the controllers */
        char *t = tree();
        UnitCgroupLayout l;
        UnitStats s;

        put(t, "/memory", "memory.usage_in_bytes", "123\n");
        put(t, "/cpuacct", "cpuacct.usage", "1\n");
        put(t, "/unified", "cgroup.controllers", "");
        put(t, "/memory" CG, "memory.usage_in_bytes", "704512\n");
        put(t, "/unified" CG, "cpu.stat", cpu_stat);
        ASSERT_OK(unit_cgroup_layout_detect(t, &l));
        ASSERT_STREQ(l.memory_file, "memory.usage_in_bytes");
        ASSERT_STREQ(l.cpu_file, "cpu.stat");
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, NULL, &s));
        ASSERT_UEQ(s.memory_bytes, 704512);
        ASSERT_UEQ(s.cpu_nsec, 3017022000ULL);
        unit_cgroup_layout_done(&l);
        tree_free(t);
}

TEST(v1) {
        /* v1 only, cpu and cpuacct mounted together */
        char *t = tree();
        UnitCgroupLayout l;
        UnitStats s;

        put(t, "/memory", "memory.usage_in_bytes", "123\n");
        put(t, "/cpu,cpuacct", "cpuacct.usage", "1\n");
        put(t, "/memory" CG, "memory.usage_in_bytes", "4096\n");
        put(t, "/cpu,cpuacct" CG, "cpuacct.usage", "987654321\n");
        ASSERT_OK(unit_cgroup_layout_detect(t, &l));
        ASSERT_STREQ(l.cpu_file, "cpuacct.usage");
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, NULL, &s));
        ASSERT_UEQ(s.memory_bytes, 4096);
        ASSERT_UEQ(s.cpu_nsec, 987654321);
        unit_cgroup_layout_done(&l);
        tree_free(t);
}

TEST(nothing) {
        /* no cgroup files at all (a container without /sys/fs/cgroup): every read asks the manager */
        char *t = tree();
        UnitCgroupLayout l;
        UnitStats s;

        ASSERT_OK(unit_cgroup_layout_detect(t, &l));
        ASSERT_NULL(l.memory_dir);
        ASSERT_NULL(l.cpu_dir);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, CG, NULL, &s), ENOENT);
        unit_cgroup_layout_done(&l);
        tree_free(t);
}

/* ---- the manager's answers ---- */

#define UNIT_PREFIX "/org/freedesktop/systemd1/unit"

static int fake_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *unit = NULL, *cg = NULL;
        bool known = false;

        ASSERT_TRUE(sd_bus_path_decode(path, UNIT_PREFIX, &unit) > 0);
        known = streq(unit, "a.service") || streq(unit, "b.service");
        if (streq(property, "ControlGroup")) {
                ASSERT_TRUE(asprintf(&cg, "/t.slice/%s", unit) > 0);
                return sd_bus_message_append(reply, "s", cg);
        }
        /* b.service: accounting off, "[not set]" */
        if (streq(property, "MemoryCurrent"))
                return sd_bus_message_append(reply, "t", streq(unit, "a.service") ? (uint64_t) 1000 : UINT64_MAX);
        return sd_bus_message_append(reply, "t", known && streq(unit, "a.service") ? (uint64_t) 2000 : UINT64_MAX);
}

static int fake_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        _cleanup_free_ char *unit = NULL;

        if (sd_bus_path_decode(path, UNIT_PREFIX, &unit) <= 0 || streq(unit, "gone.service"))
                return 0;
        *found = NULL;
        return 1;
}

static const sd_bus_vtable fake_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("MemoryCurrent", "t", fake_get, 0, 0),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", fake_get, 0, 0),
        SD_BUS_PROPERTY("ControlGroup", "s", fake_get, 0, 0),
        SD_BUS_VTABLE_END
};

typedef struct Answer {
        unsigned calls;
        size_t n;
        char *units[4];
        UnitStats stats[4];
} Answer;

static void on_stats(UnitDriver *d, const UnitStatsEntry *e, size_t n, void *userdata) {
        Answer *a = userdata;

        a->calls++;
        a->n = n;
        for (size_t i = 0; i < n && i < 4; i++) {
                a->units[i] = strdup(e[i].unit);
                a->stats[i] = e[i].stats;
        }
}

TEST(bus_batch) {
        static const UnitEvents no_events = {};
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sd_bus *server = NULL;
        UnitDriver *d;
        UnitWatch *wa, *wb;
        UnitStatsCall *call = NULL;
        Answer a = {}, cancelled = {};
        char *units[] = { (char *) "a.service", (char *) "gone.service", (char *) "b.service", NULL };
        sd_id128_t id;
        int pair[2];

        ASSERT_OK(sd_event_new(&event));
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair), 0);
        ASSERT_OK(sd_id128_randomize(&id));
        ASSERT_OK(sd_bus_new(&server));
        ASSERT_OK(sd_bus_set_fd(server, pair[0], pair[0]));
        ASSERT_OK(sd_bus_set_server(server, 1, id));
        ASSERT_OK(sd_bus_add_fallback_vtable(server, NULL, UNIT_PREFIX, "org.freedesktop.systemd1.Service",
                                             fake_vtable, fake_find, NULL));
        ASSERT_OK(sd_bus_start(server));
        ASSERT_OK(sd_bus_attach_event(server, event, 0));

        /* a driver on the other end, as unit_driver_new() makes one, without its signal matches */
        d = calloc(1, sizeof(*d));
        ASSERT_NOT_NULL(d);
        d->event = sd_event_ref(event);
        ASSERT_OK(sd_bus_new(&d->bus));
        ASSERT_OK(sd_bus_set_fd(d->bus, pair[1], pair[1]));
        ASSERT_OK(sd_bus_start(d->bus));
        ASSERT_OK(sd_bus_attach_event(d->bus, event, 0));
        ASSERT_OK(unit_watch_new(d, "a.service", &no_events, NULL, &wa));
        ASSERT_OK(unit_watch_new(d, "b.service", &no_events, NULL, &wb));

        /* nothing known yet: the fast path declines */
        {
                UnitStats st;

                ASSERT_ERROR(unit_watch_read_stats(wa, &st), ENODATA);
                ASSERT_UEQ(st.memory_bytes, UINT64_MAX);
        }

        ASSERT_ERROR(unit_driver_read_stats(d, units, 0, on_stats, &a, &call), EINVAL);
        ASSERT_OK(unit_driver_read_stats(d, units, 3, on_stats, &a, &call));
        ASSERT_NOT_NULL(call);
        /* a second batch, cancelled before its answers: its handler never runs */
        {
                UnitStatsCall *c2 = NULL;

                ASSERT_OK(unit_driver_read_stats(d, units, 1, on_stats, &cancelled, &c2));
                ASSERT_NULL(unit_stats_call_cancel(c2));
        }
        for (unsigned i = 0; i < 1000 && a.calls == 0; i++)
                ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
        for (unsigned i = 0; i < 20; i++)
                ASSERT_OK(sd_event_run(event, 1000));

        ASSERT_EQ(a.calls, 1u);
        ASSERT_EQ(cancelled.calls, 0u);
        ASSERT_UEQ(a.n, 3);
        ASSERT_STREQ(a.units[0], "a.service");
        ASSERT_UEQ(a.stats[0].memory_bytes, 1000);
        ASSERT_UEQ(a.stats[0].cpu_nsec, 2000);
        /* not loaded: the calls failed */
        ASSERT_STREQ(a.units[1], "gone.service");
        ASSERT_UEQ(a.stats[1].memory_bytes, UINT64_MAX);
        ASSERT_UEQ(a.stats[1].cpu_nsec, UINT64_MAX);
        /* "[not set]" stays UINT64_MAX */
        ASSERT_STREQ(a.units[2], "b.service");
        ASSERT_UEQ(a.stats[2].memory_bytes, UINT64_MAX);
        ASSERT_UEQ(a.stats[2].cpu_nsec, UINT64_MAX);
        /* the watches learned their ControlGroup */
        ASSERT_STREQ(wa->cgroup, "/t.slice/a.service");
        ASSERT_STREQ(wb->cgroup, "/t.slice/b.service");

        for (size_t i = 0; i < a.n; i++)
                free(a.units[i]);
        unit_watch_free(wa);
        unit_watch_free(wb);
        free(d->buckets);
        sd_bus_flush_close_unref(d->bus);
        sd_event_unref(d->event);
        free(d);
        sd_bus_flush_close_unref(server);
}

DEFINE_TEST_MAIN();
