/*
 * svcconn.h - the umbrella header of libsvcconn.
 */
#ifndef SVCCONN_SVCCONN_H
#define SVCCONN_SVCCONN_H

#include "errors.h"
#include "secret.h"
#include "catalog.h"
#include "conn.h"
#include "store.h"
#include "exchange.h"
#include "tasks.h"
#include "pipeline.h"
#include "authz.h"
#include "job.h"
#include "jobdir.h"
#include "inject.h"
#include "run.h"
#include "gitcred.h"
#include "broker.h"
#include "mask.h"
#include "certs.h"
#include "verify.h"
#include "oidc.h"
#include "pipedef.h"
#include "projects.h"
#include "ops.h"
#include "remote.h"
#include "tokens.h"
#include "users.h"
#include "agents.h"
#include "server.h"

#define SVCCONN_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)
/** The library's version string. */
const char *svc_version(void);
#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
