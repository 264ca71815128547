/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepctl stats: every number of GET /v1/stats (or of one VNI) as a line
 * "ports.uplink.rx_packets 12", and with --watch a view refreshed every S
 * seconds with the rate of each counter (not of the gauges) since the
 * previous refresh, as top refreshes its screen.
 */

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vtepctl.h"

/*
 * The gauges of GET /v1/stats: levels, not counts, so they have no rate.
 * From docs/openapi.yaml, schema Stats (busy_ratio of WorkerStats, the
 * neighbors map, Fill's in_use, used and size, the fdb_* of VniStats, fdb's
 * entries, learned and static), the same as docs/OPERATING.md's gauges.
 * Matched with fnmatch() against the name with "#" for each element of an
 * array (workers.#.busy_ratio); everything else is a counter.
 */
static const char *const gauges[] = {
	"workers.#.busy_ratio",
	"neighbors.*",
	"pools.#.in_use", "pools.#.size",
	"rings.#.used", "rings.#.size",
	"vnis.#.fdb_entries", "vnis.#.fdb_learned",
	"fdb.entries", "fdb.learned", "fdb.static",
};

static bool
is_gauge(const char *shape)
{
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (fnmatch(gauges[i], shape, 0) == 0)
			return true;
	return false;
}

/* A member name under a prefix. */
static char *
join(const char *prefix, const char *key)
{
	return prefix[0] ? vtepctl_fmt("%s.%s", prefix, key) : vtepctl_fmt("%s", key);
}

/* The numbers of v under prefix into out: name -> [value, gauge?]. An
 * array's elements are named by their "name" or "vni" when they have one
 * (ports, vnis), else by their index (workers); shape is the name with
 * "#" for each of them, which the gauges are matched against. */
static void
flatten(json_t *out, const char *prefix, const char *shape, const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_number(v)) {
		json_object_set_new(out, prefix, json_pack("[O,b]", (json_t *)v, is_gauge(shape)));
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			char *name, *sub;
			if (strcmp(key, "name") == 0 || strcmp(key, "vni") == 0 ||
			    (prefix[0] == '\0' && strcmp(key, "now_s") == 0))
				continue;
			name = join(prefix, key);
			sub = join(shape, key);
			flatten(out, name, sub, x);
			free(name);
			free(sub);
		}
	} else if (json_is_array(v)) {
		char *sub = join(shape, "#");

		json_array_foreach(v, i, x) {
			const json_t *id = json_object_get(x, "name");
			char *name, *cell;
			if (id == NULL)
				id = json_object_get(x, "vni");
			cell = id ? vtepctl_cell(id) : vtepctl_fmt("%zu", i);
			name = join(prefix, cell);
			flatten(out, name, sub, x);
			free(name);
			free(cell);
		}
		free(sub);
	}
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
print_block(const struct vtepctl *c, const json_t *cur, const json_t *prev, double dt,
	    long n)
{
	static const char *const heads[] = { "COUNTER", "VALUE", "PER_S" };
	struct vtepctl_table *t;
	const char *key;
	json_t *v;

	if (c->opts & OPT_WATCH) {
		printf("every %g s", c->watch_s);
		if (c->count > 0)
			printf(", %ld of %ld", n, c->count);
		printf("\n");
	}
	t = vtepctl_table_new((c->opts & OPT_WATCH) ? 3 : 2, heads);
	json_object_foreach((json_t *)cur, key, v) {
		const json_t *now = json_array_get(v, 0);
		const json_t *was = prev ? json_array_get(json_object_get(prev, key), 0) : NULL;
		char *value, *rate;
		double diff;

		/* Ratios (busy_ratio) are reals in [0, 1]: 3 decimals show a
		 * tenth of a percent. */
		if (json_is_integer(now))
			value = vtepctl_fmt("%lld", (long long)json_integer_value(now));
		else
			value = vtepctl_fmt("%.3f", json_number_value(now));
		if (json_is_integer(now) && json_is_integer(was))
			diff = (double)(json_integer_value(now) - json_integer_value(was));
		else
			diff = json_number_value(now) - json_number_value(was);
		/* A gauge has no rate; nor has a counter that went back (its
		 * VNI made again). */
		if (was != NULL && dt > 0 && diff >= 0 && !json_is_true(json_array_get(v, 1)))
			rate = vtepctl_fmt("%.1f", diff / dt);
		else
			rate = vtepctl_fmt("%s", "");
		vtepctl_table_row(t, (const char *const[]){ key, value, rate });
		free(value);
		free(rate);
	}
	vtepctl_table_print(t, stdout);
}

int
cmd_stats(struct vtepctl *c, int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	json_t *prev = NULL, *cur, *doc;
	char *vni = NULL, *path;
	double t0, t_prev = 0, t_cur, next;
	struct vtepctl_answer a;
	int rc = VTEPCTL_OK, err;
	struct timespec ts;
	long slot = 0;      /* of the grid t0 + slot * S */

	(void)argc;
	(void)argv;
	if ((c->opts & OPT_COUNT) && !(c->opts & OPT_WATCH))
		return vtepctl_usage(c, "--count needs --watch");
	if (c->vni != NULL) {
		vni = vtepctl_escape(c->vni);
		path = vtepctl_fmt("/v1/vnis/%s/stats", vni);
	} else {
		path = vtepctl_fmt("/v1/stats");
	}
	t0 = now_mono();
	for (long n = 1;; n++) {
		rc = vtepctl_api_json(c, "GET", path, NULL, &a, &doc);
		/* The rates use our clock: now_s counts whole seconds only. */
		t_cur = now_mono();
		if (rc != VTEPCTL_OK)
			break;
		if (tty && (c->opts & OPT_WATCH))
			fputs("\033[H\033[2J", stdout);
		else if (n > 1 && !c->json)
			putchar('\n');
		if (c->json) {
			vtepctl_print_raw(&a);
		} else {
			cur = json_object();
			if (c->vni != NULL) {
				/* Named as in GET /v1/stats: vnis.100.encap_packets. */
				json_t *one = json_pack("[O]", doc);
				flatten(cur, "vnis", "vnis", one);
				json_decref(one);
			} else {
				flatten(cur, "", "", doc);
			}
			print_block(c, cur, prev, t_cur - t_prev, n);
			json_decref(prev);
			prev = cur;
		}
		json_decref(doc);
		vtepctl_answer_free(&a);
		fflush(stdout);
		t_prev = t_cur;
		if (!(c->opts & OPT_WATCH) || (c->count > 0 && n >= c->count))
			break;
		/* Refresh on a fixed grid, so that slow answers do not drift it;
		 * the slots an answer slower than S missed are skipped, not
		 * made up back to back (rates over no time). */
		slot++;
		if (t0 + slot * c->watch_s <= t_cur)
			slot = (long)floor((t_cur - t0) / c->watch_s) + 1;
		next = t0 + slot * c->watch_s;
		ts = (struct timespec){ (time_t)next, (long)((next - floor(next)) * 1e9) };
		if (ts.tv_nsec > 999999999) /* rounded up: EINVAL */
			ts.tv_nsec = 999999999;
		while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			;
		if (err != 0) {
			fprintf(stderr, "vtepctl: clock_nanosleep: %s\n", strerror(err));
			rc = VTEPCTL_ERR_USAGE;
			break;
		}
	}
	json_decref(prev);
	free(path);
	free(vni);
	return rc;
}
