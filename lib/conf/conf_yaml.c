/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML in and out. The reader turns libyaml's event stream into a document
 * tree in one pass, refusing on the way what the tree would hide or choke
 * on: aliases make a node appear under two parents (a walk could blow up
 * exponentially, or loop on a self-reference); a second document would be
 * ignored silently; absurd nesting is junk. The rules (conf_rules.c) then
 * check the tree; a message reads "FILE:LINE: FIELD: REASON".
 *
 * The writer prints a tree as block-style YAML, strings in double quotes
 * whenever a YAML reader could take them for anything but that string.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "conf_private.h"

/*
 * The schema nests five collections at most (root, vnis, vnis[0], access,
 * access[0]); refusing anything much deeper while reading keeps junk from
 * building a tree of a million nested brackets.
 */
#define CONF_MAX_DEPTH 16

#define MARK_LINE(m) ((unsigned)(m).line + 1)

/* An open collection, and for a mapping the key that waits for its value. */
struct frame {
	struct conf_node *node;
	bool have_key;
	char *key;                /* NULL with have_key: a key that is a collection */
	size_t key_len;
	unsigned key_line;
	enum conf_node_kind bad_key;
};

struct reader {
	const unsigned char *buf;
	size_t len;
	struct conf_err *err;
	struct frame stack[CONF_MAX_DEPTH + 1];
	unsigned depth;
	struct conf_node *root;
};

static int __attribute__((format(printf, 3, 4)))
rfail(struct reader *r, unsigned line, const char *fmt, ...)
{
	va_list ap;

	r->err->line = line;
	snprintf(r->err->field, sizeof(r->err->field), "yaml");
	va_start(ap, fmt);
	vsnprintf(r->err->reason, sizeof(r->err->reason), fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

static int
room(struct reader *r)
{
	r->err->line = 0;
	r->err->field[0] = '\0';
	snprintf(r->err->reason, sizeof(r->err->reason), "out of memory");
	errno = ENOMEM;
	return -1;
}

/* libyaml's own words, at its line. */
static int
yaml_fail(struct reader *r, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "syntax error";
	unsigned line = 1;
	size_t i, end;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return room(r);
	case YAML_READER_ERROR:
		/* Reader errors (bad UTF-8, control characters) carry a byte offset. */
		end = p->problem_offset < r->len ? p->problem_offset : r->len;
		for (i = 0; i < end; i++)
			line += r->buf[i] == '\n';
		if (p->problem_value >= 0)
			return rfail(r, line, "%s (#x%X at byte %zu)", problem,
				     (unsigned)p->problem_value, p->problem_offset);
		return rfail(r, line, "%s", problem);
	default:
		line = MARK_LINE(p->problem_mark);
		if (p->context != NULL)
			return rfail(r, line, "%s (%s at line %u)", problem, p->context,
				     MARK_LINE(p->context_mark));
		return rfail(r, line, "%s", problem);
	}
}

/*
 * Attach a finished node @n (a scalar, or a collection just closed) to the
 * collection below it. A collection used as a key is dropped and noted, for
 * the rules to refuse where the schema walk meets it.
 */
static int
attach(struct reader *r, struct conf_node *n, const char *text, size_t len, bool scalar)
{
	struct frame *f;
	int rc;

	if (r->depth == 0) {
		r->root = n;
		return 0;
	}
	f = &r->stack[r->depth - 1];
	if (f->node->kind == CONF_NODE_SEQ) {
		rc = conf_node_seq_add(f->node, n);
		return rc < 0 ? room(r) : 0;
	}
	if (!f->have_key) {
		f->have_key = true;
		f->key_line = n->line;
		if (scalar) {
			f->key = malloc(len + 1);
			if (f->key == NULL) {
				conf_node_free(n);
				return room(r);
			}
			memcpy(f->key, text, len);
			f->key[len] = '\0';
			f->key_len = len;
		} else {
			f->key = NULL;
			f->bad_key = n->kind;
		}
		conf_node_free(n);
		return 0;
	}
	/* An error about a whole list or mapping ("ports: no port has role
	 * access", a missing "underlay.port") reads best at its key, not at
	 * its first entry a line below: such values take their key's line. */
	if (n->kind != CONF_NODE_SCALAR)
		n->line = f->key_line;
	{
		struct conf_node bad = { .kind = f->bad_key };

		rc = conf_node_map_push(f->node, f->key, f->key_len, f->key_line,
					f->key == NULL ? &bad : NULL, n);
	}
	free(f->key);
	f->key = NULL;
	f->have_key = false;
	return rc < 0 ? room(r) : 0;
}

static int
on_event(struct reader *r, const yaml_event_t *ev, unsigned *docs, bool *done)
{
	const yaml_char_t *anchor;
	struct conf_node *n;
	unsigned line = MARK_LINE(ev->start_mark);

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return rfail(r, line, "a second document; a configuration is one document");
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (r->depth >= CONF_MAX_DEPTH)
			return rfail(r, line, "nested deeper than %d levels", CONF_MAX_DEPTH);
		n = ev->type == YAML_SEQUENCE_START_EVENT ? conf_node_seq(line) : conf_node_map(line);
		if (n == NULL)
			return room(r);
		memset(&r->stack[r->depth], 0, sizeof(r->stack[0]));
		r->stack[r->depth++].node = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = r->stack[--r->depth].node;
		r->stack[r->depth].node = NULL;
		return attach(r, n, NULL, 0, false);
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			n = conf_node_scalar((const char *)ev->data.scalar.value,
					     ev->data.scalar.length, CONF_SCALAR_PLAIN, line);
		else
			n = conf_node_scalar_quoted((const char *)ev->data.scalar.value,
						    ev->data.scalar.length, line);
		if (n == NULL)
			return room(r);
		return attach(r, n, (const char *)ev->data.scalar.value, ev->data.scalar.length,
			      true);
	case YAML_ALIAS_EVENT:
		anchor = ev->data.alias.anchor;
		return rfail(r, line, "aliases (*%s) are not supported; write the value out",
			     (const char *)anchor);
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:
		return 0;
	}
}

/* Parse @buf into r->root (NULL for a stream without a document). */
static int
read_tree(struct reader *r)
{
	unsigned docs = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	if (!yaml_parser_initialize(&p))
		return room(r);
	yaml_parser_set_input_string(&p, r->buf, r->len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_fail(r, &p);
			break;
		}
		rc = on_event(r, &ev, &docs, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	while (r->depth > 0) {
		struct frame *f = &r->stack[--r->depth];

		free(f->key);
		conf_node_free(f->node);
	}
	if (rc < 0) {
		conf_node_free(r->root);
		r->root = NULL;
	}
	return rc;
}

void
conf_err_format(const struct conf_err *e, const char *name, char *buf, size_t size)
{
	if (buf == NULL || size == 0)
		return;
	if (e->field[0] == '\0')
		snprintf(buf, size, "%s: %s", name, e->reason);
	else
		snprintf(buf, size, "%s:%u: %s: %s", name, e->line, e->field, e->reason);
}

struct conf *
conf_load_string(const char *yaml, size_t len, const char *name, char *err, size_t errlen)
{
	struct conf_err e = { 0 };
	struct reader r = {
		.buf = (const unsigned char *)(yaml != NULL ? yaml : ""),
		.len = yaml != NULL ? len : 0,
		.err = &e,
	};
	struct conf *c = NULL;
	char *path;
	int saved;

	if (name == NULL)
		name = "<string>";
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	path = strdup(name);
	if (path == NULL) {
		room(&r);
		goto fail;
	}
	if (read_tree(&r) < 0)
		goto fail;
	/* A stream without a document is an empty one, on its first line. */
	if (r.root == NULL) {
		r.root = conf_node_scalar("", 0, CONF_SCALAR_PLAIN, 1);
		if (r.root == NULL) {
			room(&r);
			goto fail;
		}
	}
	c = conf_from_node(r.root, &e);
	if (c == NULL)
		goto fail;
	conf_node_free(r.root);
	c->path = path;
	return c;
fail:
	saved = errno != 0 ? errno : EINVAL;
	conf_err_format(&e, name, err, errlen);
	conf_node_free(r.root);
	free(path);
	errno = saved;
	return NULL;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c = NULL;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	FILE *f;
	int e;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	f = fopen(path, "rb");
	if (f == NULL)
		goto sys;
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb;

			cap = cap != 0 ? cap * 2 : 64 * 1024;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				errno = ENOMEM;
				goto sys;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				goto sys;
			break;
		}
	}
	fclose(f);
	f = NULL;
	c = conf_load_string(buf, len, path, err, errlen);
	e = errno;
	free(buf);
	errno = e;
	return c;
sys:
	e = errno != 0 ? errno : EIO;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	if (f != NULL)
		fclose(f);
	free(buf);
	errno = e;
	return NULL;
}

/* The writer's growing buffer; @failed sticks after the first ENOMEM. */
struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap != 0 ? o->cap : 4096;
		char *nb;

		while (o->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (nb == NULL) {
			o->failed = true;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
indent(struct out *o, unsigned n)
{
	static const char spaces[] = "                                ";

	while (n > 0) {
		unsigned k = n < sizeof(spaces) - 1 ? n : (unsigned)sizeof(spaces) - 1;

		put(o, spaces, k);
		n -= k;
	}
}

/*
 * Can @s be written plain and be read back as this very string, by the
 * reader here and by others (YAML 1.1 takes yes/no/on/off for booleans,
 * 1:20 for a number)? Letters, digits and _ . / - only, not starting like
 * a number or an indicator, except dotted addresses and "N-M" ranges,
 * which no YAML reader takes for a number.
 */
static bool
plain_ok(const char *s, size_t len)
{
	static const char *const words[] = {
		"null", "true", "false", "yes", "no", "on", "off", "y", "n", NULL,
	};
	size_t i, dots = 0, dashes = 0, digits = 0;
	unsigned w;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			digits++;
		else if (ch == '.')
			dots++;
		else if (ch == '-')
			dashes++;
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
			   ch == '/'))
			return false;
	}
	for (w = 0; words[w] != NULL; w++)
		if (strcasecmp(s, words[w]) == 0)
			return false;
	if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' ||
	    s[0] == '/')
		return true;
	if (s[0] < '0' || s[0] > '9')
		return false;
	/* 198.18.0.1, 198.18.0.1/24 */
	if (dots >= 2 && dashes == 0)
		return true;
	/* 10000-20000 */
	return dots == 0 && dashes == 1 && digits == len - 1 && s[len - 1] != '-' &&
		strchr(s, '/') == NULL;
}

static void
put_quoted(struct out *o, const char *s, size_t len)
{
	size_t i;

	put(o, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			put(o, esc, 2);
		} else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
			put(o, esc, 4);
		} else {
			/* UTF-8 goes as it is: \x would name a code point, not a byte. */
			put(o, (const char *)&s[i], 1);
		}
	}
	put(o, "\"", 1);
}

static void
put_scalar(struct out *o, const struct conf_node *n)
{
	switch (n->type) {
	case CONF_SCALAR_NUMBER:
	case CONF_SCALAR_BOOL:
		put(o, n->s.text, n->s.len);
		break;
	case CONF_SCALAR_NULL:
		puts_(o, "null");
		break;
	case CONF_SCALAR_PLAIN:
		/* YAML text as the file had it: quoted stays quoted, since a
		 * quoted "4789" is no number; plain where it reads back the same. */
		if (n->quoted || !plain_ok(n->s.text, n->s.len))
			put_quoted(o, n->s.text, n->s.len);
		else
			put(o, n->s.text, n->s.len);
		break;
	case CONF_SCALAR_STRING:
		if (plain_ok(n->s.text, n->s.len))
			put(o, n->s.text, n->s.len);
		else
			put_quoted(o, n->s.text, n->s.len);
		break;
	}
}

static void emit(struct out *o, const struct conf_node *n, unsigned ind, bool inline_first);

static bool
is_empty_coll(const struct conf_node *n)
{
	return n->kind != CONF_NODE_SCALAR && conf_node_size(n) == 0;
}

/* A value after "key:" or "- ": on the same line if it is one. */
static void
emit_value(struct out *o, const struct conf_node *v, unsigned ind, bool after_dash)
{
	if (v->kind == CONF_NODE_SCALAR) {
		put(o, " ", 1);
		put_scalar(o, v);
		put(o, "\n", 1);
	} else if (is_empty_coll(v)) {
		puts_(o, v->kind == CONF_NODE_MAP ? " {}\n" : " []\n");
	} else if (after_dash) {
		put(o, " ", 1);
		emit(o, v, ind, true);
	} else {
		put(o, "\n", 1);
		emit(o, v, ind, false);
	}
}

/*
 * @n at indentation @ind; with @inline_first its first line continues the
 * current one (after "- ").
 */
static void
emit(struct out *o, const struct conf_node *n, unsigned ind, bool inline_first)
{
	size_t i;

	if (n->kind == CONF_NODE_SCALAR || is_empty_coll(n)) {
		if (!inline_first)
			indent(o, ind);
		if (n->kind == CONF_NODE_SCALAR)
			put_scalar(o, n);
		else
			puts_(o, n->kind == CONF_NODE_MAP ? "{}" : "[]");
		put(o, "\n", 1);
		return;
	}
	for (i = 0; i < conf_node_size(n) && !o->failed; i++) {
		if (i > 0 || !inline_first)
			indent(o, ind);
		if (n->kind == CONF_NODE_SEQ) {
			put(o, "-", 1);
			emit_value(o, n->seq.items[i], ind + 2, true);
		} else {
			const struct conf_pair *p = &n->map.pairs[i];

			if (p->key == NULL)
				continue;
			if (plain_ok(p->key, p->key_len))
				put(o, p->key, p->key_len);
			else
				put_quoted(o, p->key, p->key_len);
			put(o, ":", 1);
			emit_value(o, p->value, ind + 2, false);
		}
	}
}

int
conf_emit_yaml(const struct conf_node *n, char **out, size_t *len)
{
	struct out o = { 0 };

	if (n == NULL || out == NULL)
		return -EINVAL;
	emit(&o, n, 0, false);
	if (o.failed) {
		free(o.buf);
		return -ENOMEM;
	}
	*out = o.buf;
	if (len != NULL)
		*len = o.len;
	return 0;
}

int
conf_write(const struct conf *c, char **out, size_t *len)
{
	struct conf_node *n;
	int rc;

	if (c == NULL || out == NULL)
		return -EINVAL;
	n = conf_to_node(c);
	if (n == NULL)
		return -ENOMEM;
	rc = conf_emit_yaml(n, out, len);
	conf_node_free(n);
	return rc;
}
