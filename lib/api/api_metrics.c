/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics: every counter of ctl_stats_get() and the gauges beside it
 * in the Prometheus text exposition format 0.0.4. Names and help texts
 * come from the counters' .def files, so a counter declared there is
 * scraped without a line here.
 *
 * The control thread only copies the counters; the text is written on the
 * server's thread, so a scrape of thousands of VNIs costs the writer no
 * more than GET /v1/stats does.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"
#include "ctl.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The FDB entries of a VNI by type. */
static const char *const entry_types[] = { "static", "learned" };

/* Families with one sample per worker, from struct ctl_worker_stats. */
static const struct {
	const char *name, *help;
	bool counter;
	size_t off;
} worker_fams[] = {
	{ "rx_packets", "frames a worker received, all its queues", true,
	  offsetof(struct ctl_worker_stats, rx_packets) },
	{ "drops", "frames a worker dropped, every reason", true,
	  offsetof(struct ctl_worker_stats, drops) },
	{ "cycles_polled", "TSC cycles a worker spent in its polling loop", true,
	  offsetof(struct ctl_worker_stats, cycles_polled) },
	{ "cycles_busy", "TSC cycles of loop turns that received or sent frames", true,
	  offsetof(struct ctl_worker_stats, cycles_busy) },
};

/* HELP text: backslash and newline escaped. Label values: the quote too. */
static void
escape(FILE *f, const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && label)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/*
 * "# HELP" and "# TYPE" of the family vtep_<prefix><name>[_total]: a name
 * of the .def files ("learn.posted") becomes learn_posted. @p out gets the
 * family's name for its samples.
 */
static void
family(FILE *f, const char *prefix, const char *name, bool counter, const char *help,
       char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "vtep_%s", prefix);

	for (; *name && n + 1 < size; name++, n++)
		out[n] = (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
			 (*name >= '0' && *name <= '9') ? *name : '_';
	out[n < size ? n : size - 1] = '\0';
	if (counter)
		strncat(out, "_total", size - strlen(out) - 1);
	fprintf(f, "# HELP %s ", out);
	escape(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", out, counter ? "counter" : "gauge");
}

static void
sample(FILE *f, const char *fam, const char *label, const char *value, uint64_t v)
{
	fputs(fam, f);
	if (label != NULL) {
		fprintf(f, "{%s=\"", label);
		escape(f, value, true);
		fputs("\"}", f);
	}
	fprintf(f, " %" PRIu64 "\n", v);
}

static void
sample_u(FILE *f, const char *fam, const char *label, unsigned id, uint64_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	sample(f, fam, label, buf, v);
}

static void
ports_write(FILE *f, const struct ctl_stats *s)
{
	char fam[96];
	unsigned i, k;

	for (k = 0; k < CTL_PORT_CTR_MAX; k++) {
		family(f, "port_", ctl_port_ctr_name(k), true, ctl_port_ctr_help(k), fam,
		       sizeof(fam));
		for (i = 0; i < s->n_ports; i++)
			sample(f, fam, "port", s->ports[i].name, s->ports[i].c[k]);
	}
	family(f, "port_", "rx_missed", true, "frames the NIC dropped for want of RX "
	       "descriptors (the PMD's imissed)", fam, sizeof(fam));
	for (i = 0; i < s->n_ports; i++)
		sample(f, fam, "port", s->ports[i].name, s->ports[i].rx_missed);
	family(f, "port_", "rx_nombuf", true, "frames the PMD dropped for want of mbufs",
	       fam, sizeof(fam));
	for (i = 0; i < s->n_ports; i++)
		sample(f, fam, "port", s->ports[i].name, s->ports[i].rx_nombuf);
}

static void
vnis_write(FILE *f, const struct ctl_stats *s)
{
	char fam[96];
	unsigned i, k, t;

	family(f, "", "vnis", false, "VNIs configured", fam, sizeof(fam));
	sample(f, fam, NULL, NULL, s->n_vnis);
	for (k = 0; k < CTL_VNI_CTR_MAX; k++) {
		family(f, "vni_", ctl_vni_ctr_name(k), true, ctl_vni_ctr_help(k), fam,
		       sizeof(fam));
		for (i = 0; i < s->n_vnis; i++)
			sample_u(f, fam, "vni", s->vnis[i].vni, s->vnis[i].c[k]);
	}
	family(f, "vni_", "fdb_entries", false, "FDB entries of a VNI, static or learned",
	       fam, sizeof(fam));
	for (i = 0; i < s->n_vnis; i++) {
		uint32_t learned = s->vnis[i].fdb_learned;

		for (t = 0; t < RTE_DIM(entry_types); t++)
			fprintf(f, "%s{vni=\"%" PRIu32 "\",type=\"%s\"} %" PRIu32 "\n", fam,
				s->vnis[i].vni, entry_types[t],
				t == 0 ? s->vnis[i].fdb_entries - learned : learned);
	}
}

static void
workers_write(FILE *f, const struct ctl_stats *s)
{
	char fam[96];
	unsigned w, k;

	for (k = 0; k < RTE_DIM(worker_fams); k++) {
		family(f, "worker_", worker_fams[k].name, worker_fams[k].counter,
		       worker_fams[k].help, fam, sizeof(fam));
		for (w = 0; w < s->n_workers; w++) {
			uint64_t v;

			memcpy(&v, (const char *)&s->workers[w] + worker_fams[k].off, sizeof(v));
			sample_u(f, fam, "worker", w, v);
		}
	}
	family(f, "worker_", "busy_ratio", false, "cycles on work over cycles polled in "
	       "the last second, the PMD load", fam, sizeof(fam));
	for (w = 0; w < s->n_workers; w++)
		fprintf(f, "%s{worker=\"%u\"} %.4f\n", fam, w, s->workers[w].busy_ratio);
	for (k = 0; k < CTL_WORKER_CTR_MAX; k++) {
		family(f, "", ctl_worker_ctr_name(k), true, ctl_worker_ctr_help(k), fam,
		       sizeof(fam));
		sample(f, fam, NULL, NULL, s->worker[k]);
	}
}

static void
tables_write(FILE *f, const struct ctl_stats *s)
{
	char fam[96];
	unsigned i, k;

	family(f, "", "drops", true, "frames dropped by the data plane, by reason "
	       "(docs/OPERATING.md lists the reasons)", fam, sizeof(fam));
	for (k = VTEP_DROP_NONE + 1; k < VTEP_DROP_MAX; k++)
		sample(f, fam, "reason", vtep_drop_name(k), s->drops[k]);
	for (k = 0; k < CTL_CTR_MAX; k++) {
		family(f, "", ctl_ctr_name(k), true, ctl_ctr_help(k), fam, sizeof(fam));
		sample(f, fam, NULL, NULL, s->ctl[k]);
	}
	for (k = 0; k < FDB_STAT_MAX; k++) {
		family(f, "fdb_", fdb_stat_name(k), fdb_stat_is_counter(k), fdb_stat_help(k), fam,
		       sizeof(fam));
		sample(f, fam, NULL, NULL, fdb_stat_value(&s->fdb, k));
	}
	family(f, "", "neighbors", false, "the underlay's ARP cache, by state", fam,
	       sizeof(fam));
	for (k = 0; k < NEIGH_STATE_MAX; k++)
		sample(f, fam, "state", neigh_state_name(k), s->neighbors[k]);
	family(f, "", "mempool_in_use", false, "mbufs of a pool in use", fam, sizeof(fam));
	for (i = 0; i < s->n_pools; i++)
		sample(f, fam, "pool", s->pools[i].name, s->pools[i].used);
	family(f, "", "mempool_size", false, "mbufs of a pool", fam, sizeof(fam));
	for (i = 0; i < s->n_pools; i++)
		sample(f, fam, "pool", s->pools[i].name, s->pools[i].size);
	family(f, "", "ring_used", false, "entries waiting in a ring", fam, sizeof(fam));
	for (i = 0; i < s->n_rings; i++)
		sample(f, fam, "ring", s->rings[i].name, s->rings[i].used);
	family(f, "", "ring_size", false, "entries a ring holds", fam, sizeof(fam));
	for (i = 0; i < s->n_rings; i++)
		sample(f, fam, "ring", s->rings[i].name, s->rings[i].size);
}

int
api_metrics_write(FILE *f, const struct ctl_stats *s, const char *version, uint64_t uptime_s)
{
	char fam[96];

	family(f, "", "build_info", false, "always 1; the version of vtepd as a label", fam,
	       sizeof(fam));
	fprintf(f, "%s{version=\"", fam);
	escape(f, version, true);
	fputs("\"} 1\n", f);
	family(f, "", "uptime_seconds", false, "seconds since vtepd started", fam, sizeof(fam));
	sample(f, fam, NULL, NULL, uptime_s);
	ports_write(f, s);
	vnis_write(f, s);
	workers_write(f, s);
	tables_write(f, s);
	return ferror(f) ? -EIO : 0;
}

static int
stats_copy_fn(struct ctl *c, void *arg)
{
	return ctl_stats_get(c, arg);
}

void api_h_metrics_get(struct api_req *r);
void
api_h_metrics_get(struct api_req *r)
{
	struct ctl_stats *s = malloc(sizeof(*s));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (s == NULL) {
		api_error(r, 500, NULL, "out of memory");
		return;
	}
	rc = ctl_call(r->ctl, stats_copy_fn, s);
	if (rc < 0) {
		if (rc == -ESHUTDOWN)
			api_error(r, 503, NULL, "vtepd is stopping");
		else
			api_error(r, api_errno_status(rc), NULL, "%s", strerror(-rc));
		free(s);
		return;
	}
	f = open_memstream(&buf, &len);
	rc = f != NULL ? api_metrics_write(f, s, r->api->version,
					   (api_mono_ms() - r->api->start_ms) / 1000) : -ENOMEM;
	if (f != NULL && fclose(f) != 0)
		rc = -ENOMEM;
	ctl_stats_release(s);
	free(s);
	if (rc < 0) {
		free(buf);
		api_error(r, 500, NULL, "out of memory");
		return;
	}
	api_reply(r, 200, NULL);
	r->text = buf;
	r->text_len = len;
	r->text_type = METRICS_TYPE;
}
