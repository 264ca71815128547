/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepctl stats: every counter of GET /v1/stats (or of one VNI) as a line
 * "ports.uplink.rx_packets 12", and with --watch a view refreshed every S
 * seconds with the rate of each counter since the previous refresh, as
 * top refreshes its screen.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vtepctl.h"

/* The counters of v under prefix into out (name -> integer). An array's
 * elements are named by their "name" or "vni" when they have one (ports,
 * vnis), else by their index (workers). */
static void
flatten(json_t *out, const char *prefix, const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_integer(v)) {
		json_object_set(out, prefix, (json_t *)v);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			char *name;
			if (strcmp(key, "name") == 0 || strcmp(key, "vni") == 0 ||
			    (prefix[0] == '\0' && strcmp(key, "now_s") == 0))
				continue;
			name = prefix[0] ? vtepctl_fmt("%s.%s", prefix, key) : vtepctl_fmt("%s", key);
			flatten(out, name, x);
			free(name);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			const json_t *id = json_object_get(x, "name");
			char *name, *cell;
			if (id == NULL)
				id = json_object_get(x, "vni");
			cell = id ? vtepctl_cell(id) : vtepctl_fmt("%zu", i);
			name = vtepctl_fmt("%s.%s", prefix, cell);
			flatten(out, name, x);
			free(name);
			free(cell);
		}
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
		json_int_t now = json_integer_value(v);
		const json_t *was = prev ? json_object_get(prev, key) : NULL;
		char *value = vtepctl_fmt("%lld", (long long)now), *rate;
		/* A counter that went back (its VNI made again) has no rate. */
		if (was != NULL && dt > 0 && now >= json_integer_value(was))
			rate = vtepctl_fmt("%.1f", (now - json_integer_value(was)) / dt);
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
	double t0, t_prev = 0, t_cur;
	struct vtepctl_answer a;
	int rc = VTEPCTL_OK;

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
				flatten(cur, "vnis", one);
				json_decref(one);
			} else {
				flatten(cur, "", doc);
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
		/* Refresh on a fixed grid, so that slow answers do not drift it. */
		double next = t0 + n * c->watch_s;
		struct timespec ts = { (time_t)next, (long)((next - floor(next)) * 1e9) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
			;
	}
	json_decref(prev);
	free(path);
	free(vni);
	return rc;
}
