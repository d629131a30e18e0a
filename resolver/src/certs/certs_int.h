/*
 * certs_int.h - what the certificate module shares with the store.
 */
#ifndef SVC_CERTS_INT_H
#define SVC_CERTS_INT_H

/** Whole days in seconds, rounded towards the past (-1 s is day -1). */
long long certs_days(long long seconds);

#endif
