/*
 * verifyutil.h - what the verifier tests share: checking an Azure client
 * assertion the way the token endpoint does, and building connections.
 */
#ifndef SVC_TEST_VERIFYUTIL_H
#define SVC_TEST_VERIFYUTIL_H

#include <openssl/evp.h>
#include <svcconn/conn.h>
#include "util/buf.h"

/** Decode base64url text p (n chars, unpadded) into out (asserts). */
void vu_unb64url(svc_buf *out, const char *p, size_t n);
/**
 * Assert that jwt is an RS256 JWT signed by pub, whose x5t is the SHA-1
 * thumbprint thumb_hex (upper-case hex) and whose payload names client
 * and aud.
 */
void vu_check_jwt(const char *jwt, EVP_PKEY *pub, const char *thumb_hex,
		  const char *client, const char *aud);
/** A new connection of type/scheme with fields "k=v" (NULL-ended). */
svc_conn *vu_conn(const char *type, const char *scheme, const char *url,
		  const char *const *fields);

#endif
