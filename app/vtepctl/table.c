/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table printer: columns as wide as their widest cell, two spaces
 * apart, no trailing blanks, as "bridge fdb show" and "ovs-appctl
 * fdb/show" print them.
 */

#include <stdlib.h>
#include <string.h>

#include "vtepctl.h"

struct vtepctl_table {
	unsigned ncols;
	size_t nrows; /* including the header, if any */
	size_t cap;
	char **cells; /* nrows * ncols */
};

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fputs("vtepctl: out of memory\n", stderr);
		exit(VTEPCTL_ERR_USAGE);
	}
	return p;
}

struct vtepctl_table *
vtepctl_table_new(unsigned ncols, const char *const *headers)
{
	struct vtepctl_table *t = xrealloc(NULL, sizeof(*t));

	*t = (struct vtepctl_table){ .ncols = ncols };
	if (headers != NULL)
		vtepctl_table_row(t, headers);
	return t;
}

void
vtepctl_table_row(struct vtepctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	for (unsigned i = 0; i < t->ncols; i++) {
		const char *s = cells[i] && cells[i][0] ? cells[i] : "-";
		t->cells[t->nrows * t->ncols + i] = vtepctl_fmt("%s", s);
	}
	t->nrows++;
}

void
vtepctl_table_print(struct vtepctl_table *t, FILE *f)
{
	size_t *w = xrealloc(NULL, t->ncols * sizeof(*w));

	for (unsigned i = 0; i < t->ncols; i++) {
		w[i] = 0;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = strlen(t->cells[r * t->ncols + i]);
			if (n > w[i])
				w[i] = n;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (unsigned i = 0; i < t->ncols; i++) {
			char *s = t->cells[r * t->ncols + i];
			if (i + 1 < t->ncols)
				fprintf(f, "%-*s  ", (int)w[i], s);
			else
				fprintf(f, "%s\n", s);
			free(s);
		}
	}
	free(w);
	free(t->cells);
	free(t);
}

char *
vtepctl_cell(const json_t *v)
{
	char *s, *item, *joined;
	size_t i;
	json_t *x;

	if (v == NULL)
		return vtepctl_fmt("%s", "");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return vtepctl_fmt("%s", json_string_value(v));
	case JSON_INTEGER:
		return vtepctl_fmt("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return vtepctl_fmt("%g", json_real_value(v));
	case JSON_TRUE:
		return vtepctl_fmt("on");
	case JSON_FALSE:
		return vtepctl_fmt("off");
	case JSON_ARRAY:
		s = vtepctl_fmt("%s", "");
		json_array_foreach(v, i, x) {
			item = vtepctl_cell(x);
			joined = vtepctl_fmt("%s%s%s", s, i ? "," : "", item);
			free(item);
			free(s);
			s = joined;
		}
		return s;
	default:
		/* NULL, null, and objects, which a table does not flatten. */
		return vtepctl_fmt("%s", "");
	}
}

static const json_t *
walk(const json_t *obj, const char *key)
{
	const char *dot;

	while ((dot = strchr(key, '.')) != NULL && obj != NULL) {
		char part[64];
		snprintf(part, sizeof(part), "%.*s", (int)(dot - key), key);
		obj = json_object_get(obj, part);
		key = dot + 1;
	}
	return obj ? json_object_get(obj, key) : NULL;
}

static char *
col_cell(const json_t *obj, const struct vtepctl_col *col)
{
	const json_t *v = walk(obj, col->key);

	if ((v == NULL || json_is_null(v)) && col->dflt != NULL)
		return vtepctl_fmt("%s", col->dflt);
	return col->fmt ? col->fmt(v) : vtepctl_cell(v);
}

static char *
col_head(const struct vtepctl_col *col)
{
	const char *k = strrchr(col->key, '.');
	char *h;

	if (col->head != NULL)
		return vtepctl_fmt("%s", col->head);
	h = vtepctl_fmt("%s", k ? k + 1 : col->key);
	for (char *p = h; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p += 'A' - 'a';
	return h;
}

static void
row_free(char **cells, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(cells[i]);
}

void
vtepctl_print_list(const json_t *list, const struct vtepctl_col *cols, unsigned n)
{
	char **cells = xrealloc(NULL, n * sizeof(char *));
	struct vtepctl_table *t;
	const json_t *obj;
	size_t i;

	for (unsigned k = 0; k < n; k++)
		cells[k] = col_head(&cols[k]);
	t = vtepctl_table_new(n, (const char *const *)cells);
	row_free(cells, n);
	json_array_foreach(list, i, obj) {
		for (unsigned k = 0; k < n; k++)
			cells[k] = col_cell(obj, &cols[k]);
		vtepctl_table_row(t, (const char *const *)cells);
		row_free(cells, n);
	}
	free(cells);
	vtepctl_table_print(t, stdout);
}

void
vtepctl_print_object(const json_t *obj, const struct vtepctl_col *cols, unsigned n)
{
	struct vtepctl_table *t = vtepctl_table_new(2, NULL);

	for (unsigned k = 0; k < n; k++) {
		char *cells[2] = { vtepctl_fmt("%s", cols[k].key), col_cell(obj, &cols[k]) };
		vtepctl_table_row(t, (const char *const *)cells);
		row_free(cells, 2);
	}
	vtepctl_table_print(t, stdout);
}
