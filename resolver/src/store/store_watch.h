/*
 * store_watch.h - waiting for a change that can release a waiting job.
 *
 * A job the gate answers "waiting" (an exclusive lock held, an approval
 * or a permission not yet given) can only be released by another write:
 * the commits that make one say so (store_rows.c's gate_touch).  A watch
 * is what a server waits on for them, instead of asking again on a clock:
 * on PostgreSQL a connection of its own that LISTENs to the NOTIFY every
 * such commit sends, from any server; on SQLite a connection that reads
 * PRAGMA data_version about every second (the CLI's commits on the same
 * file), woken at once by this process's own commits.
 */
#ifndef SVC_STORE_WATCH_H
#define SVC_STORE_WATCH_H

#include "svcconn/store.h"

typedef struct store_watch store_watch;

/**
 * Watch st's database.  The watch keeps a connection of its own, to be
 * used by one thread (store_watch_wait); st must outlive it.
 */
int store_watch_open(store_watch **out, svc_store *st);
/**
 * Wait up to timeout_ms: 1 when something may have changed (or
 * store_watch_wake was called), 0 when nothing did (possibly sooner than
 * timeout_ms), or an error (SVC_EUNAVAIL: the database cannot be
 * reached; the watch reconnects at a later call, after a hold-off).
 */
int store_watch_wait(store_watch *w, long timeout_ms);
/** End a wait in progress (or the next one) at once; any thread. */
void store_watch_wake(store_watch *w);
/** Stop watching; NULL is a no-op. */
void store_watch_free(store_watch *w);

#endif
