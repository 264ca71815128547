/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepctl: the operator's CLI over vtepd's REST API. Every command is a
 * line of the command table (vtepctl.c) and ends in one or more calls of
 * vtepctl_api(); people get tables (vtepctl_table), scripts get the API's
 * JSON unchanged with --json.
 */

#ifndef VTEPCTL_H
#define VTEPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes. */
#define VTEPCTL_OK 0
#define VTEPCTL_ERR_API 1     /* the API answered with a non-2xx status */
#define VTEPCTL_ERR_USAGE 2   /* bad arguments, unreadable files */
#define VTEPCTL_ERR_CONNECT 3 /* no answer: refused, timeout, DNS */

/* The options a command may take beyond the global ones. */
enum {
	OPT_VNI = 1 << 0,     /* --vni N */
	OPT_LEARNED = 1 << 1, /* --learned */
	OPT_STATIC = 1 << 2,  /* --static */
	OPT_WATCH = 1 << 3,   /* --watch [S] */
	OPT_COUNT = 1 << 4,   /* --count N */
	OPT_DRY_RUN = 1 << 5, /* --dry-run */
};

struct vtepctl_cmd;

/* What the command line said, and the connection. */
struct vtepctl {
	const char *server; /* base URL, without a trailing slash */
	char *token;        /* NULL: send no Authorization header */
	long timeout_ms;    /* bound on connect and on the whole request */
	bool json;
	unsigned opts;      /* OPT_* given */
	const char *vni;    /* --vni */
	double watch_s;     /* --watch */
	long count;         /* --count; 0: until interrupted */
	const char *source; /* the file a YAML error's line refers to */
	long quiet_status;  /* an error status the caller deals with: not printed */
	const char *if_match; /* an If-Match header for the next request, or NULL */
	long last_status;   /* the HTTP status of the last answer, 0: none */
	const char *noun;   /* a known noun, for the usage of its verbs */
	const struct vtepctl_cmd *cmd;
};

typedef int vtepctl_fn(struct vtepctl *c, int argc, char **argv);

struct vtepctl_cmd {
	const char *noun;
	const char *verb;  /* NULL: the noun alone */
	vtepctl_fn *fn;
	unsigned opts;     /* OPT_* it takes */
	int min_args;      /* positional arguments after noun and verb */
	int max_args;      /* -1: any number */
	const char *usage; /* the arguments, for help and usage errors */
	const char *help;
};

/* ---- vtepctl.c ---- */

/** Print "vtepctl: MSG" and the command's usage on stderr; returns
 * VTEPCTL_ERR_USAGE. */
int vtepctl_usage(const struct vtepctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- http.c ---- */

/* One answer of the API. */
struct vtepctl_answer {
	long status;
	char *body; /* NUL-terminated; len bytes before the NUL */
	size_t len;
	size_t cap;    /* bytes allocated at body */
	char etag[40]; /* the ETag header, or "" */
	bool too_big;   /* the body went over what vtepctl keeps */
	bool no_memory; /* the body could not be kept */
};

/**
 * One request to the API: method, path (under the server URL, with its
 * query), an optional body of content type ctype, an optional Accept
 * header. On a 2xx answer returns VTEPCTL_OK with the answer in @p a
 * (free it with vtepctl_answer_free()); otherwise prints the API's error
 * ("vtepctl: FIELD: REASON") or why there was no answer on stderr and
 * returns VTEPCTL_ERR_API (a->status is the answer's; also for an answer
 * too large to keep), VTEPCTL_ERR_CONNECT, or VTEPCTL_ERR_USAGE (a
 * --server that is no URL, out of memory).
 */
int vtepctl_api(struct vtepctl *c, const char *method, const char *path,
		const char *ctype, const char *body, size_t len, const char *accept,
		struct vtepctl_answer *a);

/** vtepctl_api() with a JSON body (NULL: none), answer decoded: *doc is
 * the body as JSON (NULL for an empty body). A body that cannot be
 * encoded (out of memory) is VTEPCTL_ERR_USAGE, nothing sent. */
int vtepctl_api_json(struct vtepctl *c, const char *method, const char *path,
		     json_t *body, struct vtepctl_answer *a, json_t **doc);

/** vtepctl_api_json(), and with --json the answer's body printed as it
 * came and *doc NULL: the caller prints its table only if *doc is set. */
int vtepctl_call(struct vtepctl *c, const char *method, const char *path, json_t *body,
		 json_t **doc);

void vtepctl_answer_free(struct vtepctl_answer *a);

/** Close the connection (at exit). */
void vtepctl_http_close(void);

/** Print the answer's body as it came (--json). */
void vtepctl_print_raw(const struct vtepctl_answer *a);

/** A path segment escaped for a URL: what a user typed never changes
 * the route. Returns a malloc'd string. */
char *vtepctl_escape(const char *s);

/** asprintf() that exits on out of memory. */
char *vtepctl_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- table.c ---- */

struct vtepctl_table;

/** A table of ncols columns; headers NULL: no header line. */
struct vtepctl_table *vtepctl_table_new(unsigned ncols, const char *const *headers);
/** Append a row of ncols cells (copied); NULL or "" prints as "-". */
void vtepctl_table_row(struct vtepctl_table *t, const char *const *cells);
/** Print with columns as wide as their widest cell, then free. */
void vtepctl_table_print(struct vtepctl_table *t, FILE *f);

/** A JSON value as a cell: strings as they are, numbers in decimal,
 * booleans on/off, arrays joined with ",", absent or null "-". malloc'd. */
char *vtepctl_cell(const json_t *v);

/* A column of a list, or a line of an object shown field by field. */
struct vtepctl_col {
	const char *key;  /* member of the object; "a.b" walks into a */
	const char *head; /* NULL: key's last part, upper case */
	const char *dflt; /* shown when absent: CONFIG.md's default, or NULL */
	char *(*fmt)(const json_t *v); /* NULL: vtepctl_cell() */
};

/** A table with a row per object of @p list and a column per col. */
void vtepctl_print_list(const json_t *list, const struct vtepctl_col *cols, unsigned n);
/** One object, a line per col: its key and its value. */
void vtepctl_print_object(const json_t *obj, const struct vtepctl_col *cols, unsigned n);

/* ---- the commands ---- */

vtepctl_fn cmd_health, cmd_neigh, cmd_port_list, cmd_routes;
vtepctl_fn cmd_vni_list, cmd_vni_show, cmd_vni_add, cmd_vni_set, cmd_vni_del;
vtepctl_fn cmd_fdb_show, cmd_fdb_add, cmd_fdb_del, cmd_fdb_flush;
vtepctl_fn cmd_flood_add, cmd_flood_del;
vtepctl_fn cmd_underlay_show, cmd_underlay_set;
vtepctl_fn cmd_stats;
vtepctl_fn cmd_config_get, cmd_config_apply;

#endif
