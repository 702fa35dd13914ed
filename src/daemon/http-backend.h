/* The REST API of a manager (http-backend.c). */
#pragma once

#include "http/http-server.h"
#include "ws/ws-server.h"

typedef struct Manager Manager;

int http_backend_new_server(Manager *m, WsServer *ws, const HttpServerConfig *config, HttpServer **ret);
