/*
 * store.c - the public store API: paths, the master key, sealing, audit.
 *
 * This file decides; the backend (store_backend.h) only moves rows.  Secret
 * field values are sealed here (crypto.h) before they reach the backend,
 * opened here when a caller asks for them, and every buffer that held one
 * is wiped.  Every change runs in one write transaction together with its
 * audit record, which names field keys, never values.
 *
 * The master key and the store must agree: the meta table holds the id of
 * the key the secrets are sealed with ("key_id").  A rekey is made
 * crash-safe by ordering, with every step that touches "<keyfile>.new" done
 * while holding the database's write lock:
 *
 *   1. write the new key to "<keyfile>.new" (0600, fsync, fsync dir);
 *   2. in one transaction, reseal every secret and set key_id to the new id;
 *   3. commit (durable: synchronous=FULL);
 *   4. under the write lock again, rename "<keyfile>.new" over the key file
 *      and fsync the directory.
 *
 * Killed before 3, the database still says the old id and the key file
 * holds it; the leftover .new is stale and removed at the next open.
 * Killed between 3 and 4, the key file is old but .new matches the
 * database: whoever opens the store next finishes the rename.  A process
 * that opened the store before someone else's rekey notices at its next
 * transaction (key_id no longer matches its key) and reloads the key.
 *
 * Authorization (roles, groups, pipeline permissions, checks, locks, usage)
 * is store_authz.c, built on the same transactions and audit log through
 * store_int.h.  Here, init makes its actor the store's Administrator,
 * creating a connection makes its creator the connection's Administrator
 * (in the same transaction and audit record), and deleting a connection
 * deletes the authorization rows bound to it (not its usage history).
 *
 * The git credentials of git-credential-svcconn are store_gitcred.c, on
 * the same transactions; a rekey reseals their passwords too, in the same
 * transaction as the connections' secrets, and the OIDC issuer's signing
 * keys (oidc/oidc.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_gitcred.h"
#include "store/sqldb.h"
#include "oidc/oidc_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/home.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "store/store_write.h"

/* Longest location that file may hold. */
#define STORE_DB_LOCATION_MAX 4096
/* Suffix of the key file written during a rekey. */
#define STORE_KEY_NEW_SUFFIX ".new"
/* The meta key that holds the id of the current master key. */
#define META_KEY_ID "key_id"
/* Largest buffer of resealed secrets a rekey holds at once (1 GiB). */
#define REKEY_BUF_MAX ((size_t)1 << 30)

/* A list of audit records handed out; each entry owns its strings. */
struct svc_audit_list {
	svc_audit_entry *entries; /**< records, oldest first */
	size_t count;             /**< number of records */
};

/* ---- small helpers ----------------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

/* Who acts: the caller's actor, else $SVCCONN_USER, else "unknown". */
const char *store_actor(const char *actor)
{
	const char *env;

	if (actor && *actor)
		return actor;
	env = getenv("SVCCONN_USER");
	return env && *env ? env : "unknown";
}

/* The current time, ISO 8601. */
int store_now_iso(char out[32])
{
	time_t t;
	int rc;

	if ((rc = clock_now(&t)) != 0)
		return rc;
	clock_iso8601(out, t);
	return 0;
}

/* A JSON string for s; text that is not UTF-8 is replaced by a marker. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("(not UTF-8)");
}

/* Append a JSON string to array a; 0 or an error. */
static int jpush(json_t *a, const char *s)
{
	return json_array_append_new(a, jstr(s)) == 0 ? 0 : error_oom();
}

/* ---- paths ------------------------------------------------------------- */

const char *svc_store_home(const svc_store *st)
{
	return st ? st->home : NULL;
}

int svc_store_paths(char **home, char **key_file,
		    const svc_store_options *opts)
{
	const char *k = NULL, *env;
	char *hcopy = NULL, *kcopy = NULL;
	svc_buf b = SVC_BUF_INIT;

	if (opts && opts->version != SVC_STORE_OPTIONS_VERSION &&
	    opts->version != 1)
		return error_set(SVC_EINVALID,
				 "store options version %u is not supported (want %d)",
				 opts->version, SVC_STORE_OPTIONS_VERSION);
	switch (home_dir(&hcopy, opts ? opts->home : NULL)) {
	case 0:
		break;
	case HOME_NONE:
		return error_set(SVC_EINVALID,
				 "cannot find the store: set SVCCONN_HOME or HOME");
	default:
		return error_oom();
	}
	if (opts && opts->key_file && *opts->key_file)
		k = opts->key_file;
	else if ((env = getenv("SVCCONN_KEY_FILE")) && *env)
		k = env;
	if (k)
		kcopy = strdup(k);
	else if (buf_printf(&b, "%s/%s", hcopy, STORE_KEY_NAME) == 0)
		kcopy = buf_detach(&b, NULL);
	buf_clear(&b);
	if (!kcopy) {
		free(hcopy);
		return error_oom();
	}
	if (home)
		*home = hcopy;
	else
		free(hcopy);
	if (key_file)
		*key_file = kcopy;
	else
		free(kcopy);
	return 0;
}

/*
 * The database of st: the one given (opts->database, else
 * $SVCCONN_DATABASE), else the one the store directory's file "database"
 * records, else SQLite's file store.db in it.  A database given or
 * recorded is PostgreSQL's; SQLite's is always store.db.
 */
static int store_location(svc_store *st, const svc_store_options *opts)
{
	const char *given = NULL, *env;
	char *path = NULL, *loc = NULL;
	svc_buf b = SVC_BUF_INIT;
	int rc;

	if (opts && opts->version >= 2 && opts->database && *opts->database)
		given = opts->database;
	else if ((env = getenv("SVCCONN_DATABASE")) && *env)
		given = env;
	if (given) {
		if (!(loc = strdup(given)))
			return error_oom();
	} else {
		if ((rc = buf_printf(&b, "%s/%s", st->home,
				     STORE_DB_LOCATION_NAME)) != 0 ||
		    !(path = buf_detach(&b, NULL)))
			return rc ? rc : error_oom();
		buf_init(&b, STORE_DB_LOCATION_MAX, 1);
		rc = file_read_private(&b, path, "database location");
		if (rc == 0 && !b.ptr)
			rc = error_set(SVC_EINVALID, "'%s' is empty", path);
		if (rc == 0) {
			loc = buf_detach(&b, NULL);
			loc[strcspn(loc, "\r\n")] = '\0';
			st->db_recorded = 1;
		}
		buf_clear(&b);
		if (rc == SVC_ENOTFOUND) {
			/* SQLite, as always */
			rc = buf_printf(&b, "%s/%s", st->home, STORE_DB_NAME);
			if (rc == 0 && !(st->db_location =
					 buf_detach(&b, NULL)))
				rc = error_oom();
			if (rc == 0 && !(st->db_path =
					 strdup(st->db_location)))
				rc = error_oom();
			buf_clear(&b);
			free(path);
			return rc;
		}
		if (rc) {
			free(path);
			return rc;
		}
	}
	if (sqldb_driver_for(loc) != &sqldb_postgresql)
		rc = st->db_recorded
			     ? error_set(SVC_EINVALID,
					 "'%s' does not hold a PostgreSQL database location",
					 path)
			     : error_set(SVC_EINVALID,
					 "the database given is not a PostgreSQL location (postgresql://HOST/DBNAME or libpq's key=value words)");
	else
		rc = sqldb_pg_redact(&st->db_path, loc);
	free(path);
	if (rc) {
		svc_wipe(loc, strlen(loc));
		free(loc);
		return rc;
	}
	st->db_location = loc;
	return 0;
}

int svc_store_database_arg(char **out, size_t *len, const char *arg)
{
	char *copy;

	if (arg[0] == '@')
		return svc_secret_read_file(out, len, arg + 1);
	if (sqldb_pg_has_password(arg))
		return error_set(SVC_EINVALID,
				 "the database location on the command line holds a password, which every user of the machine can see: put it in ~/.pgpass (or $PGPASSFILE), or give the location as @FILE");
	if (!(copy = strdup(arg)))
		return error_oom();
	*out = copy;
	*len = strlen(copy);
	return 0;
}

/* Record st's PostgreSQL location in the store directory (init). */
static int store_location_record(svc_store *st)
{
	svc_buf b = SVC_BUF_INIT;
	int rc;

	if ((rc = buf_printf(&b, "%s/%s", st->home,
			     STORE_DB_LOCATION_NAME)) != 0)
		return rc;
	rc = file_create_private(b.ptr, st->db_location,
				 strlen(st->db_location));
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_EEXISTS,
			       "'%s' exists already: the store directory names a database",
			       b.ptr);
	buf_clear(&b);
	return rc;
}

/* Remove what store_location_record() wrote. */
static void store_location_unrecord(svc_store *st)
{
	svc_buf b = SVC_BUF_INIT;

	if (buf_printf(&b, "%s/%s", st->home, STORE_DB_LOCATION_NAME) == 0)
		unlink(b.ptr);
	buf_clear(&b);
}

/* 1 when st's database is SQLite's file in the store directory. */
static int store_is_local(const svc_store *st)
{
	return !strcmp(st->db_location, st->db_path) && !st->db_recorded &&
	       sqldb_driver_for(st->db_location) != &sqldb_postgresql;
}

/* A store handle with its paths resolved (nothing opened yet). */
static int store_alloc(svc_store **out, const svc_store_options *opts)
{
	svc_store *st = calloc(1, sizeof(*st));
	svc_buf b = SVC_BUF_INIT;
	int rc;

	if (!st)
		return error_oom();
	st->ops = &store_rows_ops;
	if ((rc = svc_store_paths(&st->home, &st->key_file, opts)) != 0 ||
	    (rc = store_location(st, opts)) != 0)
		goto fail;
	if ((rc = buf_printf(&b, "%s%s", st->key_file,
			     STORE_KEY_NEW_SUFFIX)) != 0 ||
	    !(st->key_new = buf_detach(&b, NULL)))
		goto oom;
	*out = st;
	return 0;
oom:
	rc = rc ? rc : error_oom();
fail:
	buf_clear(&b);
	svc_store_free(st);
	return rc;
}

void svc_store_free(svc_store *st)
{
	if (!st)
		return;
	if (st->be)
		st->ops->close(st->be);
	crypto_key_wipe(&st->key);
	crypto_macer_free(st->macer);
	store_mcache_free(st);
	svc_catalog_free(st->catalog);
	free(st->home);
	free(st->key_file);
	free(st->key_new);
	free(st->db_path);
	if (st->db_location)
		svc_wipe(st->db_location, strlen(st->db_location));
	free(st->db_location);
	free(st);
}

int svc_store_ping(svc_store *st)
{
	int rc;

	if (!st)
		return error_set(SVC_EINVALID, "no store");
	if ((rc = store_tx_read(st)) != 0)
		return rc;
	return store_tx_end(st, 0);
}

const char *svc_store_db_path(const svc_store *st)
{
	return st ? st->db_path : NULL;
}

/* ---- the master key ---------------------------------------------------- */

/* Make k the store's key; wipes k. */
static void key_install(svc_store *st, crypto_key *k)
{
	crypto_key_wipe(&st->key);
	crypto_macer_free(st->macer); /* keyed with the old key */
	st->macer = NULL;
	memcpy(&st->key, k, sizeof(*k));
	crypto_key_wipe(k);
}

/* 1 when path exists (as anything, symlinks not followed). */
static int path_exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/*
 * With the write lock held and the store's key id want: load the key with
 * that id into st->key.  The key file normally has it (then a leftover
 * .new is stale: removed).  If .new has it, a rekey committed but was
 * interrupted before its rename: finish it.  Otherwise the key does not
 * belong to this store.
 */
static int key_settle_locked(svc_store *st, const char *want)
{
	char why[512] = "";
	crypto_key k, n;
	int krc, nrc, rc = 0;

	krc = crypto_key_load(&k, st->key_file);
	if (krc == SVC_EINSECURE)
		return krc;
	if (krc == 0 && strcmp(k.id, want) == 0) {
		if (unlink(st->key_new) == 0)
			dir_sync_parent(st->key_new);
		key_install(st, &k);
		return 0;
	}
	if (krc)
		snprintf(why, sizeof(why), "%s", svc_error_last());
	nrc = crypto_key_load(&n, st->key_new);
	if (nrc == 0 && strcmp(n.id, want) == 0) {
		if (rename(st->key_new, st->key_file) != 0) {
			rc = error_set(SVC_ERROR,
				       "cannot finish an interrupted rekey: cannot rename '%s' to '%s': %s",
				       st->key_new, st->key_file,
				       strerror(errno));
		} else if ((rc = dir_sync_parent(st->key_file)) == 0) {
			key_install(st, &n);
		}
		crypto_key_wipe(&n);
		crypto_key_wipe(&k);
		return rc;
	}
	crypto_key_wipe(&n);
	if (krc) {
		crypto_key_wipe(&k);
		return error_set(krc == SVC_ENOTFOUND ? SVC_ECRYPTO : krc,
				 "%s", why);
	}
	rc = error_set(SVC_ECRYPTO,
		       "master key '%s' (key id %s) does not match this store (sealed with key id %s)",
		       st->key_file, k.id, want);
	crypto_key_wipe(&k);
	return rc;
}

/* The store's current key id into a new string. */
static int meta_key_id(char **out, svc_store *st)
{
	int rc = st->ops->meta_get(out, st->be, META_KEY_ID);

	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ECRYPTO,
				 "store '%s' has no key id: it was not initialised completely (remove it and run 'svcconn init')",
				 st->db_path);
	return rc;
}

/*
 * Start a write transaction and settle the key files under its lock,
 * whether or not st->key already matches the store.
 */
static int tx_write_settled(svc_store *st)
{
	char *want = NULL;
	int rc;

	if ((rc = st->ops->begin(st->be, 1)) != 0)
		return rc;
	if ((rc = meta_key_id(&want, st)) == 0)
		rc = key_settle_locked(st, want);
	free(want);
	if (rc)
		st->ops->rollback(st->be);
	return rc;
}

/*
 * Load the key at open.  The fast path takes no lock: the key file matches
 * and there is no .new.  Anything else is settled under the write lock.
 */
static int key_open(svc_store *st)
{
	char *want = NULL;
	crypto_key k;
	int rc;

	if ((rc = meta_key_id(&want, st)) != 0)
		return rc;
	rc = crypto_key_load(&k, st->key_file);
	if (rc == SVC_EINSECURE)
		goto done;
	if (rc == 0 && strcmp(k.id, want) == 0 && !path_exists(st->key_new)) {
		key_install(st, &k);
		goto done;
	}
	if ((rc = tx_write_settled(st)) == 0 &&
	    (rc = st->ops->commit(st->be)) != 0)
		st->ops->rollback(st->be);
done:
	crypto_key_wipe(&k);
	free(want);
	return rc;
}

/* ---- transactions ------------------------------------------------------ */

/* End the fold's read transaction (rc 0: it commits, else rolls back). */
static void fold_release(svc_store *st, int rc)
{
	st->held = 0;
	st->joined = 0;
	st->fold_failed = 0;
	store_tx_end(st, rc);
}

/*
 * Start a write transaction with the store's key settled: if someone
 * rekeyed since this handle loaded its key, load the new one.
 */
int store_tx_write(svc_store *st)
{
	char *want = NULL;
	int rc;

	/* a fold's read ends where a write begins, when no read is open */
	if (st->held && st->fold && !st->held_explicit && !st->joined)
		fold_release(st, 0);
	if (st->held)
		return error_set(SVC_ERROR,
				 "cannot write to store '%s' while a read is held open",
				 st->db_path);
	if (st->wheld) {
		/* the held transaction was started with the key settled */
		st->wjoined++;
		return 0;
	}
	if ((rc = st->ops->begin(st->be, 1)) != 0)
		return rc;
	if ((rc = meta_key_id(&want, st)) == 0 && strcmp(want, st->key.id) != 0)
		rc = key_settle_locked(st, want);
	free(want);
	if (rc)
		st->ops->rollback(st->be);
	return rc;
}

/* 1 in *ok when the store's key, read in the open transaction, is st->key. */
static int key_matches(int *ok, svc_store *st)
{
	char *want = NULL;
	int rc = meta_key_id(&want, st);

	*ok = rc == 0 && strcmp(want, st->key.id) == 0;
	free(want);
	return rc;
}

/*
 * Start a read transaction; with need_key, one in which the store's key
 * matches st->key (settling it under the write lock when it does not).
 */
static int read_begin(svc_store *st, int need_key)
{
	int rc, tries, ok = 0;

	for (tries = 0; tries < 3; tries++) {
		if ((rc = st->ops->begin(st->be, 0)) != 0 || !need_key)
			return rc;
		if ((rc = key_matches(&ok, st)) == 0 && ok)
			return 0;
		st->ops->rollback(st->be);
		if (rc)
			return rc;
		/* rekeyed meanwhile: settle the key, then read again */
		if ((rc = store_tx_write(st)) != 0)
			return rc;
		if ((rc = st->ops->commit(st->be)) != 0) {
			st->ops->rollback(st->be);
			return rc;
		}
	}
	return error_set(SVC_ECRYPTO,
			 "the master key of store '%s' keeps changing; try again",
			 st->db_path);
}

/*
 * Before a read that needs the key joins a held transaction begun by one
 * that did not (a fold's): check the key there.  0: join it; 1: it was
 * ended, the key having changed (the caller begins another, which settles
 * it); else an error.
 */
static int held_key(svc_store *st)
{
	int rc, ok = 0;

	if (st->held_keyed)
		return 0;
	if ((rc = key_matches(&ok, st)) == 0 && ok) {
		st->held_keyed = 1;
		return 0;
	}
	if (st->joined || st->held_explicit)
		return rc ? rc : error_set(SVC_ECRYPTO,
					   "the master key of store '%s' changed while it was read; try again",
					   st->db_path);
	fold_release(st, rc);
	return rc ? rc : 1;
}

/*
 * Start a read transaction (with need_key, one in which st->key opens
 * secrets), or join the one held: store_read_hold's, a fold's (begun here
 * by its first read), or store_write_hold's.
 */
static int tx_read_key(svc_store *st, int need_key)
{
	int rc;

	if (st->held && need_key && (rc = held_key(st)) != 0) {
		if (rc < 0)
			return rc;
		/* ended: begun again below */
	}
	if (st->held || st->wheld) {
		/* the held transaction was started with the key checked */
		if (st->held)
			st->joined++;
		else
			st->wjoined++;
		return 0;
	}
	if (!st->fold)
		return read_begin(st, need_key);
	/* the fold's transaction, which this read is the first to join */
	if ((rc = read_begin(st, need_key)) == 0) {
		st->held = 1;
		st->held_keyed = need_key;
		st->joined = 1;
		st->fold_failed = 0;
	}
	return rc;
}

int store_tx_read(svc_store *st)
{
	return tx_read_key(st, 0);
}

/* A read transaction in which st->key opens secrets (store_gitcred.c). */
int store_tx_read_key(svc_store *st)
{
	return tx_read_key(st, 1);
}

int store_read_hold(svc_store *st)
{
	int rc;

	if (st->held_explicit)
		return error_set(SVC_ERROR, "a read of store '%s' is held already",
				 st->db_path);
	if (st->held && (rc = held_key(st)) < 0)
		return rc;
	if (st->held) {
		/* a fold's: this hold joins it, and leaves it to the fold */
		st->held_explicit = 1;
		return 0;
	}
	if ((rc = tx_read_key(st, 1)) == 0) {
		st->held = 1;
		st->held_keyed = 1;
		st->joined = 0;
		st->held_explicit = 1;
	}
	return rc;
}

void store_read_release(svc_store *st)
{
	if (!st->held_explicit)
		return;
	st->held_explicit = 0;
	if (st->fold)
		return;
	st->held = 0;
	st->joined = 0;
	store_tx_end(st, 0);
}

void store_fold_begin(svc_store *st)
{
	st->fold = 1;
}

void store_fold_end(svc_store *st)
{
	st->fold = 0;
	if (st->held && !st->held_explicit)
		fold_release(st, st->fold_failed);
}

int store_write_hold(svc_store *st)
{
	int rc;

	if (st->wheld)
		return error_set(SVC_ERROR, "a write of store '%s' is held already",
				 st->db_path);
	if ((rc = store_tx_write(st)) == 0) {
		st->wheld = 1;
		st->wjoined = 0;
		st->wfailed = 0;
	}
	return rc;
}

int store_write_release(svc_store *st, int rc)
{
	int failed = st->wfailed;

	if (!st->wheld)
		return rc;
	st->wheld = 0;
	st->wjoined = 0;
	st->wfailed = 0;
	return store_tx_end(st, rc ? rc : failed);
}

int store_write_held(const svc_store *st)
{
	return st->wheld;
}

/*
 * End a transaction: commit when rc is 0, else roll back; returns rc.  A
 * transaction that joined a held one (store_read_hold, store_write_hold)
 * leaves it open; one that fails dooms the held write (rolled back at its
 * release).
 */
int store_tx_end(svc_store *st, int rc)
{
	if (st->held && st->joined) {
		st->joined--;
		/* a fold's read failed (in PostgreSQL that can leave the
		 * transaction aborted): the fold's transaction ends with the
		 * last read open in it, and the next read begins another */
		if (rc && st->fold && !st->held_explicit)
			st->fold_failed = rc;
		if (!st->joined && st->fold_failed && !st->held_explicit)
			fold_release(st, st->fold_failed);
		return rc;
	}
	if (st->wheld && st->wjoined) {
		st->wjoined--;
		if (rc && !st->wfailed)
			st->wfailed = rc;
		return rc;
	}
	if (rc == 0 && (rc = store_mcache_flush(st)) == 0 &&
	    (rc = st->ops->commit(st->be)) == 0) {
		store_mcache_end(st, 1);
		return 0;
	}
	st->ops->rollback(st->be);
	store_mcache_end(st, 0);
	return rc;
}

/* ---- audit ------------------------------------------------------------- */

/* Append an audit record; detail is consumed. */
int store_audit(svc_store *st, const char *at, const char *actor,
		const char *action, const char *conn_id,
		const char *conn_name, json_t *detail)
{
	svc_audit_entry e;
	char *text;
	int rc;

	/* a NULL detail is a failed json_pack: out of memory */
	text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_decref(detail);
	if (!text)
		return error_oom();
	e.seq = 0;
	e.at = at;
	e.actor = actor;
	e.action = action;
	e.conn_id = conn_id ? conn_id : "";
	e.conn_name = conn_name ? conn_name : "";
	e.detail = text;
	rc = st->ops->audit_append(st->be, &e);
	free(text);
	return rc;
}

/* ---- init and open ----------------------------------------------------- */

int svc_store_init(const svc_store_options *opts, const char *actor)
{
	return store_init_as(opts, store_actor(actor), actor);
}

int store_init_as(const svc_store_options *opts, const char *admin,
		  const char *actor)
{
	const char *who = store_actor(actor);
	int rc, created_db = 0, created_key = 0, created_loc = 0;
	svc_store *st = NULL;
	json_t *detail;
	char now[32];
	char *have = NULL;

	if ((rc = store_now_iso(now)) != 0 ||
	    (rc = store_alloc(&st, opts)) != 0)
		return rc;
	if ((rc = dir_ensure_private(st->home)) != 0)
		goto done;
	/* the database first: an existing store is refused before any key
	 * is made */
	if ((rc = st->ops->open(&st->be, st->db_location, 1)) != 0)
		goto done;
	created_db = 1;
	/* a PostgreSQL database is recorded in the directory, where
	 * SQLite's store.db would be */
	if (!store_is_local(st) && !st->db_recorded) {
		if ((rc = store_location_record(st)) != 0)
			goto done;
		created_loc = 1;
	}
	rc = crypto_key_load(&st->key, st->key_file);
	if (rc == SVC_ENOTFOUND) {
		if ((rc = crypto_key_generate(&st->key)) != 0 ||
		    (rc = crypto_key_write(&st->key, st->key_file)) != 0)
			goto done;
		created_key = 1;
	} else if (rc) {
		goto done;
	}
	if ((rc = st->ops->begin(st->be, 1)) != 0)
		goto done;
	rc = st->ops->meta_get(&have, st->be, META_KEY_ID);
	if (rc == 0)
		rc = error_set(SVC_EEXISTS, "store '%s' is initialised already",
			       st->db_path);
	else if (rc == SVC_ENOTFOUND)
		rc = st->ops->meta_set(st->be, META_KEY_ID, st->key.id);
	/* the (empty) list of connections, under the key from the start */
	if (rc == 0)
		rc = store_rows_adopt(st, NULL);
	/* whoever creates the store administers it */
	if (rc == 0)
		rc = st->ops->role_put(st->be, NULL, NULL, admin,
				       SVC_ROLE_ADMIN, who, now);
	if (rc == 0) {
		detail = json_pack("{s:s, s:b, s:s}", "key_id", st->key.id,
				   "key_created", created_key,
				   "administrator", admin);
		rc = store_audit(st, now, who, "init", "", "", detail);
	}
	rc = store_tx_end(st, rc);
done:
	free(have);
	if (rc && st && st->be) {
		st->ops->close(st->be);
		st->be = NULL;
	}
	if (rc && created_db)
		st->ops->remove(st->db_location);
	if (rc && created_loc)
		store_location_unrecord(st);
	if (rc && created_key)
		unlink(st->key_file);
	svc_store_free(st);
	return rc;
}

static int rows_adopt(svc_store *st);

int svc_store_open(svc_store **out, const svc_store_options *opts)
{
	svc_store *st = NULL;
	int rc;

	if ((rc = store_alloc(&st, opts)) != 0)
		return rc;
	if ((rc = st->ops->open(&st->be, st->db_location, 0)) != 0 ||
	    (rc = key_open(st)) != 0 || (rc = rows_adopt(st)) != 0) {
		svc_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* ---- writing connections ----------------------------------------------- */

/* The row for c under id, with the given creator and updater. */
static void conn_row(store_conn_row *r, const svc_conn *c, const char *id,
		     const char *created_by, const char *created_at,
		     const char *updated_by, const char *updated_at)
{
	r->id = id;
	r->name = svc_conn_name(c);
	r->type = svc_conn_type(c);
	r->scheme = svc_conn_scheme(c);
	r->url = svc_conn_url(c);
	r->description = svc_conn_description(c);
	r->created_by = created_by;
	r->created_at = created_at;
	r->updated_by = updated_by;
	r->updated_at = updated_at;
	r->all_pipelines = svc_conn_all_pipelines(c);
}

/* Basic checks every stored connection passes (validation is the caller's). */
static int conn_check(const svc_conn *c)
{
	const char *name = svc_conn_name(c), *type = svc_conn_type(c);

	if (!name || !*name)
		return error_set(SVC_EINVALID, "the connection needs a name");
	if (!type || !*type)
		return error_set(SVC_EINVALID,
				 "connection '%s' needs a type", name);
	return 0;
}

/*
 * Seal f's value and write it as a field of connection id; with seals,
 * keep the sealed bytes there too (store_conn_seal_written).
 */
static int put_sealed(svc_store *st, const char *id, const char *conn_name,
		      const svc_conn_field *f, store_seals *seals)
{
	svc_buf sealed = SVC_BUF_INIT;
	store_field_row row;
	int rc;

	if (!f->value)
		return error_set(SVC_EINVALID,
				 "secret field '%s' of connection '%s' has no value",
				 f->key, conn_name);
	if ((rc = crypto_seal(&sealed, &st->key, id, f->key, f->value,
			      f->len)) != 0)
		goto done;
	memset(&row, 0, sizeof(row));
	row.key = f->key;
	row.kind = f->kind;
	row.secret = 1;
	row.sealed = (const unsigned char *)sealed.ptr;
	row.sealed_len = sealed.len;
	row.key_id = st->key.id;
	rc = st->ops->field_put(st->be, id, &row);
	if (rc == 0 && seals)
		rc = store_seals_add(seals, f->key, row.sealed, row.sealed_len);
done:
	buf_clear(&sealed);
	return rc;
}

/* Write a non-secret field. */
static int put_plain(svc_store *st, const char *id, const svc_conn_field *f)
{
	store_field_row row;

	memset(&row, 0, sizeof(row));
	row.key = f->key;
	row.kind = f->kind;
	row.value = f->value ? f->value : "";
	row.value_len = f->value ? f->len : 0;
	return st->ops->field_put(st->be, id, &row);
}

/* A name that is free, or taken by the connection self_id (may be NULL). */
static int name_free(svc_store *st, const char *name, const char *self_id)
{
	char *other_id = NULL, *other_name = NULL;
	int rc;

	rc = st->ops->conn_find(&other_id, &other_name, st->be, name,
				STORE_FIND_NAME);
	if (rc == SVC_ENOTFOUND)
		return 0;
	if (rc == 0 && self_id && strcmp(other_id, self_id) == 0)
		rc = 0;
	else if (rc == 0)
		rc = error_set(SVC_EEXISTS,
			       "a connection named '%s' exists already",
			       other_name);
	free(other_id);
	free(other_name);
	return rc;
}

/*
 * Insert c under id, inside a write transaction, with an audit record of
 * the given action.  With seals (an import's rows held in batches), its
 * name and id are known to be free (looked up for many at once), and it
 * is MAC'd from what was written, the sealed secrets kept in seals.
 */
static int create_tx(svc_store *st, const svc_conn *c, const char *id,
		     const char *owner, const char *who, const char *now,
		     const char *action, store_seals *seals)
{
	const char *name = svc_conn_name(c);
	json_t *keys = NULL;
	store_conn_row row;
	svc_conn_field f;
	size_t i, n;
	int rc;

	if ((rc = conn_check(c)) != 0 ||
	    (!seals && (rc = name_free(st, name, NULL)) != 0))
		return rc;
	store_seals_reset(seals);
	rc = seals ? SVC_ENOTFOUND
		   : st->ops->conn_find(NULL, NULL, st->be, id, STORE_FIND_ID);
	if (rc == 0)
		return error_set(SVC_EEXISTS,
				 "connection id '%s' (of '%s') is taken already",
				 id, name);
	if (rc != SVC_ENOTFOUND)
		return rc;
	conn_row(&row, c, id, who, now, who, now);
	if ((rc = st->ops->conn_insert(st->be, &row)) != 0) {
		if (rc == SVC_EEXISTS)
			rc = error_set(SVC_EEXISTS,
				       "a connection named '%s' exists already",
				       name);
		return rc;
	}
	if (!(keys = json_array()))
		return error_oom();
	n = svc_conn_field_count(c);
	for (i = 0; i < n && rc == 0; i++) {
		if (svc_conn_field_at(c, i, &f) != 0 || !f.is_set)
			continue;
		rc = f.secret ? put_sealed(st, id, name, &f, seals)
			      : put_plain(st, id, &f);
		if (rc == 0)
			rc = jpush(keys, f.key);
	}
	/* whoever creates a connection administers it */
	if (rc == 0)
		rc = st->ops->role_put(st->be, id, NULL, owner,
				       SVC_ROLE_ADMIN, who, now);
	if (rc == 0)
		rc = store_expiry_record(st, c, id, now);
	if (rc == 0)
		rc = seals ? store_conn_seal_written(st, c, id, seals)
			   : store_conn_seal(st, id);
	if (rc) {
		json_decref(keys);
		return rc;
	}
	return store_audit(st, now, who, action, id, name,
			   json_pack("{s:s, s:o, s:s}", "type",
				     svc_conn_type(c), "fields", keys,
				     "administrator", who));
}

/* Push the names of the metadata that differ between old and c. */
static int meta_changes(json_t *changed, const svc_conn *old,
			const svc_conn *c)
{
	int rc = 0;

	if (!str_eq(svc_conn_name(old), svc_conn_name(c)))
		rc = jpush(changed, "name");
	if (!rc && !str_eq(svc_conn_type(old), svc_conn_type(c)))
		rc = jpush(changed, "type");
	if (!rc && !str_eq(svc_conn_scheme(old), svc_conn_scheme(c)))
		rc = jpush(changed, "scheme");
	if (!rc && !str_eq(svc_conn_url(old), svc_conn_url(c)))
		rc = jpush(changed, "url");
	if (!rc && !str_eq(svc_conn_description(old), svc_conn_description(c)))
		rc = jpush(changed, "description");
	if (!rc && svc_conn_all_pipelines(old) != svc_conn_all_pipelines(c))
		rc = jpush(changed, "all_pipelines");
	return rc;
}

/* Write c's fields over those of old (connection id); note the changes. */
static int fields_update(svc_store *st, const svc_conn *old,
			 const svc_conn *c, const char *id, json_t *changed,
			 json_t *removed)
{
	const char *name = svc_conn_name(c);
	svc_conn_field f, of;
	store_field_row row;
	size_t i, n;
	int rc = 0, had;

	n = svc_conn_field_count(c);
	for (i = 0; i < n && rc == 0; i++) {
		if (svc_conn_field_at(c, i, &f) != 0 || !f.is_set)
			continue;
		had = svc_conn_field_get(old, f.key, &of) == 0 && of.is_set;
		if (f.secret && !f.value) {
			/* set but not loaded: keep the stored ciphertext */
			if (!had || !of.secret)
				return error_set(SVC_EINVALID,
						 "secret field '%s' of connection '%s' has no stored value to keep",
						 f.key, name);
			if (of.kind == f.kind)
				continue;
			memset(&row, 0, sizeof(row));
			row.key = f.key;
			row.kind = f.kind;
			row.secret = 1;
			rc = st->ops->field_put(st->be, id, &row);
		} else if (f.secret) {
			if ((rc = put_sealed(st, id, name, &f, NULL)) == 0)
				rc = jpush(changed, f.key);
		} else if (!had || of.secret || of.kind != f.kind ||
			   !of.value || of.len != f.len ||
			   (f.len && memcmp(of.value, f.value, f.len) != 0)) {
			if ((rc = put_plain(st, id, &f)) == 0)
				rc = jpush(changed, f.key);
		}
	}
	n = svc_conn_field_count(old);
	for (i = 0; i < n && rc == 0; i++) {
		if (svc_conn_field_at(old, i, &of) != 0)
			continue;
		if (svc_conn_field_get(c, of.key, &f) == 0 && f.is_set)
			continue;
		if ((rc = st->ops->field_delete(st->be, id, of.key)) == 0)
			rc = jpush(removed, of.key);
	}
	return rc;
}

/*
 * Replace the connection id with c, inside a write transaction, with an
 * audit record of the given action naming the changed keys.
 */
static int update_tx(svc_store *st, const svc_conn *c, const char *id,
		     const char *who, const char *now, const char *action,
		     int replaced)
{
	json_t *changed = NULL, *removed = NULL, *detail;
	svc_conn *old = NULL;
	store_conn_row row;
	int rc;

	if ((rc = conn_check(c)) != 0)
		return rc;
	if ((rc = st->ops->conn_get(&old, st->be, id)) != 0) {
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND,
				       "no connection with id '%s'", id);
		return rc;
	}
	/* a tampered row is refused, never made valid by the write */
	if ((rc = store_conn_verify(st, &old, 1)) != 0 ||
	    (rc = name_free(st, svc_conn_name(c), id)) != 0)
		goto done;
	if (!(changed = json_array()) || !(removed = json_array())) {
		rc = error_oom();
		goto done;
	}
	if ((rc = meta_changes(changed, old, c)) != 0 ||
	    (rc = fields_update(st, old, c, id, changed, removed)) != 0)
		goto done;
	conn_row(&row, c, id, NULL, NULL, who, now);
	if ((rc = st->ops->conn_update(st->be, &row)) != 0 ||
	    (rc = store_expiry_record(st, c, id, now)) != 0 ||
	    (rc = store_conn_seal(st, id)) != 0)
		goto done;
	detail = replaced ? json_pack("{s:b, s:O, s:O}", "replaced", 1,
				      "changed", changed, "removed", removed)
			  : json_pack("{s:O, s:O}", "changed", changed,
				      "removed", removed);
	rc = store_audit(st, now, who, action, id, svc_conn_name(c), detail);
done:
	json_decref(changed);
	json_decref(removed);
	svc_conn_free(old);
	return rc;
}

int svc_store_conn_create(svc_store *st, svc_conn *c, const char *actor)
{
	return store_conn_create_as(st, c, store_actor(actor), actor);
}

int store_conn_create_as(svc_store *st, svc_conn *c, const char *owner,
			 const char *actor)
{
	const char *who = store_actor(actor), *id = svc_conn_id(c);
	char idbuf[SVC_ID_LEN + 1], now[32];
	int rc;

	if (!id || !*id) {
		if ((rc = svc_uuid_new(idbuf)) != 0)
			return rc;
		id = idbuf;
	} else if (!svc_is_uuid(id)) {
		return error_set(SVC_EINVALID,
				 "invalid connection id '%s' (want a lower-case UUID)",
				 id);
	}
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = store_tx_end(st, create_tx(st, c, id, owner, who, now, "create",
					NULL));
	if (rc)
		return rc;
	if (id == idbuf && (rc = svc_conn_set_id(c, idbuf)) != 0)
		return rc;
	return svc_conn_set_meta(c, who, now, who, now);
}

int svc_store_conn_update(svc_store *st, svc_conn *c, const char *actor)
{
	const char *who = store_actor(actor), *id = svc_conn_id(c);
	char now[32];
	int rc;

	if (!id || !*id)
		return error_set(SVC_EINVALID,
				 "connection '%s' has no id: it is not from the store",
				 svc_conn_name(c) ? svc_conn_name(c) : "");
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = store_tx_end(st, update_tx(st, c, id, who, now, "edit", 0));
	if (rc)
		return rc;
	return svc_conn_set_meta(c, NULL, NULL, who, now);
}

/* Find name_or_id (id or name) inside a transaction; error names it. */
int store_find_conn(char **id, char **name, svc_store *st,
		    const char *name_or_id)
{
	int rc;

	if (!name_or_id || !*name_or_id)
		return error_set(SVC_EINVALID, "no connection name given");
	rc = st->ops->conn_find(id, name, st->be, name_or_id,
				STORE_FIND_ID | STORE_FIND_NAME);
	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ENOTFOUND, "no connection named '%s'",
				 name_or_id);
	return rc;
}

/* A name fit for rename (the full checks are svc_conn_validate's). */
static int check_new_name(const char *name)
{
	const unsigned char *p;

	if (!name || !*name)
		return error_set(SVC_EINVALID, "the new name is empty");
	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return error_set(SVC_EINVALID,
					 "name contains a control character");
	if (svc_is_uuid(name))
		return error_set(SVC_EINVALID,
				 "name '%s' looks like a connection id; choose another",
				 name);
	return 0;
}

int svc_store_conn_rename(svc_store *st, const char *name_or_id,
			  const char *new_name, const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *old_name = NULL, now[32];
	svc_conn *old = NULL;
	int rc;

	if ((rc = check_new_name(new_name)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, &old_name, st, name_or_id)) == 0 &&
	    (rc = st->ops->conn_get(&old, st->be, id)) == 0 &&
	    (rc = store_conn_verify(st, &old, 1)) == 0 &&
	    (rc = name_free(st, new_name, id)) == 0 &&
	    (rc = st->ops->conn_rename(st->be, id, new_name, who, now)) == 0 &&
	    (rc = store_conn_seal(st, id)) == 0)
		rc = store_audit(st, now, who, "rename", id, new_name,
				 json_pack("{s:o, s:o}", "from",
					   jstr(old_name), "to",
					   jstr(new_name)));
	rc = store_tx_end(st, rc);
	svc_conn_free(old);
	free(id);
	free(old_name);
	return rc;
}

int svc_store_conn_delete(svc_store *st, const char *name_or_id,
			  const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *name = NULL, now[32];
	int rc;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	/* its roles, pipeline list, requests, checks and locks go with it;
	 * the usage history stays */
	rc = store_find_conn(&id, &name, st, name_or_id);
	/* an id whose row was removed without the key: accept that */
	if (rc == SVC_ENOTFOUND && svc_is_uuid(name_or_id) &&
	    store_conn_unlist(st, name_or_id) == 0) {
		rc = store_audit(st, now, who, "delete", name_or_id, "",
				 json_pack("{s:b}", "removed_without_key", 1));
		return store_tx_end(st, rc);
	}
	if (rc == 0 &&
	    (rc = st->ops->conn_authz_delete(st->be, id)) == 0 &&
	    (rc = st->ops->conn_delete(st->be, id)) == 0 &&
	    (rc = store_conn_forget(st, id)) == 0)
		rc = store_audit(st, now, who, "delete", id, name,
				 json_object());
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

int svc_store_conn_import(svc_store *st, svc_conn **conns, size_t count,
			  const char *actor, unsigned flags)
{
	return store_conn_import_as(st, conns, count, store_actor(actor), actor,
				    flags);
}

/* qsort: connections by name, ignoring ASCII case. */
static int by_name_nocase(const void *a, const void *b)
{
	return strcasecmp(svc_conn_name(*(svc_conn *const *)a),
			  svc_conn_name(*(svc_conn *const *)b));
}

/* qsort: connections by id, those without one first. */
static int by_given_id(const void *a, const void *b)
{
	const char *x = svc_conn_id(*(svc_conn *const *)a),
		   *y = svc_conn_id(*(svc_conn *const *)b);

	return strcmp(x ? x : "", y ? y : "");
}

/*
 * 1 when the names (ignoring case) and the ids given of conns are all
 * different, so that no connection of the import needs to see another's
 * rows; 0 otherwise, or on a name or memory missing.
 */
static int import_distinct(svc_conn **conns, size_t count)
{
	svc_conn **v;
	size_t i;
	int ok = 1;

	for (i = 0; i < count; i++)
		if (!svc_conn_name(conns[i]))
			return 0;
	if (count < 2)
		return 1;
	if (!(v = malloc(count * sizeof(*v))))
		return 0;
	memcpy(v, conns, count * sizeof(*v));
	qsort(v, count, sizeof(*v), by_name_nocase);
	for (i = 1; i < count && ok; i++)
		ok = by_name_nocase(&v[i - 1], &v[i]) != 0;
	qsort(v, count, sizeof(*v), by_given_id);
	for (i = 1; i < count && ok; i++)
		ok = !svc_conn_id(v[i]) || !*svc_conn_id(v[i]) ||
		     by_given_id(&v[i - 1], &v[i]) != 0;
	free(v);
	return ok;
}

/* Connections of an import looked up together. */
#define IMPORT_CHUNK 500

/*
 * For conns[0..n): the id of the connection each one's name finds into
 * name_ids, and into id_ids that of the connection with the id it gives.
 */
static int import_lookup(svc_store *st, svc_conn **conns, size_t n,
			 char **name_ids, char **id_ids)
{
	const char *keys[IMPORT_CHUNK], *id;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		keys[i] = svc_conn_name(conns[i]);
	if ((rc = st->ops->conn_find_many(st->be, name_ids, keys, n,
					  STORE_FIND_NAME)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		id = svc_conn_id(conns[i]);
		keys[i] = id && *id ? id : "";
	}
	return st->ops->conn_find_many(st->be, id_ids, keys, n, STORE_FIND_ID);
}

static void lookup_clear(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ids[i]);
		ids[i] = NULL;
	}
}

/*
 * The import of conns inside the open write transaction.  With seals, the
 * new connections' rows are held in batches (the backend's batch_begin)
 * and written many to a statement, MAC'd as written, and the names and
 * ids of IMPORT_CHUNK connections are looked up at once; a replaced
 * connection is read back, so the rows held are written before it.
 */
static int import_tx(svc_store *st, svc_conn **conns, size_t count,
		     const char *owner, const char *who, const char *now,
		     unsigned flags, store_seals *seals)
{
	char idbuf[SVC_ID_LEN + 1], *old_id;
	char *name_ids[IMPORT_CHUNK] = { NULL }, *id_ids[IMPORT_CHUNK] = { NULL };
	const char *id, *name;
	size_t i, k = 0, n = 0;
	int rc = 0;

	for (i = 0; i < count && rc == 0; i++) {
		name = svc_conn_name(conns[i]);
		if ((rc = conn_check(conns[i])) != 0)
			break;
		old_id = NULL;
		if (seals && (k = i % IMPORT_CHUNK) == 0) {
			lookup_clear(name_ids, n);
			lookup_clear(id_ids, n);
			n = count - i < IMPORT_CHUNK ? count - i : IMPORT_CHUNK;
			if ((rc = import_lookup(st, conns + i, n, name_ids,
						id_ids)) != 0)
				break;
		}
		if (seals) {
			old_id = name_ids[k];
			name_ids[k] = NULL;
			rc = old_id ? 0 : SVC_ENOTFOUND;
		} else {
			rc = st->ops->conn_find(&old_id, NULL, st->be, name,
						STORE_FIND_NAME);
		}
		if (rc == 0 && !(flags & SVC_IMPORT_REPLACE)) {
			rc = error_set(SVC_EEXISTS,
				       "connection '%s' exists already (import with replace to overwrite it)",
				       name);
		} else if (rc == 0) {
			/* keeps the stored id, so references by id hold */
			if (seals)
				rc = st->ops->batch_end(st->be, 1);
			if (rc == 0)
				rc = update_tx(st, conns[i], old_id, who, now,
					       "import", 1);
			if (rc == 0 && seals)
				rc = st->ops->batch_begin(st->be);
		} else if (rc == SVC_ENOTFOUND) {
			id = svc_conn_id(conns[i]);
			rc = 0;
			if (!id || !*id) {
				rc = svc_uuid_new(idbuf);
				id = idbuf;
			} else if (!svc_is_uuid(id)) {
				rc = error_set(SVC_EINVALID,
					       "invalid id '%s' of connection '%s' (want a lower-case UUID)",
					       id, name);
			} else if (seals && id_ids[k]) {
				rc = error_set(SVC_EEXISTS,
					       "connection id '%s' (of '%s') is taken already",
					       id, name);
			}
			if (rc == 0)
				rc = create_tx(st, conns[i], id, owner, who,
					       now, "import", seals);
		}
		free(old_id);
	}
	lookup_clear(name_ids, n);
	lookup_clear(id_ids, n);
	return rc;
}

int store_conn_import_as(svc_store *st, svc_conn **conns, size_t count,
			 const char *owner, const char *actor, unsigned flags)
{
	const char *who = store_actor(actor);
	store_seals *seals = NULL;
	char now[32];
	int rc, end;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	/* batches when no connection of the import meets another's rows:
	 * the list of versions is matched against every row first, as the
	 * first write of a transaction does */
	if (import_distinct(conns, count) &&
	    ((rc = store_seals_new(&seals)) != 0 ||
	     (rc = store_conn_seal_begin(st)) != 0 ||
	     (rc = st->ops->batch_begin(st->be)) != 0))
		return store_tx_end(st, rc);
	rc = import_tx(st, conns, count, owner, who, now, flags, seals);
	if (seals) {
		end = st->ops->batch_end(st->be, rc == 0);
		if (rc == 0 && end == SVC_EEXISTS)
			rc = error_set(SVC_EEXISTS,
				       "cannot import: a name or id of the import is taken already (%s)",
				       svc_error_last());
		else if (rc == 0)
			rc = end;
	}
	store_seals_free(seals);
	return store_tx_end(st, rc);
}

/* ---- reading connections ----------------------------------------------- */

/* What the decrypting walk over a connection's secrets needs. */
struct open_ctx {
	svc_store *st;  /**< the store (its key) */
	svc_conn *c;    /**< the connection being filled */
};

int store_open_into(svc_store *st, svc_conn *c, const store_sealed *s)
{
	const char *name = svc_conn_name(c);
	svc_buf pt;
	int rc;

	buf_init(&pt, SVC_BUF_DEFAULT_MAX, 1);
	rc = crypto_open(&pt, &st->key, s->conn_id, s->key, s->data, s->len);
	if (rc == SVC_ECRYPTO && strcmp(s->key_id, st->key.id) != 0)
		rc = error_set(SVC_ECRYPTO,
			       "cannot decrypt field '%s' of connection '%s': it is sealed with key id %s, not with the store's key %s",
			       s->key, name, s->key_id, st->key.id);
	else if (rc == SVC_ECRYPTO)
		rc = error_set(SVC_ECRYPTO,
			       "cannot decrypt field '%s' of connection '%s': authentication failed (tampered, moved, or wrong key)",
			       s->key, name);
	if (rc == 0)
		rc = svc_conn_set_field(c, s->key, pt.ptr ? pt.ptr : "",
					pt.len);
	if (rc == 0)
		rc = svc_conn_set_field_class(c, s->key, s->kind, 1);
	buf_clear(&pt);
	return rc;
}

/* Open one sealed secret into its connection. */
static int open_one(void *p, const store_sealed *s)
{
	struct open_ctx *ctx = p;

	return store_open_into(ctx->st, ctx->c, s);
}

int svc_store_conn_get(svc_conn **out, svc_store *st, const char *name_or_id,
		       unsigned flags)
{
	struct open_ctx ctx;
	svc_conn *c = NULL;
	char *id = NULL;
	int rc;

	if ((flags & SVC_GET_UNVERIFIED) && (flags & SVC_GET_SECRETS))
		return error_set(SVC_EINVALID,
				 "secrets are only read from a verified connection");
	/* the key is needed either way: every read checks the row's MAC */
	if ((rc = tx_read_key(st, 1)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, NULL, st, name_or_id)) == 0 &&
	    (rc = st->ops->conn_get(&c, st->be, id)) == 0 &&
	    (flags & SVC_GET_SECRETS)) {
		ctx.st = st;
		ctx.c = c;
		rc = st->ops->secrets_get(st->be, id, open_one, &ctx);
	}
	/* after the secrets, so a ciphertext that does not open is named
	 * as such; on failure c and its opened values are wiped below */
	if (rc == 0 && !(flags & SVC_GET_UNVERIFIED))
		rc = store_conn_verify(st, &c, 1);
	rc = store_tx_end(st, rc);
	free(id);
	if (rc) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* qsort: by name, case-insensitively, as the database orders them. */
static int by_name(const void *a, const void *b)
{
	return strcasecmp(svc_conn_name(*(svc_conn *const *)a),
			  svc_conn_name(*(svc_conn *const *)b));
}

/*
 * Inside the transaction: keep the connections of the current project in
 * list (those shared into it renamed to their name there, and sorted in
 * with the others); free the others.
 */
static int keep_project(svc_store *st, svc_conn **list, size_t *n)
{
	const char *here = st->ops->project_current(st->be);
	svc_share *s = NULL;
	size_t ns = 0, i, j, k = 0;
	int rc = 0, seen;

	for (i = 0; i < *n; i++) {
		seen = !svc_conn_project_id(list[i]) ||
		       strcmp(svc_conn_project_id(list[i]), here) == 0;
		if (!seen && !rc &&
		    (rc = st->ops->share_list(&s, &ns, st->be,
					      svc_conn_id(list[i]))) == 0) {
			for (j = 0; j < ns && !seen; j++)
				if (strcmp(s[j].project_id, here) == 0) {
					seen = 1;
					rc = svc_conn_set_name(list[i], s[j].name);
				}
			svc_shares_free(s, ns);
		}
		if (seen && !rc)
			list[k++] = list[i];
		else
			svc_conn_free(list[i]);
	}
	*n = k;
	if (!rc && k > 1)
		qsort(list, k, sizeof(*list), by_name);
	return rc;
}

int svc_store_conn_list(svc_conn ***out, size_t *count, svc_store *st)
{
	return store_conn_list(out, count, st, 0);
}

int store_conn_list(svc_conn ***out, size_t *count, svc_store *st, int all)
{
	svc_conn **list = NULL;
	size_t n = 0;
	int rc;

	if ((rc = tx_read_key(st, 1)) != 0)
		return rc;
	rc = store_conn_list_verified(&list, &n, st);
	if (rc == 0 && !all)
		rc = keep_project(st, list, &n);
	if ((rc = store_tx_end(st, rc)) != 0) {
		svc_store_conn_list_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

/* qsort: strings, NULL last. */
static int by_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	if (!x || !y)
		return !x - !y;
	return strcmp(x, y);
}

/*
 * Inside the transaction: the connections with ids[0..n) (sorted, NULL
 * last, repeats allowed) into list as conn_get reads them; their number
 * to *got.
 */
static int get_ids(svc_conn **list, size_t *got, svc_store *st,
		   char *const *ids, size_t n)
{
	size_t i;
	int rc = 0;

	*got = 0;
	for (i = 0; i < n && ids[i] && rc == 0; i++)
		if ((i == 0 || strcmp(ids[i - 1], ids[i]) != 0) &&
		    (rc = st->ops->conn_get(&list[*got], st->be, ids[i])) == 0)
			(*got)++;
	return rc;
}

int store_conn_find_list(svc_conn ***out, size_t *count, svc_store *st,
			 const char *const *keys, size_t nkeys)
{
	const char **byname = NULL, **byid = NULL;
	char **ids = NULL;
	svc_conn **list = NULL;
	size_t nn = 0, ni = 0, n = 0, i;
	int rc;

	if (nkeys &&
	    (!(byname = calloc(nkeys, sizeof(*byname))) ||
	     !(byid = calloc(nkeys, sizeof(*byid))) ||
	     !(ids = calloc(nkeys, sizeof(*ids))) ||
	     !(list = calloc(nkeys, sizeof(*list))))) {
		rc = error_oom();
		goto done;
	}
	/* an id is matched only as an id: a name never looks like one */
	for (i = 0; i < nkeys; i++)
		if (svc_is_uuid(keys[i]))
			byid[ni++] = keys[i];
		else
			byname[nn++] = keys[i];
	if ((rc = tx_read_key(st, 1)) != 0)
		goto done;
	if ((!nn || (rc = st->ops->conn_find_many(st->be, ids, byname, nn,
						  STORE_FIND_NAME)) == 0) &&
	    (!ni || (rc = st->ops->conn_find_many(st->be, ids + nn, byid, ni,
						  STORE_FIND_ID)) == 0)) {
		qsort(ids, nkeys, sizeof(*ids), by_str);
		rc = get_ids(list, &n, st, ids, nkeys);
	}
	if (rc == 0)
		rc = store_conn_verify(st, list, n);
	/* an id of another project's connection not shared here goes */
	if (rc == 0)
		rc = keep_project(st, list, &n);
	if ((rc = store_tx_end(st, rc)) == 0) {
		*out = list;
		*count = n;
		list = NULL;
		n = 0;
	}
done:
	svc_store_conn_list_free(list, n);
	for (i = 0; ids && i < nkeys; i++)
		free(ids[i]);
	free(ids);
	free(byname);
	free(byid);
	return rc;
}

void svc_store_conn_list_free(svc_conn **list, size_t count)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < count; i++)
		svc_conn_free(list[i]);
	free(list);
}

/* ---- the audit log ----------------------------------------------------- */

/* Free the strings of one handed-out record. */
static void audit_entry_clear(svc_audit_entry *e)
{
	free((char *)e->at);
	free((char *)e->actor);
	free((char *)e->action);
	free((char *)e->conn_id);
	free((char *)e->conn_name);
	free((char *)e->detail);
}

/* Copy one record from the backend into the list being built (in buf). */
static int audit_collect(void *p, const svc_audit_entry *src)
{
	svc_buf *b = p;
	svc_audit_entry e;
	int rc;

	e.seq = src->seq;
	e.at = strdup(src->at);
	e.actor = strdup(src->actor);
	e.action = strdup(src->action);
	e.conn_id = strdup(src->conn_id);
	e.conn_name = strdup(src->conn_name);
	e.detail = strdup(src->detail);
	if (!e.at || !e.actor || !e.action || !e.conn_id || !e.conn_name ||
	    !e.detail)
		rc = error_oom();
	else
		rc = buf_put(b, &e, sizeof(e));
	if (rc)
		audit_entry_clear(&e);
	return rc;
}

void svc_audit_list_free(svc_audit_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->count; i++)
		audit_entry_clear(&l->entries[i]);
	free(l->entries);
	free(l);
}

int svc_store_audit(svc_audit_list **out, svc_store *st, size_t limit)
{
	svc_audit_filter f;

	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	f.limit = limit;
	return svc_store_audit_query(out, st, &f);
}

/*
 * The time s of the filter's member what in the records' form into out
 * (empty when s is NULL or empty).
 */
static int audit_time(char out[32], const char *s, const char *what)
{
	time_t t;

	out[0] = '\0';
	if (!s || !*s)
		return 0;
	if (clock_parse(&t, s))
		return error_set(SVC_EINVALID,
				 "invalid time '%s' for '%s': give YYYY-MM-DD[THH:MM[:SS]][Z] (UTC)",
				 s, what);
	clock_iso8601(out, t);
	return 0;
}

int svc_store_audit_query(svc_audit_list **out, svc_store *st,
			  const svc_audit_filter *f)
{
	svc_audit_list *l;
	svc_audit_filter g;
	svc_buf b = SVC_BUF_INIT;
	char from[32], until[32];
	size_t i, n;
	int rc;

	if (!f || f->version != SVC_AUDIT_FILTER_VERSION)
		return error_set(SVC_EINVALID, "unknown version of the audit filter");
	if ((rc = audit_time(from, f->from, "from")) ||
	    (rc = audit_time(until, f->until, "until")))
		return rc;
	g = *f;
	g.from = from[0] ? from : NULL;
	g.until = until[0] ? until : NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return error_oom();
	/* the records are laid out in one growing buffer (malloc'd, so
	 * aligned for any type) that becomes the array */
	if ((rc = store_tx_read(st)) == 0)
		rc = store_tx_end(st, st->ops->audit_list(st->be, &g,
							  audit_collect, &b));
	n = b.len / sizeof(svc_audit_entry);
	if (rc) {
		for (i = 0; i < n; i++)
			audit_entry_clear((svc_audit_entry *)b.ptr + i);
		buf_clear(&b);
		free(l);
		return rc;
	}
	l->entries = (svc_audit_entry *)buf_detach(&b, NULL);
	if (!l->entries) {
		free(l);
		return error_oom();
	}
	l->count = n;
	*out = l;
	return 0;
}

int store_audit_list_adopt(svc_audit_list **out, svc_audit_entry *entries,
			   size_t count)
{
	svc_audit_list *l = calloc(1, sizeof(*l));
	size_t i;

	if (!l) {
		for (i = 0; i < count; i++)
			audit_entry_clear(&entries[i]);
		free(entries);
		return error_oom();
	}
	l->entries = entries;
	l->count = count;
	*out = l;
	return 0;
}

size_t svc_audit_list_count(const svc_audit_list *l)
{
	return l ? l->count : 0;
}

const svc_audit_entry *svc_audit_list_at(const svc_audit_list *l, size_t i)
{
	return l && i < l->count ? &l->entries[i] : NULL;
}

/* ---- rekey ------------------------------------------------------------- */

/*
 * The resealing walk: each secret is opened with the old key and sealed
 * with the new one into out as a record "conn_id NUL key NUL len sealed"
 * (len a size_t), written back once the walk is over.
 */
struct reseal_ctx {
	svc_store *st;        /**< the store (its old key) */
	const crypto_key *nk; /**< the new key */
	svc_buf *out;         /**< the records */
	size_t count;         /**< secrets resealed */
	int skip_unopened;    /**< leave a value that does not open as it
				   is (it fails when read), not stop */
};

static int reseal_one(void *p, const store_sealed *s)
{
	struct reseal_ctx *ctx = p;
	svc_buf pt, sealed = SVC_BUF_INIT;
	int rc;

	buf_init(&pt, SVC_BUF_DEFAULT_MAX, 1);
	rc = crypto_open(&pt, &ctx->st->key, s->conn_id, s->key, s->data,
			 s->len);
	if (rc && ctx->skip_unopened) {
		buf_clear(&pt);
		return 0;
	}
	if (rc)
		rc = error_set(rc,
			       "cannot rekey: field '%s' of connection id '%s' does not open with the current key (tampered?); nothing was changed",
			       s->key, s->conn_id);
	if (rc == 0)
		rc = crypto_seal(&sealed, ctx->nk, s->conn_id, s->key,
				 pt.ptr ? pt.ptr : "", pt.len);
	buf_clear(&pt);
	if (rc == 0 &&
	    (rc = buf_put(ctx->out, s->conn_id, strlen(s->conn_id) + 1)) == 0 &&
	    (rc = buf_put(ctx->out, s->key, strlen(s->key) + 1)) == 0 &&
	    (rc = buf_put(ctx->out, &sealed.len, sizeof(sealed.len))) == 0)
		rc = buf_put(ctx->out, sealed.ptr, sealed.len);
	buf_clear(&sealed);
	if (rc == 0)
		ctx->count++;
	return rc;
}

/* Write the resealed records of buf back under key id key_id. */
static int reseal_write(svc_store *st, const svc_buf *buf, const char *key_id)
{
	const char *p = buf->ptr, *end = buf->ptr + buf->len;
	store_sealed s;
	int rc;

	while (p && p < end) {
		s.conn_id = p;
		p += strlen(p) + 1;
		s.key = p;
		p += strlen(p) + 1;
		memcpy(&s.len, p, sizeof(s.len));
		p += sizeof(s.len);
		s.data = (const unsigned char *)p;
		p += s.len;
		s.kind = SVC_FIELD_AUTH; /* not written by secret_put */
		s.key_id = key_id;
		if ((rc = st->ops->secret_put(st->be, &s)) != 0)
			return rc;
	}
	return 0;
}

int svc_store_rekey(svc_store *st, const char *actor)
{
	const char *who = store_actor(actor);
	struct reseal_ctx ctx;
	char now[32], old_id[sizeof(st->key.id)], why[512];
	int rc, wrote_new = 0;
	crypto_key nk;
	svc_buf recs;

	memset(&nk, 0, sizeof(nk));
	buf_init(&recs, REKEY_BUF_MAX, 0);
	if ((rc = store_now_iso(now)) != 0)
		return rc;
	/* under the write lock: finish an interrupted rekey, or remove a
	 * .new left over from one that never committed */
	if ((rc = tx_write_settled(st)) != 0)
		return rc;
	/* a tampered row is refused, not MAC'd anew under the new key */
	if ((rc = store_rows_verify_all(st)) != 0 ||
	    (rc = crypto_key_generate(&nk)) != 0 ||
	    (rc = crypto_key_write(&nk, st->key_new)) != 0)
		goto abort;
	wrote_new = 1;
	ctx.st = st;
	ctx.nk = &nk;
	ctx.out = &recs;
	ctx.count = 0;
	ctx.skip_unopened = 0;
	memcpy(old_id, st->key.id, sizeof(old_id));
	if ((rc = st->ops->secrets_get(st->be, NULL, reseal_one, &ctx)) != 0 ||
	    (rc = reseal_write(st, &recs, nk.id)) != 0 ||
	    (rc = store_rows_remac(st, &nk)) != 0 ||
	    (rc = store_gitcred_reseal(NULL, st, &nk)) != 0 ||
	    (rc = oidc_reseal(NULL, st, &nk)) != 0 ||
	    (rc = st->ops->meta_set(st->be, META_KEY_ID, nk.id)) != 0 ||
	    (rc = store_audit(st, now, who, "rekey", "", "",
			      json_pack("{s:s, s:s, s:I}", "from_key", old_id,
					"to_key", nk.id, "secrets",
					(json_int_t)ctx.count))) != 0)
		goto abort;
	if ((rc = st->ops->commit(st->be)) != 0) {
		/* outcome unknown: leave .new; the next open settles it */
		st->ops->rollback(st->be);
		goto done;
	}
	/* committed: the secrets are sealed with nk; move the key file into
	 * place under the write lock */
	key_install(st, &nk);
	if ((rc = tx_write_settled(st)) == 0)
		rc = store_tx_end(st, 0);
	if (rc) {
		snprintf(why, sizeof(why), "%s", svc_error_last());
		rc = error_set(rc,
			       "the store was rekeyed, but the new key could not be moved into place (%s); it is in '%s' and is installed at the next open",
			       why, st->key_new);
	}
	goto done;
abort:
	/* still holding the lock: the .new is ours, no one else's */
	if (wrote_new)
		unlink(st->key_new);
	st->ops->rollback(st->be);
	store_mcache_end(st, 0);
done:
	crypto_key_wipe(&nk);
	buf_clear(&recs);
	return rc;
}

/* ---- the upgrade to authenticated rows --------------------------------- */

/* Set *found when a secret is sealed in the current format; stops. */
static int found_current(void *p, const store_sealed *s)
{
	if (s->len && s->data[0] == CRYPTO_VERSION) {
		*(int *)p = 1;
		return 1;
	}
	return 0;
}

static int found_current_gitcred(void *p, const store_gitcred_row *r)
{
	if (r->sealed_len && r->sealed[0] == CRYPTO_VERSION) {
		*(int *)p = 1;
		return 1;
	}
	return 0;
}

/*
 * Inside the write transaction: the first MACs of a store's rows.  Only a
 * store sealed before rows were authenticated is adopted as it is: one
 * holding any value sealed in the current format was adopted before, and
 * asking again means someone removed its MACs without the key.  Its
 * secrets are resealed in the current format first (same key), so that
 * from now on it is such a store.
 */
static int adopt_tx(svc_store *st, const char *now)
{
	store_gitcred_pattern all;
	struct reseal_ctx ctx;
	size_t count = 0;
	svc_buf recs;
	int rc, found = 0;

	memset(&all, 0, sizeof(all));
	buf_init(&recs, REKEY_BUF_MAX, 0);
	rc = st->ops->secrets_get(st->be, NULL, found_current, &found);
	if (rc == 0 && !found)
		rc = st->ops->gitcred_list(st->be, &all, found_current_gitcred,
					   &found);
	if (rc == 0 && found)
		rc = error_set(SVC_ECRYPTO,
			       "store '%s' failed its integrity check: its connections' MACs were removed without the key (it holds secrets sealed after they were first made)",
			       st->db_path);
	ctx.st = st;
	ctx.nk = &st->key;
	ctx.out = &recs;
	ctx.count = 0;
	ctx.skip_unopened = 1;
	if (rc == 0 &&
	    (rc = st->ops->secrets_get(st->be, NULL, reseal_one, &ctx)) == 0 &&
	    (rc = reseal_write(st, &recs, st->key.id)) == 0 &&
	    (rc = store_rows_adopt(st, &count)) == 0)
		rc = store_audit(st, now, store_actor(NULL), "authenticate",
				 "", "", json_pack("{s:I, s:I}", "connections",
						   (json_int_t)count,
						   "secrets_resealed",
						   (json_int_t)ctx.count));
	buf_clear(&recs);
	return rc;
}

/*
 * A store upgraded from before schema 5 has rows without MACs: MAC them
 * as they are, once, under the write lock (docs/security.md says what
 * this trusts).
 */
static int rows_adopt(svc_store *st)
{
	char now[32];
	int rc;

	if ((rc = store_rows_unsealed(st)) <= 0)
		return rc;
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	/* someone else may have done it meanwhile */
	if ((rc = store_rows_unsealed(st)) == 1)
		rc = adopt_tx(st, now);
	return store_tx_end(st, rc < 0 ? rc : 0);
}
