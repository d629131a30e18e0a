/*
 * version.c - the library's version string.
 */
#include "svcconn/svcconn.h"

const char *svc_version(void)
{
	return SVCCONN_VERSION;
}
