/* The WebSocket adapter: the streams' backend (ws/ws-backend.h) bound to the Manager (core/manager.h) and the
 * REST JSON shapes (http/rest-json.h). Kept apart from ws/ws-server.c so that tests and benchmarks run the
 * streams over their own backend without a manager. */
#include <errno.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "core/manager.h"
#include "http/rest-json.h"
#include "daemon/ws-manager.h"
#include "shared/json-util.h"
#include "ws/ws-backend.h"

typedef struct StateAdapter {
        ManagerObserver *observer;
        WsStateFunc func;
        void *userdata;
} StateAdapter;

static LogRing *m_find_log(void *ud, const char *name) {
        Process *p = manager_find_process(ud, name);

        return p ? p->log : NULL;
}

static size_t m_n_processes(void *ud) {
        return manager_n_processes(ud);
}

static Process *m_process_at(void *ud, size_t i) {
        return manager_process_at(ud, i);
}

static void m_state_changed(Manager *m, Process *p, void *userdata) {
        StateAdapter *a = userdata;

        a->func(p, a->userdata);
}

static void *m_observe_state(void *ud, WsStateFunc func, void *userdata) {
        StateAdapter *a = new0(StateAdapter, 1);

        if (!a)
                return NULL;
        a->func = func;
        a->userdata = userdata;
        a->observer = manager_observe_state(ud, m_state_changed, a);
        if (!a->observer)
                return mfree(a);
        return a;
}

static void m_observer_free(void *ud, void *handle) {
        StateAdapter *a = handle;

        if (!a)
                return;
        manager_observer_free(a->observer);
        free(a);
}

static char *m_state_json(void *ud, Process *p, bool derived) {
        cJSON *j = process_state_to_json(p, derived);
        char *s;

        if (!j)
                return NULL;
        s = json_print(j);
        cJSON_Delete(j);
        return s;
}

static void m_terminal_probe(const void *data, size_t len, void *userdata) {
}

static int m_open_terminal(void *ud, const char *name, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret) {
        ProcPtySub *sub = NULL;
        int r;

        r = manager_open_terminal(ud, name, func ?: m_terminal_probe, userdata, &sub);
        if (!func)
                proc_pty_sub_free(sub);
        else if (r == 0)
                *ret = sub;
        switch (r) {
        case MANAGER_E_NOT_FOUND:
                return -ENOENT;
        case MANAGER_E_NOT_RUNNING:
                return -ESRCH;
        case MANAGER_E_NOT_INTERACTIVE:
                return -ENOTTY;
        default:
                return r;
        }
}

static const WsBackend manager_ws_backend = {
        .open_terminal = m_open_terminal,
        .find_log = m_find_log,
        .n_processes = m_n_processes,
        .process_at = m_process_at,
        .observe_state = m_observe_state,
        .observer_free = m_observer_free,
        .state_json = m_state_json,
};

int ws_manager_new_server(Manager *m, const WsServerConfig *config, WsServer **ret) {
        if (!m)
                return -EINVAL;
        return ws_server_new_with_backend(manager_get_event(m), &manager_ws_backend, m, config, ret);
}
