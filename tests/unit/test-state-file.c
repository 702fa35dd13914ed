/* The controller's state file (core/state-file.h): format round trip, the three one-line errors, atomic
 * write, and the per-project lock. */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/state-file.h"
#include "shared/strv.h"
#include "tests.h"

static void make_tmpdir(char *buf, size_t n) {
        snprintf(buf, n, "/tmp/test-state-file-XXXXXX");
        ASSERT_TRUE(mkdtemp(buf) != NULL);
}

static void rm_rf(const char *dir) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

static void fill(StateFile *s) {
        StateProcess *p;

        *s = (StateFile) { .controller_pid = 4242, .no_deps = true };
        ASSERT_TRUE((s->project = strdup("demo")));
        ASSERT_TRUE((s->api_address = strdup("unix:/tmp/a b\"c.sock")));
        ASSERT_OK(strv_extend(&s->selection, "web"));
        ASSERT_OK(strv_extend(&s->namespaces, "infra"));
        ASSERT_OK(state_file_add(s, "web", &p));
        p->restarts = 3;
        p->log_seq = 9007199254740000ull;
        ASSERT_TRUE((p->cursor = strdup("s=abc;i=12;b=def;m=1;t=2;x=3")));
        ASSERT_TRUE((p->spec_hash = strdup("00112233aabbccdd")));
        ASSERT_TRUE((p->status = strdup("Running")));
        ASSERT_OK(state_file_add(s, "db", &p));
        p->stopped_by_user = true;
        p->exit_code = -1;
        ASSERT_TRUE((p->status = strdup("Completed")));
}

static void parse_fails(const char *text, int error, const char *expect) {
        _cleanup_(state_file_done) StateFile s = {};
        _cleanup_free_ char *msg = NULL;

        ASSERT_ERROR(state_file_parse(text, strlen(text), &s, &msg), error);
        ASSERT_TRUE(msg != NULL);
        if (!strstr(msg, expect))
                TEST_FAIL("message \"%s\" does not contain \"%s\"", msg, expect);
        ASSERT_TRUE(strchr(msg, '\n') == NULL);
        ASSERT_TRUE(s.project == NULL && s.n_processes == 0);
}

TEST(round_trip) {
        _cleanup_(state_file_done) StateFile s = {}, t = {};
        _cleanup_free_ char *text = NULL, *text2 = NULL, *msg = NULL;
        StateProcess *p;

        fill(&s);
        ASSERT_OK(state_file_format(&s, &text));
        ASSERT_TRUE(endswith(text, "}\n"));
        ASSERT_TRUE(strstr(text, "\"version\":1") != NULL);
        ASSERT_OK(state_file_parse(text, strlen(text), &t, &msg));
        ASSERT_TRUE(msg == NULL);
        ASSERT_TRUE(streq(t.project, "demo"));
        ASSERT_EQ(t.controller_pid, 4242);
        ASSERT_TRUE(streq(t.api_address, "unix:/tmp/a b\"c.sock"));
        ASSERT_TRUE(t.no_deps);
        ASSERT_EQ(strv_length(t.selection), 1);
        ASSERT_TRUE(streq(t.selection[0], "web"));
        ASSERT_TRUE(streq(t.namespaces[0], "infra"));
        ASSERT_EQ(t.n_processes, 2);
        p = state_file_find(&t, "web");
        ASSERT_TRUE(p);
        ASSERT_EQ(p->restarts, 3);
        ASSERT_FALSE(p->stopped_by_user);
        ASSERT_UEQ(p->log_seq, 9007199254740000ull);
        ASSERT_TRUE(streq(p->cursor, "s=abc;i=12;b=def;m=1;t=2;x=3"));
        ASSERT_TRUE(streq(p->spec_hash, "00112233aabbccdd"));
        p = state_file_find(&t, "db");
        ASSERT_TRUE(p && p->stopped_by_user && p->exit_code == -1 && streq(p->status, "Completed"));
        ASSERT_TRUE(p->cursor == NULL && p->spec_hash == NULL);
        ASSERT_TRUE(state_file_find(&t, "nope") == NULL);
        /* formatting is deterministic */
        ASSERT_OK(state_file_format(&t, &text2));
        ASSERT_TRUE(streq(text, text2));
}

TEST(errors_one_line) {
        parse_fails("", ENODATA, "is empty");
        parse_fails(" \n\t\n", ENODATA, "is empty");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"proj", EINVAL, "is not valid JSON");
        parse_fails("\x01\x02garbage", EINVAL, "is not valid JSON");
        parse_fails("[1,2]", EINVAL, "is not a JSON object");
        parse_fails("{\"version\":1,\"project\":\"x\"}", EINVAL, "has no \"format\"");
        parse_fails("{\"format\":\"other\",\"version\":1,\"project\":\"x\"}", EINVAL, "not a pcctl state file");
        parse_fails("{\"format\":\"pcctl-state\",\"project\":\"x\"}", EINVAL, "has no format version");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":7,\"project\":\"x\"}", EPROTO,
                    "has format version 7, this pcctl reads version 1");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1e300,\"project\":\"x\"}", EPROTO,
                    "unknown format version");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1}", EINVAL, "has no \"project\"");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"processes\":{\"a\":{\"restarts\":-1}}}",
                    EINVAL, "\"restarts\"");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"processes\":{\"a\":{\"restarts\":1.5}}}",
                    EINVAL, "\"restarts\"");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"processes\":{\"a\":{},\"a\":{}}}",
                    EINVAL, "twice");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"processes\":[]}", EINVAL,
                    "\"processes\"");
        parse_fails("{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"selection\":[1]}", EINVAL,
                    "\"selection\"");
}

TEST(unknown_keys_ignored) {
        _cleanup_(state_file_done) StateFile s = {};
        const char *t = "{\"format\":\"pcctl-state\",\"version\":1,\"project\":\"x\",\"later\":{\"a\":1},"
                        "\"processes\":{\"a\":{\"restarts\":2,\"newer\":true}}}";

        ASSERT_OK(state_file_parse(t, strlen(t), &s, NULL));
        ASSERT_EQ(s.n_processes, 1);
        ASSERT_EQ(s.processes[0].restarts, 2);
        ASSERT_TRUE(s.api_address == NULL && s.selection == NULL);
}

TEST(dir) {
        _cleanup_free_ char *d = NULL, *d2 = NULL;

        ASSERT_OK(state_file_dir("/run/user/1000", "my-proj", &d));
        ASSERT_TRUE(streq(d, "/run/user/1000/pcctl/my\\x2dproj"));
        ASSERT_OK(state_file_dir("/run/user/1000", "../etc", &d2));
        ASSERT_TRUE(strstr(d2, "/pcctl/") && !strstr(d2 + strlen("/run/user/1000/pcctl/"), "/"));
        ASSERT_ERROR(state_file_dir("relative", "x", &d), ENXIO);
        ASSERT_ERROR(state_file_dir("/run", "", &d), EINVAL);
}

TEST(write_read_atomic) {
        char tmp[64], sub[128];
        _cleanup_(state_file_done) StateFile s = {}, t = {};
        _cleanup_free_ char *msg = NULL;
        struct stat st;

        make_tmpdir(tmp, sizeof(tmp));
        snprintf(sub, sizeof(sub), "%s/pcctl/demo", tmp);
        ASSERT_ERROR(state_file_read(sub, &t, &msg), ENOENT);
        ASSERT_OK(state_file_mkdir(sub));
        ASSERT_OK(stat(sub, &st));
        ASSERT_EQ(st.st_mode & 0777, 0700);
        fill(&s);
        ASSERT_OK(state_file_write(sub, &s));
        s.processes[0].restarts = 4;
        ASSERT_OK(state_file_write(sub, &s));
        ASSERT_OK(state_file_read(sub, &t, &msg));
        ASSERT_EQ(t.processes[0].restarts, 4);
        /* no temporary file left behind */
        {
                char cmd[640];
                snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = \"lock\" -o \"$(ls -A '%s')\" = \"state.json\"",
                         sub, sub);
                ASSERT_EQ(system(cmd), 0);
        }
        ASSERT_OK(state_file_remove(sub));
        ASSERT_OK(state_file_remove(sub));
        state_file_done(&t);
        ASSERT_ERROR(state_file_read(sub, &t, &msg), ENOENT);
        rm_rf(tmp);
}

TEST(lock) {
        char tmp[64];
        int fd, fd2, status;
        pid_t pid;

        make_tmpdir(tmp, sizeof(tmp));
        ASSERT_EQ(state_file_is_locked(tmp), 0);
        fd = state_file_lock(tmp);
        ASSERT_OK(fd);
        /* flock is per open file description: a second open in this process conflicts too */
        ASSERT_ERROR(state_file_lock(tmp), EWOULDBLOCK);
        ASSERT_EQ(state_file_is_locked(tmp), 1);
        close(fd);
        ASSERT_EQ(state_file_is_locked(tmp), 0);

        /* a holder that died leaves a stale file, and the lock is taken over */
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int f = state_file_lock(tmp);
                _exit(f >= 0 ? 0 : 1);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        fd2 = state_file_lock(tmp);
        ASSERT_OK(fd2);
        close(fd2);
        rm_rf(tmp);
}

TEST(unlock_removes_an_ended_project) {
        char tmp[64], dir[96], path[128];
        struct stat st;
        StateFile s;
        int fd, fd2;

        make_tmpdir(tmp, sizeof(tmp));
        snprintf(dir, sizeof(dir), "%s/proj", tmp);
        snprintf(path, sizeof(path), "%s/lock", dir);

        /* the lock creates the directory; no state file at release: lock file and directory go */
        fd = state_file_lock(dir);
        ASSERT_OK(fd);
        ASSERT_OK(state_file_unlock(dir, fd));
        ASSERT_ERROR(stat(dir, &st) < 0 ? -errno : 0, ENOENT);

        /* a project kept running (its state file stays) keeps both */
        fd = state_file_lock(dir);
        ASSERT_OK(fd);
        fill(&s);
        ASSERT_OK(state_file_write(dir, &s));
        state_file_done(&s);
        ASSERT_OK(state_file_unlock(dir, fd));
        ASSERT_OK(stat(path, &st) < 0 ? -errno : 0);
        ASSERT_OK(state_file_remove(dir));

        /* whoever opened the lock file before its holder removed it locks a file no one else sees: it
         * does not block the next controller, which locks the file that is at the path now */
        fd = state_file_lock(dir);
        ASSERT_OK(fd);
        fd2 = open(path, O_RDWR | O_CLOEXEC);
        ASSERT_OK(fd2);
        ASSERT_OK(state_file_unlock(dir, fd));
        ASSERT_OK(flock(fd2, LOCK_EX | LOCK_NB));       /* the stale file: free, but unlinked */
        fd = state_file_lock(dir);
        ASSERT_OK(fd);                                  /* a new file, so not held by fd2 */
        ASSERT_EQ(state_file_is_locked(dir), 1);
        close(fd2);
        close(fd);
        rm_rf(tmp);
}

TEST(mkdir_mode_and_owner) {
        char tmp[64], dir[96], file[128];
        struct stat st;
        int fd;

        make_tmpdir(tmp, sizeof(tmp));
        snprintf(dir, sizeof(dir), "%s/pcctl/proj", tmp);
        ASSERT_OK(state_file_mkdir(dir));
        ASSERT_OK(stat(dir, &st) < 0 ? -errno : 0);
        ASSERT_EQ(st.st_mode & 0777, 0700);
        /* ours, but opened up: narrowed again */
        ASSERT_OK(chmod(dir, 0777) < 0 ? -errno : 0);
        ASSERT_OK(state_file_mkdir(dir));
        ASSERT_OK(stat(dir, &st) < 0 ? -errno : 0);
        ASSERT_EQ(st.st_mode & 0777, 0700);
        /* not a directory */
        snprintf(file, sizeof(file), "%s/pcctl/file", tmp);
        fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_OK(fd);
        close(fd);
        ASSERT_ERROR(state_file_mkdir(file), ENOTDIR);
        /* another user's (only where we may give it away) */
        if (chown(dir, 65534, 65534) >= 0) {
                ASSERT_ERROR(state_file_mkdir(dir), EPERM);
                ASSERT_ERROR(state_file_lock(dir), EPERM);
        }
        rm_rf(tmp);
}

TEST(exit_records) {
        char tmp[64], path[160];
        int code = -1, status = -1, fd;
        uint64_t when = 0;
        struct stat st;
        FILE *f;

        make_tmpdir(tmp, sizeof(tmp));
        ASSERT_ERROR(state_file_exit_record_read(tmp, "pcctl-p-a.service", &code, &status, &when), ENOENT);

        /* as `__exited` writes it after a `systemctl stop`: killed by SIGTERM */
        snprintf(path, sizeof(path), "%s/pcctl-p-a.service.exit", tmp);
        f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fprintf(f, "%d %d\n", CLD_KILLED, SIGTERM);
        fclose(f);
        ASSERT_OK(state_file_exit_record_read(tmp, "pcctl-p-a.service", &code, &status, &when));
        ASSERT_EQ(code, CLD_KILLED);
        ASSERT_EQ(status, SIGTERM);
        ASSERT_TRUE(when > 0);

        f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fputs("garbage\n", f);
        fclose(f);
        ASSERT_ERROR(state_file_exit_record_read(tmp, "pcctl-p-a.service", &code, &status, &when), EINVAL);
        ASSERT_OK(state_file_exit_record_remove(tmp, "pcctl-p-a.service"));
        ASSERT_OK(state_file_exit_record_remove(tmp, "pcctl-p-a.service"));

        /* the project's end removes the records with the state file, also the temporary files of writers
         * killed before their rename, so its directory can go */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_OK(fd);
        close(fd);
        snprintf(path, sizeof(path), "%s/.state.json.4242.tmp", tmp);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_OK(fd);
        close(fd);
        snprintf(path, sizeof(path), "%s/pcctl-p-a.service.exit.77.tmp", tmp);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_OK(fd);
        close(fd);
        ASSERT_OK(state_file_remove(tmp));
        ASSERT_OK(rmdir(tmp) < 0 ? -errno : 0);
        ASSERT_ERROR(stat(tmp, &st) < 0 ? -errno : 0, ENOENT);
        rm_rf(tmp);
}

DEFINE_TEST_MAIN();
