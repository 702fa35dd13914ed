/* The journal files a follower reads: see journal-files.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal/journal-files.h"
#include "shared/macro.h"

void journal_file_set_done(JournalFileSet *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->paths[i]);
        free(s->paths);
        free(s->inodes);
        free(s->archived);
        *s = (JournalFileSet) {};
}

bool journal_inode_in(const ino_t *v, size_t n, ino_t ino) {
        for (size_t i = 0; i < n; i++)
                if (v[i] == ino)
                        return true;
        return false;
}

bool journal_parse_archived_name(const char *name, sd_id128_t *ret_id, uint64_t *ret_head) {
        const char *at = strchr(name, '@');
        char id[33], *end;

        if (!at || strlen(at + 1) != 32 + 1 + 16 + 1 + 16 + strlen(".journal") || at[33] != '-' || at[50] != '-' ||
            !endswith(at, ".journal"))
                return false;
        memcpy(id, at + 1, 32);
        id[32] = 0;
        if (sd_id128_from_string(id, ret_id) < 0)
                return false;
        for (size_t i = 34; i < 50; i++)
                if (!strchr("0123456789abcdef", at[i]))
                        return false;
        errno = 0;
        *ret_head = strtoull(at + 34, &end, 16);
        return errno == 0 && end == at + 50;
}

static int file_set_push(JournalFileSet *s, char *path, ino_t ino) {
        if (!GREEDY_REALLOC(s->paths, s->allocated, s->n + 2) ||
            !GREEDY_REALLOC(s->inodes, s->allocated_inodes, s->n + 1))
                return -ENOMEM;
        s->paths[s->n] = path;
        s->inodes[s->n++] = ino;
        s->paths[s->n] = NULL;
        return 0;
}

static bool archive_wanted(const JournalArchiveFilter *filter, const char *name, ino_t ino) {
        sd_id128_t id;
        uint64_t head;

        return journal_parse_archived_name(name, &id, &head) && sd_id128_equal(id, filter->seqnum_id) &&
               head > filter->after && !journal_inode_in(filter->skip[0], filter->n_skip[0], ino) &&
               !journal_inode_in(filter->skip[1], filter->n_skip[1], ino);
}

int journal_file_set_scan(const char *const *dirs, const JournalArchiveFilter *filter, JournalFileSet *ret) {
        JournalFileSet s = {}, extra = {};
        int r = 0;

        for (size_t k = 0; dirs && dirs[k]; k++) {
                struct dirent *de;
                DIR *d = opendir(dirs[k]);

                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        bool archived = strchr(de->d_name, '@');
                        char *path = NULL;
                        struct stat st;

                        if (!endswith(de->d_name, ".journal") || de->d_name[0] == '.' || (archived && !filter))
                                continue;
                        if (asprintf(&path, "%s/%s", dirs[k], de->d_name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, R_OK) < 0) {
                                free(path);
                                continue;
                        }
                        if (archived && GREEDY_REALLOC(s.archived, s.allocated_archived, s.n_archived + 1))
                                s.archived[s.n_archived++] = st.st_ino;
                        if ((archived && !archive_wanted(filter, de->d_name, st.st_ino)) ||
                            file_set_push(archived ? &extra : &s, path, st.st_ino) < 0)
                                free(path);
                }
                closedir(d);
                if (r < 0)
                        goto finish;
        }
        s.n_active = s.n;
        for (size_t i = 0; i < extra.n; i++)
                if (file_set_push(&s, extra.paths[i], extra.inodes[i]) >= 0)
                        extra.paths[i] = NULL;
        *ret = s;
        s = (JournalFileSet) {};
finish:
        journal_file_set_done(&extra);
        journal_file_set_done(&s);
        return r;
}

int journal_file_set_scan_local(const JournalArchiveFilter *filter, JournalFileSet *ret) {
        _cleanup_free_ char *run = NULL, *var = NULL;
        char mid[SD_ID128_STRING_MAX];
        sd_id128_t m;
        int r;

        r = sd_id128_get_machine(&m);
        if (r < 0)
                return r;
        sd_id128_to_string(m, mid);
        if (asprintf(&run, "/run/log/journal/%s", mid) < 0 || asprintf(&var, "/var/log/journal/%s", mid) < 0)
                return -ENOMEM;
        return journal_file_set_scan((const char *const[]) { run, var, NULL }, filter, ret);
}
