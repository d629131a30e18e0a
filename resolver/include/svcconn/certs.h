/*
 * certs.h - the certificates and private keys a connection holds.
 *
 * A connection's certificate material lives in the fields the catalog
 * validates as PEM (certificates, PKCS#1/PKCS#8 keys, encrypted keys,
 * certificate and key together), as base64 (a PKCS#12 .pfx, a DER
 * certificate, or base64 of PEM text) and as a kubeconfig (the base64
 * client-certificate-data, client-key-data and certificate-authority-data
 * of the context in use).  svc_certs_check() parses them with OpenSSL and
 * reports, per certificate: its subject, notAfter, and whether it has
 * expired, expires within a window (30 days by default), does not match
 * its private key, or cannot be parsed; per private key: whether it could
 * be read (an encrypted key is opened with the connection's passphrase or
 * password field).  Key material is wiped after use.
 *
 * The store records the earliest notAfter of each connection (and its
 * field) as non-secret metadata whenever a connection is created, edited
 * or imported, so that lists show expiry without decrypting anything;
 * svc_ops_cert_rescan() fills it for connections stored before.
 */
#ifndef SVCCONN_CERTS_H
#define SVCCONN_CERTS_H

#include <stddef.h>
#include "catalog.h"
#include "conn.h"
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* Problems of one item (svc_cert_item.problems), or-ed. */
#define SVC_CERT_EXPIRED        0x01u /**< notAfter is in the past */
#define SVC_CERT_EXPIRING       0x02u /**< notAfter within the window */
#define SVC_CERT_KEY_MISMATCH   0x04u /**< not the certificate of the key */
#define SVC_CERT_UNPARSEABLE    0x08u /**< a block that does not parse */
#define SVC_CERT_BAD_PASSPHRASE 0x10u /**< the passphrase does not open it */
#define SVC_CERT_NOT_CHECKED    0x20u /**< encrypted key without a
					   passphrase, OpenSSH key: not read */

/** The problems that make a connection unfit to store. */
#define SVC_CERT_ERRORS (SVC_CERT_EXPIRED | SVC_CERT_KEY_MISMATCH | \
			 SVC_CERT_UNPARSEABLE | SVC_CERT_BAD_PASSPHRASE)

/** One certificate or private key found in a connection. */
typedef struct svc_cert_item {
	const char *field;    /**< the connection's field key */
	const char *part;     /**< where inside the field ("" for the field
				   itself, "users[ci].client-key-data",
				   "pkcs12", "block 2") */
	int is_key;           /**< 1 for a private key, 0 for a certificate */
	const char *subject;  /**< RFC 2253 subject, or NULL (keys) */
	long long not_after;  /**< seconds since the epoch; 0 for keys and
				   unparseable certificates */
	long long days_left;  /**< whole days from now to not_after
				   (negative once expired) */
	int is_ca;            /**< 1 for a CA certificate */
	unsigned problems;    /**< SVC_CERT_* flags */
	const char *message;  /**< the problems in words, or NULL */
} svc_cert_item;

typedef struct svc_cert_report svc_cert_report;

#define SVC_CERTS_OPTIONS_VERSION 1

/** How to check; NULL options take the defaults. */
typedef struct svc_certs_options {
	unsigned version;    /**< SVC_CERTS_OPTIONS_VERSION */
	long long within;    /**< "expiring" window in seconds; 0: 30 days */
} svc_certs_options;

/**
 * Find and check the certificates and keys of c (validated against cat, so
 * that its type, scheme and field keys are the catalog's).  "Now" is the
 * clock's (SVCCONN_NOW in tests).  Problems go into the report; the return
 * is an error only when the check itself could not run (out of memory).
 * Secret fields that are set but not loaded are skipped and make the
 * report incomplete.
 */
int svc_certs_check(svc_cert_report **out, const svc_conn *c,
		    const svc_catalog *cat, const svc_certs_options *opts);
/**
 * As svc_certs_check, taking the values of c's secret fields that are set
 * but not loaded from the store (c comes from the store, as `edit` loads
 * it).  Needs the store's key.
 */
int svc_certs_check_stored(svc_cert_report **out, svc_store *st,
			   const svc_conn *c, const svc_catalog *cat,
			   const svc_certs_options *opts);
void svc_cert_report_free(svc_cert_report *r);

size_t svc_cert_report_count(const svc_cert_report *r);
const svc_cert_item *svc_cert_report_at(const svc_cert_report *r, size_t i);
/** Items with a problem in mask (e.g. SVC_CERT_ERRORS). */
size_t svc_cert_report_with(const svc_cert_report *r, unsigned mask);
/** The certificate with the earliest notAfter, or NULL when none. */
const svc_cert_item *svc_cert_report_earliest(const svc_cert_report *r);
/** 1 when a field that may hold certificates was set but not loaded. */
int svc_cert_report_incomplete(const svc_cert_report *r);

/** A connection's recorded earliest certificate expiry. */
typedef struct svc_cert_expiry {
	const char *conn_id;  /**< connection id */
	const char *name;     /**< connection name */
	const char *type;     /**< connection type */
	int known;            /**< 0: not recorded yet (stored before the
				   store kept expiry; see rescan) */
	const char *field;    /**< field of the earliest certificate, or NULL
				   when the connection holds none */
	long long not_after;  /**< its notAfter (seconds), 0 without one */
	const char *checked_at; /**< when it was recorded, or NULL */
	long long seconds_left; /**< not_after minus now (the clock's) */
	long long days_left;  /**< whole days left, negative once expired */
	int expired;          /**< 1 when not_after is not after now */
} svc_cert_expiry;

/**
 * Every connection's expiry, ordered by name, with the time left counted
 * from the clock's now (SVCCONN_NOW in tests).
 */
int svc_store_cert_expiry_list(svc_cert_expiry **out, size_t *count,
			       svc_store *st);
void svc_cert_expiry_list_free(svc_cert_expiry *list, size_t count);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
