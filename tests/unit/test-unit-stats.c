/* Reading a unit's resource usage from cgroup files (unit/unit-stats.c): the layouts of cgroup v2, v1 and
 * the hybrid of v1 controllers with the unified hierarchy, each built as a directory tree. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"
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
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, &s));
        ASSERT_UEQ(s.memory_bytes, 20971520);
        ASSERT_UEQ(s.cpu_nsec, 3017022000ULL);

        /* MemoryAccounting off: no memory.current; the CPU counter is still there */
        put(t, "/other.service", "cpu.stat", "usage_usec 7\n");
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/other.service", &s), ENODATA);
        ASSERT_UEQ(s.memory_bytes, UINT64_MAX);
        ASSERT_UEQ(s.cpu_nsec, 7000);

        /* gone */
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/gone.service", &s), ENOENT);
        ASSERT_UEQ(s.memory_bytes, UINT64_MAX);
        ASSERT_UEQ(s.cpu_nsec, UINT64_MAX);

        /* not a path of the hierarchy */
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "", &s), EINVAL);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "rel.service", &s), EINVAL);
        ASSERT_ERROR(unit_cgroup_read_stats(&l, "/a/../../etc", &s), EINVAL);

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
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, &s));
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
        ASSERT_OK(unit_cgroup_read_stats(&l, CG, &s));
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
        ASSERT_ERROR(unit_cgroup_read_stats(&l, CG, &s), ENOENT);
        unit_cgroup_layout_done(&l);
        tree_free(t);
}

DEFINE_TEST_MAIN();
