/*
 * gitcred_int.h - what the store side of git credentials (store_gitcred.c)
 * shares with the protocol side (gitcred.c): the matching rule and the
 * normal form a credential is stored in.  Nothing here is exported.
 */
#ifndef SVC_GITCRED_INT_H
#define SVC_GITCRED_INT_H

#include <stddef.h>

#include "svcconn/gitcred.h"

/**
 * git's credential_match(): every attribute present in want (protocol,
 * host, path, username, and with match_password the password) equals the
 * one in have.  Passwords compare in constant time.  1 on a match.
 */
int gitcred_match(const svc_gitcred *want, const svc_gitcred *have,
		  int match_password);

/**
 * The bytes of the path as git's store helper would read it back from its
 * file: without leading and trailing slashes.  *len 0 means "no path".
 */
const char *gitcred_path_trimmed(const char *path, size_t *len);

/** 0 when value (len bytes) may be a protocol value, else SVC_EINVALID. */
int gitcred_check_value(const char *value, size_t len, svc_gitcred_attr a);

/** The protocol name of attribute a ("protocol", ...). */
const char *gitcred_attr_name(svc_gitcred_attr a);

#endif
