/*
 * store_watch.c - a server's wait for a change that can release a
 * waiting job (store_watch.h): the driver's watcher connection (sqldb.h
 * watch_open, watch_wait) and an eventfd, which this process's own
 * commits signal on an engine without a channel (store_rows.c) and
 * store_watch_wake signals to end a wait.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "store/sqldb.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "store/store_watch.h"

struct store_watch {
	svc_store *st;             /**< the store whose commits wake it */
	const sqldb_driver *drv;   /**< its engine */
	sqldb *db;                 /**< the watcher's own connection */
	int fd;                    /**< the eventfd */
	unsigned long commits;     /**< the store's own write commits when
				      the watcher last looked */
};

int store_watch_open(store_watch **out, svc_store *st)
{
	store_watch *w;
	int rc;

	if (!(w = calloc(1, sizeof(*w))))
		return error_oom();
	w->st = st;
	w->drv = sqldb_driver_for(st->db_location);
	if ((w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = error_set(SVC_ERROR, "cannot watch store '%s': %s",
			       st->db_path, strerror(errno));
		free(w);
		return rc;
	}
	if ((rc = w->drv->watch_open(&w->db, st->db_location)) != 0) {
		close(w->fd);
		free(w);
		return rc;
	}
	store_rows_wake_fd(st->be, w->fd);
	w->commits = store_rows_write_commits(st->be);
	*out = w;
	return 0;
}

/*
 * A commit seen by data_version (SQLite) while this process committed
 * too is taken for its own, which woke the watch already if it could
 * release a job: otherwise every waiter asked again would write (usage,
 * tokens), be seen, and be asked again, on and on.  Another process's
 * commit made meanwhile is then seen only by the server's periodic
 * asking (WAIT_RECHECK_MS of server.c).
 */
int store_watch_wait(store_watch *w, long timeout_ms)
{
	unsigned long now;
	int rc = w->drv->watch_wait(w->db, w->fd, timeout_ms);

	now = store_rows_write_commits(w->st->be);
	if (rc == 2)
		rc = now == w->commits;
	w->commits = now;
	return rc;
}

void store_watch_wake(store_watch *w)
{
	static const uint64_t one = 1;

	if (w && write(w->fd, &one, sizeof(one)) < 0) {
		/* a full counter: a wake is pending already */
	}
}

void store_watch_free(store_watch *w)
{
	if (!w)
		return;
	store_rows_wake_fd(w->st->be, -1);
	w->drv->close(w->db);
	close(w->fd);
	free(w);
}
