/*
 * remote_int.h - what the library's other modules take from the client of
 * svcconn-server: the broker reads a job's endpoints back into
 * connections as remote.c does.
 */
#ifndef SVC_REMOTE_REMOTE_INT_H
#define SVC_REMOTE_REMOTE_INT_H

#include <jansson.h>

#include "svcconn/conn.h"

/**
 * ServiceEndpoint e as a connection: secret fields not loaded, or loaded
 * (as secret fields) when e carries their values, as a job's endpoints do.
 */
int remote_conn_from(svc_conn **out, json_t *e);

#endif
