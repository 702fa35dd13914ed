/* One controller per project: the project's lock, and the state an earlier controller left
 * (docs/lifecycle.md "Controller restarts"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/up-internal.h"
#include "shared/log.h"
#include "shared/macro.h"

void up_report_live_controller(const char *project, const char *dir) {
        _cleanup_(state_file_done) StateFile s = {};

        if (state_file_read(dir, &s, NULL) >= 0 && s.controller_pid > 0)
                fprintf(stderr, "pcctl: project %s already has a running controller (PID %d, API %s); use the "
                        "client verbs, or 'pcctl down' to stop it\n", project, (int) s.controller_pid,
                        s.api_address ?: "disabled");
        else
                fprintf(stderr, "pcctl: project %s already has a running controller; use the client verbs, or "
                        "'pcctl down' to stop it\n", project);
}

/* One controller per project: takes the project's lock and reads what an earlier controller left. Returns
 * the lock fd (>= 0), -EBUSY when a live controller holds it (reported), or -ENXIO when no state can be kept
 * (no $XDG_RUNTIME_DIR; reported, and `up` goes on without). */
int up_claim_project(const char *project, char **ret_dir, StateFile *ret_saved, bool *ret_have_saved) {
        _cleanup_free_ char *dir = NULL, *err = NULL;
        int fd, r;

        *ret_have_saved = false;
        r = state_file_dir(NULL, project, &dir);
        /* the lock creates the project's directory (state_file_lock()) */
        fd = r < 0 ? r : state_file_lock(dir);
        if (fd == -EWOULDBLOCK) {
                up_report_live_controller(project, dir);
                return -EBUSY;
        }
        if (fd == -ENOENT || fd == -ENXIO) {
                /* no runtime directory: no user manager either, which manager_new() reports */
                log_debug_errno(fd, "No runtime directory for the state file of project %s: %m", project);
                return -ENXIO;
        }
        if (fd < 0) {
                log_warning_errno(fd, "Cannot keep a state file in %s, going on without (a restarted controller "
                                  "will not know restart counts): %m", strna(dir));
                return -ENXIO;
        }
        r = state_file_read(dir, ret_saved, &err);
        if (r >= 0)
                *ret_have_saved = true;
        else if (r != -ENOENT)
                fprintf(stderr, "pcctl: warning: the state file %s/" STATE_FILE_NAME " %s; ignoring it (restart "
                        "counts and stop flags of running processes start afresh)\n", dir,
                        err ?: strerror(-r));
        *ret_dir = TAKE_PTR(dir);
        return fd;
}
