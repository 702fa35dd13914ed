/* The WebSocket streams of a manager (ws-manager.c). */
#pragma once

#include "ws/ws-server.h"

typedef struct Manager Manager;

/* A WebSocket server whose log and state streams read the manager's processes. */
int ws_manager_new_server(Manager *m, const WsServerConfig *config, WsServer **ret);
