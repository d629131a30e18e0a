/*
 * fuzz_yaml.c - libFuzzer target for the YAML reader and the import parser.
 *
 * Every input is read as a YAML tree with the default limits (alias
 * expansion, depth, size), each node's path is computed, and the same bytes
 * are given to the import parser, which validates entries against the
 * catalog, and planned as a pipeline (template expansion, expressions, the
 * model walk) from an in-memory file.  None may crash, leak or run away,
 * whatever the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>

#include <svcconn/svcconn.h>

#include "exchange/yaml_doc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svc_catalog *cat = NULL;
	svc_diags *d = NULL;
	svc_conn **conns = NULL;
	ydoc *doc = NULL;
	size_t n = 0, i;

	if (svc_diags_new(&d))
		return 0;
	if (ydoc_parse(&doc, "fuzz.yml", (const char *)data, size, NULL, d) == 0) {
		for (i = 0; i < doc->nall; i++) {
			svc_buf path = SVC_BUF_INIT;

			ynode_path(doc->all[i], &path);
			buf_clear(&path);
		}
		ydoc_free(doc);
	}
	if (svc_catalog_new(&cat) == 0 &&
	    svc_import_yaml(&conns, &n, "fuzz.yml", (const char *)data, size,
			    cat, d) == 0) {
		for (i = 0; i < n; i++)
			svc_conn_free(conns[i]);
		free(conns);
	}
	{
		/* the same bytes as a pipeline file */
		int fd = memfd_create("fuzz-pipeline", MFD_CLOEXEC);
		char path[64];
		svc_plan_options o;
		svc_plan *plan = NULL;

		if (cat && fd >= 0 && write(fd, data, size) == (ssize_t)size) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			memset(&o, 0, sizeof(o));
			o.version = SVC_PLAN_OPTIONS_VERSION;
			o.file = path;
			if (svc_plan_build(&plan, &o, NULL, cat) == 0) {
				free(svc_plan_json(plan));
				svc_plan_free(plan);
			}
		}
		if (fd >= 0)
			close(fd);
	}
	svc_catalog_free(cat);
	svc_diags_free(d);
	return 0;
}
