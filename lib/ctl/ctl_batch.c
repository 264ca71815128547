/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes: batches of typed operations on a candidate copy of the model,
 * their validation with lib/conf's rules, the commit and the state file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_private.h"

/* The index of static entries (below) is stale once entries move. */
static void
fidx_forget(struct ctl *c)
{
	c->fidx_of = NULL;
}

static void fidx_put(struct ctl *c, uint64_t key, uint32_t val);

/* ---- persistence --------------------------------------------------------- */

/* Write @buf to @path as a whole or not at all: a temporary file, fsync,
 * rename over the old one, fsync of the directory. */
static int
write_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[4200], dir[4200];
	size_t off = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	/* The new file is in place: from here an error is no reason to undo
	 * the change (the file says it), only to say that the rename may not
	 * survive a crash. */
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		CLOG(WARNING, "state file %s: written, but its directory not synced: %s", path,
		     strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

int
ctl_persist(struct ctl *c)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (c->state_file == NULL || c->starting)
		return 0;
	rc = conf_write(c->model, &buf, &len);
	if (rc == 0)
		rc = write_atomic(c->state_file, buf, len);
	free(buf);
	if (rc != 0)
		CLOG(ERR, "state file %s: %s", c->state_file, strerror(-rc));
	return rc;
}

/* ---- batches ------------------------------------------------------------- */

int
ctl_batch_begin(struct ctl *c)
{
	if (c->cand != NULL)
		return -EBUSY;
	c->cand = conf_dup(c->model);
	if (c->cand == NULL)
		return -ENOMEM;
	c->cand_auto = false;
	c->n_touched = 0;
	c->touch_all = false;
	fidx_forget(c);
	return 0;
}

void
ctl_batch_abort(struct ctl *c)
{
	fidx_forget(c);
	conf_free(c->cand);
	c->cand = NULL;
}

/* The candidate through the rules of a configuration file. */
static struct conf *
validate(const struct conf *cand, struct conf_err *err)
{
	struct conf_node *n = conf_to_node(cand);
	struct conf *v;

	if (n == NULL) {
		ctl_fail(err, -ENOMEM, "", "out of memory");
		return NULL;
	}
	v = conf_from_node(n, err);
	conf_node_free(n);
	return v;
}

int
ctl_commit(struct ctl *c, struct conf *next, struct conf_err *err)
{
	struct conf *prev = c->model;
	int rc;

	fidx_forget(c);
	/* In a group of calls, the state file is written once for all of
	 * them (calls_run()); keep where the group started to go back to. */
	if (c->group && c->group_saved == NULL && c->state_file != NULL) {
		c->group_saved = conf_dup(prev);
		if (c->group_saved == NULL) {
			conf_free(next);
			return ctl_fail(err, -ENOMEM, "", "out of memory");
		}
	}
	c->arp_short = false;
	rc = ctl_apply(c, prev, next);
	if (rc == 0) {
		c->model = next;
		rc = ctl_snap_publish(c);
		if (rc == 0 && c->group) {
			c->persist_due = true;
		} else if (rc == 0) {
			rc = ctl_persist(c);
			if (rc != 0) {
				c->ctr[CTL_PERSIST_ERRORS]++;
				ctl_fail(err, -EIO, "", "the state file could not be written: %s",
				     strerror(-rc));
				rc = -EIO;
			}
		}
		if (rc == 0) {
			conf_free(prev);
			c->ctr[CTL_CHANGES]++;
			return 0;
		}
		c->model = prev;
	} else if (rc == -ENOSPC && c->slots_short != 0) {
		ctl_fail(err, rc, "vnis", "%u more VNIs than there are free counter slots (%u in "
			 "all; a deleted VNI's slot is free once the change that deletes it is "
			 "applied)", c->slots_short, CTL_MAX_VNIS);
	} else if (rc == -ENOSPC && c->arp_short) {
		ctl_fail(err, rc, "vnis", "the ARP table is full (%u bindings in all VNIs)",
			 c->arp_capacity);
	} else if (rc == -ENOSPC) {
		ctl_fail(err, rc, "fdb", "the FDB is full (fdb_capacity %u)", prev->fdb_capacity);
	} else {
		ctl_fail(err, rc, "", "%s", strerror(-rc));
	}
	c->slots_short = 0;
	c->arp_short = false;
	/* Back to where we were: the difference applied backwards undoes what
	 * was done, and the reference counts of remotes are counted again
	 * from what holds them, for the steps that were never taken. */
	ctl_apply(c, next, prev);
	ctl_refs_recount(c);
	ctl_snap_publish(c);
	conf_free(next);
	c->ctr[CTL_CHANGES_REFUSED]++;
	return rc;
}

/* The batch changed VNI @vni: the commit validates its document. */
static int
touch(struct ctl *c, uint32_t vni)
{
	if (c->n_touched == c->cap_touched) {
		unsigned cap = c->cap_touched ? c->cap_touched * 2 : 16;
		uint32_t *t = realloc(c->touched, cap * sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		c->touched = t;
		c->cap_touched = cap;
	}
	c->touched[c->n_touched++] = vni;
	return 0;
}

/* "vnis[3].access" of a small document -> the same field of the whole one. */
static void
remap_field(struct conf_err *err, const char *list, const unsigned *real, unsigned n)
{
	char rest[sizeof(err->field)], buf[sizeof(err->field) + 32];
	size_t l = strlen(list);
	unsigned k;
	char *end;

	if (strncmp(err->field, list, l) != 0 || err->field[l] != '[')
		return;
	k = (unsigned)strtoul(err->field + l + 1, &end, 10);
	if (*end != ']' || k >= n)
		return;
	snprintf(rest, sizeof(rest), "%s", end + 1);
	snprintf(buf, sizeof(buf), "%s[%u]%s", list, real[k], rest);
	snprintf(err->field, sizeof(err->field), "%.*s", (int)sizeof(err->field) - 1, buf);
}

/*
 * Validate a batch that changed a few VNIs without reading the whole
 * configuration through the rules: the rules see the candidate's ports and
 * underlay with only the VNIs the batch touched and their static entries
 * (so every field check and reference within them has the rules' words),
 * and what spans VNIs, a binding used twice, is checked here against all
 * of them, in the rules' words. The rest was valid before and is
 * unchanged. @return 0 or -EINVAL with @p err filled.
 */
static int
validate_touched(struct ctl *c, const struct conf *cand, struct conf_err *err)
{
	struct vmap cm = { 0 }, tm = { 0 }, bind = { 0 };
	struct conf m = *cand;
	unsigned *vidx = NULL, *fidx = NULL, i, j, nv = 0, nf = 0, pass;
	struct conf_node *n = NULL;
	struct conf *v = NULL;
	int rc = -ENOMEM;

	m.vnis = NULL;
	m.fdb = NULL;
	if (ctl_vmap_of_conf(&cm, cand) != 0 || ctl_vmap_init(&tm, c->n_touched) != 0 ||
	    ctl_vmap_init(&bind, 64) != 0)
		goto out;
	vidx = malloc((c->n_touched + 1) * sizeof(*vidx));
	m.vnis = malloc((c->n_touched + 1) * sizeof(*m.vnis));
	if (vidx == NULL || m.vnis == NULL)
		goto out;
	for (i = 0; i < c->n_touched; i++) {
		int64_t k = ctl_vmap_get(&cm, c->touched[i]);

		if (k < 0 || ctl_vmap_get(&tm, c->touched[i]) >= 0)
			continue;   /* deleted since, or seen */
		ctl_vmap_put(&tm, c->touched[i], nv);
		vidx[nv] = (unsigned)k;
		m.vnis[nv++] = cand->vnis[k];
	}
	m.n_vnis = nv;
	for (i = 0; i < cand->n_fdb; i++)
		if (ctl_vmap_get(&tm, cand->fdb[i].vni) >= 0)
			nf++;
	fidx = malloc((nf + 1) * sizeof(*fidx));
	m.fdb = malloc((nf + 1) * sizeof(*m.fdb));
	if (fidx == NULL || m.fdb == NULL)
		goto out;
	for (i = 0, nf = 0; i < cand->n_fdb; i++)
		if (ctl_vmap_get(&tm, cand->fdb[i].vni) >= 0) {
			fidx[nf] = i;
			m.fdb[nf++] = cand->fdb[i];
		}
	m.n_fdb = nf;
	n = conf_to_node(&m);
	if (n == NULL)
		goto out;
	v = conf_from_node(n, err);
	if (v == NULL) {
		remap_field(err, "vnis", vidx, nv);
		remap_field(err, "fdb", fidx, nf);
		rc = -EINVAL;
		goto out;
	}
	/* Bindings across VNIs: the untouched ones first, so that a conflict
	 * is named at the VNI this batch changed, which the client sent. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < cand->n_vnis; i++) {
			const struct conf_vni *cv = &cand->vnis[i];

			if ((ctl_vmap_get(&tm, cv->vni) >= 0) != (pass == 1))
				continue;

			if (cv->n_access > CTL_MAX_LOCAL) {
				snprintf(err->field, sizeof(err->field), "vnis[%u].access", i);
				snprintf(err->reason, sizeof(err->reason),
					 "%u access bindings; vtepd takes at most %u per VNI", cv->n_access,
					 CTL_MAX_LOCAL);
				rc = -EINVAL;
				goto out;
			}
			for (j = 0; j < cv->n_access; j++) {
				int p = conf_port_find(cand, cv->access[j].port);
				uint32_t key = (uint32_t)(p + 1) << 16 | cv->access[j].vlan;
				int64_t first = ctl_vmap_get(&bind, key);

				if (first >= 0) {
					unsigned fi = (unsigned)first >> 8, fj = (unsigned)first & 0xff;
					char b[CONF_NAME_MAX + 16];

					err->line = 0;
					conf_binding_str(b, sizeof(b), cv->access[j].port, cv->access[j].vlan);
					snprintf(err->field, sizeof(err->field), "vnis[%u].access[%u]", i, j);
					snprintf(err->reason, sizeof(err->reason),
						 "%s is already bound to VNI %u (vnis[%u].access[%u])", b,
						 cand->vnis[fi].vni, fi, fj);
					rc = -EINVAL;
					goto out;
				}
				ctl_vmap_put(&bind, key, i << 8 | j);
			}
		}
	}
	rc = 0;
out:
	if (rc == -ENOMEM)
		ctl_fail(err, rc, "", "out of memory");
	conf_free(v);
	conf_node_free(n);
	free(m.vnis);
	free(m.fdb);
	free(vidx);
	free(fidx);
	ctl_vmap_free(&cm);
	ctl_vmap_free(&tm);
	ctl_vmap_free(&bind);
	return rc;
}

int
ctl_batch_commit(struct ctl *c, struct conf_err *err)
{
	struct conf *cand = c->cand, *next;

	if (cand == NULL)
		return ctl_fail(err, -EINVAL, "", "no batch is open");
	c->cand = NULL;
	if (c->touch_all) {
		next = validate(cand, err);
		conf_free(cand);
	} else if (validate_touched(c, cand, err) == 0) {
		next = cand;
	} else {
		conf_free(cand);
		next = NULL;
	}
	if (next == NULL) {
		c->ctr[CTL_CHANGES_REFUSED]++;
		return -EINVAL;
	}
	return ctl_commit(c, next, err);
}

/* Operations outside a batch make one of their own. */
static int
op_begin(struct ctl *c)
{
	int rc;

	if (c->cand != NULL)
		return 0;
	rc = ctl_batch_begin(c);
	if (rc == 0)
		c->cand_auto = true;
	return rc;
}

static int
op_end(struct ctl *c, int rc, struct conf_err *err)
{
	int crc;

	if (!c->cand_auto)
		return rc;
	c->cand_auto = false;
	if (rc < 0) {
		ctl_batch_abort(c);
		return rc;
	}
	crc = ctl_batch_commit(c, err);
	return crc < 0 ? crc : rc;
}

/* ---- typed operations ---------------------------------------------------- */

static int
vni_index(const struct conf *cf, uint32_t vni)
{
	unsigned i;

	for (i = 0; i < cf->n_vnis; i++)
		if (cf->vnis[i].vni == vni)
			return (int)i;
	return -1;
}

static void
vni_clear(struct conf_vni *v)
{
	free(v->access);
	free(v->remotes);
	free(v->neighbors);
	memset(v, 0, sizeof(*v));
}

static int
vni_copy(struct conf_vni *dst, const struct conf_vni *src)
{
	*dst = *src;
	dst->access = NULL;
	dst->remotes = NULL;
	dst->neighbors = NULL;
	if (src->n_access != 0) {
		dst->access = malloc(src->n_access * sizeof(*dst->access));
		if (dst->access == NULL)
			return -ENOMEM;
		memcpy(dst->access, src->access, src->n_access * sizeof(*dst->access));
	}
	if (src->n_remotes != 0) {
		dst->remotes = malloc(src->n_remotes * sizeof(*dst->remotes));
		if (dst->remotes == NULL) {
			free(dst->access);
			dst->access = NULL;
			return -ENOMEM;
		}
		memcpy(dst->remotes, src->remotes, src->n_remotes * sizeof(*dst->remotes));
	}
	if (src->n_neighbors != 0) {
		dst->neighbors = malloc(src->n_neighbors * sizeof(*dst->neighbors));
		if (dst->neighbors == NULL) {
			free(dst->access);
			free(dst->remotes);
			dst->access = NULL;
			dst->remotes = NULL;
			return -ENOMEM;
		}
		memcpy(dst->neighbors, src->neighbors,
		       src->n_neighbors * sizeof(*dst->neighbors));
	}
	return 0;
}

/* The VNIs and static entries of a configuration, dropped or copied. */
void
ctl_model_clear_vnis_fdb(struct conf *cf)
{
	unsigned i;

	for (i = 0; i < cf->n_vnis; i++)
		vni_clear(&cf->vnis[i]);
	free(cf->vnis);
	free(cf->fdb);
	cf->vnis = NULL;
	cf->fdb = NULL;
	cf->n_vnis = 0;
	cf->n_fdb = 0;
}

static int
model_copy_vnis_fdb(struct conf *dst, const struct conf *src)
{
	unsigned i;

	dst->vnis = calloc(src->n_vnis ? src->n_vnis : 1, sizeof(*dst->vnis));
	dst->fdb = malloc((src->n_fdb ? src->n_fdb : 1) * sizeof(*dst->fdb));
	if (dst->vnis == NULL || dst->fdb == NULL)
		return -ENOMEM;
	for (i = 0; i < src->n_vnis; i++) {
		if (vni_copy(&dst->vnis[i], &src->vnis[i]) != 0)
			return -ENOMEM;
		dst->n_vnis++;
	}
	if (src->n_fdb != 0)
		memcpy(dst->fdb, src->fdb, src->n_fdb * sizeof(*dst->fdb));
	dst->n_fdb = src->n_fdb;
	return 0;
}

static int
vni_put(struct ctl *c, const struct conf_vni *v, struct conf_err *err)
{
	struct conf *cf = c->cand;
	int i = vni_index(cf, v->vni);
	struct conf_vni copy;

	if (v->vni == 0 || v->vni > 16777215)
		return ctl_fail(err, -EINVAL, "vni", "%u is not a VNI (1-16777215)", v->vni);
	if (touch(c, v->vni) != 0 || vni_copy(&copy, v) != 0)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	if (i >= 0) {
		vni_clear(&cf->vnis[i]);
		cf->vnis[i] = copy;
		return 0;
	}
	if (cf->n_vnis >= CTL_MAX_VNIS) {
		vni_clear(&copy);
		return ctl_fail(err, -ENOSPC, "vni", "%u VNIs are configured, the most vtepd holds",
			    cf->n_vnis);
	}
	struct conf_vni *nv = realloc(cf->vnis, (cf->n_vnis + 1) * sizeof(*nv));

	if (nv == NULL) {
		vni_clear(&copy);
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	}
	cf->vnis = nv;
	cf->vnis[cf->n_vnis++] = copy;
	return 1;
}

int
ctl_vni_put(struct ctl *c, const struct conf_vni *v, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, vni_put(c, v, err), err);
}

static void
fdb_remove_at(struct conf *cf, unsigned i)
{
	/* Callers forget the index (fidx_forget()): entries move. */
	cf->fdb[i] = cf->fdb[cf->n_fdb - 1];
	cf->n_fdb--;
}

static int
vni_del(struct ctl *c, uint32_t vni, struct conf_err *err)
{
	struct conf *cf = c->cand;
	int i = vni_index(cf, vni);
	unsigned j;

	if (i < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	vni_clear(&cf->vnis[i]);
	memmove(&cf->vnis[i], &cf->vnis[i + 1], (cf->n_vnis - (unsigned)i - 1) * sizeof(*cf->vnis));
	cf->n_vnis--;
	/* Its static entries go with it. */
	for (j = cf->n_fdb; j-- > 0;)
		if (cf->fdb[j].vni == vni)
			fdb_remove_at(cf, j);
	fidx_forget(c);
	return 0;
}

int
ctl_vni_del(struct ctl *c, uint32_t vni, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, vni_del(c, vni, err), err);
}


/* (VNI, MAC) -> index into the candidate's static entries, built on the
 * batch's first look and kept while entries are only added: a bulk POST
 * of 100 000 entries must not scan the list once per entry. */
static int
fidx_build(struct ctl *c, const struct conf *cf)
{
	uint32_t size = 64, i;

	while (size < (cf->n_fdb + 1) * 2)
		size *= 2;
	free(c->fidx_key);
	free(c->fidx_val);
	c->fidx_key = calloc(size, sizeof(*c->fidx_key));
	c->fidx_val = calloc(size, sizeof(*c->fidx_val));
	if (c->fidx_key == NULL || c->fidx_val == NULL)
		return -ENOMEM;
	c->fidx_mask = size - 1;
	c->fidx_n = 0;
	c->fidx_of = cf;
	for (i = 0; i < cf->n_fdb; i++)
		fidx_put(c, ctl_fdb_key64(cf->fdb[i].vni, cf->fdb[i].mac), i);
	return 0;
}

static void
fidx_put(struct ctl *c, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & c->fidx_mask;

	while (c->fidx_key[i] != 0 && c->fidx_key[i] != key)
		i = (i + 1) & c->fidx_mask;
	if (c->fidx_key[i] == 0)
		c->fidx_n++;
	c->fidx_key[i] = key;
	c->fidx_val[i] = val;
}

static int
fdb_index(struct ctl *c, const struct conf *cf, uint32_t vni, const uint8_t mac[6])
{
	uint64_t key = ctl_fdb_key64(vni, mac);
	uint32_t i;

	if (c->fidx_of != cf || c->fidx_key == NULL || (c->fidx_n + 1) * 2 > c->fidx_mask + 1)
		if (fidx_build(c, cf) != 0)
			return -ENOMEM;
	for (i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & c->fidx_mask;
	     c->fidx_key[i] != 0; i = (i + 1) & c->fidx_mask)
		if (c->fidx_key[i] == key)
			return (int)c->fidx_val[i];
	return -1;
}


static int
fdb_add(struct ctl *c, const struct conf_fdb *e, struct conf_err *err)
{
	struct conf *cf = c->cand;
	struct conf_fdb *nf;
	int i;

	if (vni_index(cf, e->vni) < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", e->vni);
	i = fdb_index(c, cf, e->vni, e->mac);
	if (i == -ENOMEM)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	if (i >= 0) {
		if (ctl_fdb_entry_same(&cf->fdb[i], e))
			return 0;
		return ctl_fail(err, -EEXIST, "mac",
			    "%02x:%02x:%02x:%02x:%02x:%02x has a static entry with another destination",
			    e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
	}
	if (touch(c, e->vni) != 0)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	nf = realloc(cf->fdb, (cf->n_fdb + 1) * sizeof(*nf));
	if (nf == NULL)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	cf->fdb = nf;
	cf->fdb[cf->n_fdb] = *e;
	fidx_put(c, ctl_fdb_key64(e->vni, e->mac), cf->n_fdb);
	cf->n_fdb++;
	return 1;
}

int
ctl_fdb_add(struct ctl *c, const struct conf_fdb *e, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, fdb_add(c, e, err), err);
}

int
ctl_fdb_del(struct ctl *c, uint32_t vni, const struct rte_ether_addr *mac, struct conf_err *err)
{
	int i, rc;

	if (c->cand == NULL && vni_index(c->model, vni) < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	i = fdb_index(c, c->cand != NULL ? c->cand : c->model, vni, mac->addr_bytes);
	if (i >= 0) {
		rc = op_begin(c);
		if (rc != 0)
			return ctl_fail(err, rc, "", "%s", strerror(-rc));
		i = fdb_index(c, c->cand, vni, mac->addr_bytes);
		if (i < 0)
			return op_end(c, ctl_fail(err, -ENOMEM, "", "out of memory"), err);
		fdb_remove_at(c->cand, (unsigned)i);
		fidx_forget(c);
		return op_end(c, 0, err);
	}
	/* A learned entry is no configuration: delete it now. */
	if (fdb_del(c->fdb, vni, mac) != 0)
		return ctl_fail(err, -ENOENT, "mac", "no entry for this MAC in VNI %u", vni);
	return 0;
}

int
ctl_fdb_flush(struct ctl *c, uint32_t vni, unsigned what, struct conf_err *err)
{
	const struct conf *cf = c->cand != NULL ? c->cand : c->model;
	unsigned n = 0, j;
	int rc;

	if (vni != FDB_VNI_ANY && vni_index(cf, vni) < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	if (what & FDB_FLUSH_STATIC) {
		rc = op_begin(c);
		if (rc != 0)
			return ctl_fail(err, rc, "", "%s", strerror(-rc));
		for (j = c->cand->n_fdb; j-- > 0;)
			if (vni == FDB_VNI_ANY || c->cand->fdb[j].vni == vni) {
				fdb_remove_at(c->cand, j);
				n++;
			}
		fidx_forget(c);
		rc = op_end(c, 0, err);
		if (rc < 0)
			return rc;
	}
	if (what & FDB_FLUSH_LEARNED)
		n += fdb_flush(c->fdb, vni, FDB_FLUSH_LEARNED);
	return (int)n;
}

static int
flood_edit(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, bool add, struct conf_err *err)
{
	struct conf_vni *v;
	struct vtep_ip *r;
	unsigned j;
	int i = vni_index(c->cand, vni);

	if (i < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	v = &c->cand->vnis[i];
	for (j = 0; j < v->n_remotes; j++)
		if (vtep_ip_eq(&v->remotes[j], ip))
			break;
	if (add) {
		if (j < v->n_remotes)
			return 0;
		if (touch(c, vni) != 0)
			return ctl_fail(err, -ENOMEM, "", "out of memory");
		r = realloc(v->remotes, (v->n_remotes + 1) * sizeof(*r));
		if (r == NULL)
			return ctl_fail(err, -ENOMEM, "", "out of memory");
		v->remotes = r;
		v->remotes[v->n_remotes++] = *ip;
		return 1;
	}
	if (j == v->n_remotes)
		return ctl_fail(err, -ENOENT, "remote", "not in the flood list of VNI %u", vni);
	memmove(&v->remotes[j], &v->remotes[j + 1], (v->n_remotes - j - 1) * sizeof(*v->remotes));
	v->n_remotes--;
	return 0;
}

int
ctl_flood_add(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, flood_edit(c, vni, ip, true, err), err);
}

int
ctl_flood_del(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, flood_edit(c, vni, ip, false, err), err);
}

static int
neigh_find(const struct conf_vni *v, const struct vtep_ip *ip)
{
	unsigned j;

	for (j = 0; j < v->n_neighbors; j++)
		if (vtep_ip_eq(&v->neighbors[j].ip, ip))
			return (int)j;
	return -1;
}

static const char *
ip_fmt(char *b, const struct vtep_ip *ip)
{
	struct in_addr a = { .s_addr = ip->v4 };

	if (inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN) == NULL)
		b[0] = '\0';
	return b;
}

static int
neigh_add(struct ctl *c, uint32_t vni, const struct conf_neigh *n, struct conf_err *err)
{
	char s[INET_ADDRSTRLEN];
	struct conf_neigh *nb;
	struct conf_vni *v;
	int i = vni_index(c->cand, vni), j;

	if (i < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	v = &c->cand->vnis[i];
	j = neigh_find(v, &n->ip);
	if (j >= 0) {
		if (memcmp(v->neighbors[j].mac, n->mac, 6) == 0)
			return 0;
		return ctl_fail(err, -EEXIST, "mac", "%s has a static neighbor with another MAC",
				ip_fmt(s, &n->ip));
	}
	if (touch(c, vni) != 0)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	nb = realloc(v->neighbors, (v->n_neighbors + 1) * sizeof(*nb));
	if (nb == NULL)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	v->neighbors = nb;
	v->neighbors[v->n_neighbors++] = *n;
	return 1;
}

int
ctl_vni_neigh_add(struct ctl *c, uint32_t vni, const struct conf_neigh *n, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, neigh_add(c, vni, n, err), err);
}

int
ctl_vni_neigh_del(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err)
{
	const struct conf *cf = c->cand != NULL ? c->cand : c->model;
	char s[INET_ADDRSTRLEN];
	struct rte_ether_addr ipm;
	struct conf_vni *v;
	int i = vni_index(cf, vni), j, rc;

	if (i < 0)
		return ctl_fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	if (neigh_find(&cf->vnis[i], ip) >= 0) {
		rc = op_begin(c);
		if (rc != 0)
			return ctl_fail(err, rc, "", "%s", strerror(-rc));
		v = &c->cand->vnis[vni_index(c->cand, vni)];
		j = neigh_find(v, ip);
		if (touch(c, vni) != 0)
			return op_end(c, ctl_fail(err, -ENOMEM, "", "out of memory"), err);
		memmove(&v->neighbors[j], &v->neighbors[j + 1],
			(v->n_neighbors - (unsigned)j - 1) * sizeof(*v->neighbors));
		v->n_neighbors--;
		return op_end(c, 0, err);
	}
	/* A learned binding is no configuration: it goes from the table. */
	fdb_ip_mac(&ipm, ip->v4);
	if (fdb_del(c->arp, vni, &ipm) != 0)
		return ctl_fail(err, -ENOENT, "ip", "no neighbor %s in VNI %u", ip_fmt(s, ip), vni);
	return 0;
}

/* The fields of the underlay that change live; the others need a restart. */
static int
underlay_fixed_differ(const struct conf_underlay *a, const struct conf_underlay *b,
		      struct conf_err *err)
{
	if (strcmp(a->port, b->port) != 0)
		return ctl_fail(err, -EINVAL, "underlay.port", "changes only with a restart");
	if (!vtep_ip_eq(&a->address, &b->address) || a->prefix_len != b->prefix_len)
		return ctl_fail(err, -EINVAL, "underlay.address", "changes only with a restart");
	if (!vtep_ip_eq(&a->gateway, &b->gateway))
		return ctl_fail(err, -EINVAL, "underlay.gateway", "changes only with a restart");
	if (a->udp_port != b->udp_port)
		return ctl_fail(err, -EINVAL, "underlay.udp_port", "changes only with a restart");
	if (a->mcast_ttl != b->mcast_ttl)
		return ctl_fail(err, -EINVAL, "underlay.mcast_ttl", "changes only with a restart");
	if (a->n_neighbors != b->n_neighbors ||
	    (a->n_neighbors != 0 &&
	     memcmp(a->neighbors, b->neighbors, a->n_neighbors * sizeof(*a->neighbors)) != 0))
		return ctl_fail(err, -EINVAL, "underlay.neighbors", "change only with a restart");
	return 0;
}

static void
underlay_live_copy(struct conf_underlay *dst, const struct conf_underlay *src)
{
	dst->sport_min = src->sport_min;
	dst->sport_max = src->sport_max;
	dst->ttl = src->ttl;
	dst->ttl_inherit = src->ttl_inherit;
	dst->tos = src->tos;
	dst->tos_inherit = src->tos_inherit;
	dst->ecn = src->ecn;
	dst->df = src->df;
	dst->mtu = src->mtu;
}

int
ctl_underlay_set(struct ctl *c, const struct conf_underlay *u, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return ctl_fail(err, rc, "", "%s", strerror(-rc));
	rc = underlay_fixed_differ(&c->cand->underlay, u, err);
	if (rc == 0)
		underlay_live_copy(&c->cand->underlay, u);
	return op_end(c, rc, err);
}

/* ---- declarative apply --------------------------------------------------- */

struct diff_buf {
	char *s;
	size_t len, cap;
	int n;
};

static void
diff_add(struct diff_buf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
diff_add(struct diff_buf *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	d->n++;
	if (d->cap - d->len < 256) {
		size_t cap = d->cap ? d->cap * 2 : 4096;
		char *s = realloc(d->s, cap);

		if (s == NULL)
			return;
		d->s = s;
		d->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->s + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->len += RTE_MIN((size_t)n, d->cap - d->len - 1);
}

static void
mac_fmt(char *b, size_t n, const uint8_t m[6])
{
	snprintf(b, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
describe(const struct conf *from, const struct conf *to, struct diff_buf *d)
{
	const struct conf_underlay *a = &from->underlay, *b = &to->underlay;
	const struct conf_fdb **x = ctl_fdb_sorted(from), **y = ctl_fdb_sorted(to);
	struct vmap fm = { 0 }, tm = { 0 };
	char m[32], ip[64];
	unsigned i, j;

	/* Without the maps, VNIs are compared by their numbers only: a
	 * failed allocation shows every VNI as new, which is still a diff. */
	ctl_vmap_of_conf(&fm, from);
	ctl_vmap_of_conf(&tm, to);
	if (a->ttl != b->ttl || a->ttl_inherit != b->ttl_inherit)
		diff_add(d, "~ underlay.ttl\n");
	if (a->tos != b->tos || a->tos_inherit != b->tos_inherit)
		diff_add(d, "~ underlay.tos\n");
	if (a->df != b->df)
		diff_add(d, "~ underlay.df %s -> %s\n", a->df ? "true" : "false", b->df ? "true" : "false");
	if (a->ecn != b->ecn)
		diff_add(d, "~ underlay.ecn\n");
	if (a->sport_min != b->sport_min || a->sport_max != b->sport_max)
		diff_add(d, "~ underlay.sport %u-%u -> %u-%u\n", a->sport_min, a->sport_max,
			 b->sport_min, b->sport_max);
	if (a->mtu != b->mtu)
		diff_add(d, "~ underlay.mtu %u -> %u\n", a->mtu, b->mtu);
	for (i = 0; i < to->n_vnis; i++) {
		int64_t k = ctl_vmap_get(&fm, to->vnis[i].vni);
		const struct conf_vni *o = k >= 0 ? &from->vnis[k] : NULL;

		if (o == NULL)
			diff_add(d, "+ vni %u\n", to->vnis[i].vni);
		else if (!ctl_vni_same(o, &to->vnis[i]))
			diff_add(d, "~ vni %u\n", to->vnis[i].vni);
	}
	for (i = 0; i < from->n_vnis; i++)
		if (ctl_vmap_get(&tm, from->vnis[i].vni) < 0)
			diff_add(d, "- vni %u\n", from->vnis[i].vni);
	if (x == NULL || y == NULL)
		goto out;
	for (i = 0, j = 0; i < from->n_fdb || j < to->n_fdb;) {
		int cmp = i == from->n_fdb ? 1 : j == to->n_fdb ? -1 : ctl_fdb_entry_cmp(&x[i], &y[j]);
		const struct conf_fdb *e = cmp <= 0 ? x[i] : y[j];

		mac_fmt(m, sizeof(m), e->mac);
		if (cmp < 0) {
			diff_add(d, "- fdb %u %s\n", e->vni, m);
			i++;
		} else if (cmp > 0) {
			diff_add(d, "+ fdb %u %s %s\n", e->vni, m,
				 e->is_remote ? vtep_ip_str(&e->remote, ip, sizeof(ip)) : e->local.port);
			j++;
		} else {
			if (!ctl_fdb_entry_same(x[i], y[j]))
				diff_add(d, "~ fdb %u %s\n", e->vni, m);
			i++;
			j++;
		}
	}
out:
	ctl_vmap_free(&fm);
	ctl_vmap_free(&tm);
	free(x);
	free(y);
}

static bool
str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* What a declarative apply cannot change: all but the VNIs, the static
 * entries and the underlay's live fields (which underlay_fixed_differ()
 * checks). Refused by name rather than ignored. */
static int
restart_fields_differ(const struct conf *a, const struct conf *b, struct conf_err *err)
{
	const struct conf_api *x = &a->api, *y = &b->api;
	unsigned i;

	if (a->n_ports != b->n_ports)
		return ctl_fail(err, -EINVAL, "ports", "change only with a restart");
	for (i = 0; i < a->n_ports; i++) {
		const struct conf_port *p = &a->ports[i], *q = &b->ports[i];

		if (strcmp(p->name, q->name) != 0 || strcmp(p->devargs, q->devargs) != 0 ||
		    p->role != q->role || p->rx_queues != q->rx_queues ||
		    p->rx_desc != q->rx_desc || p->tx_desc != q->tx_desc ||
		    p->has_mac != q->has_mac || (p->has_mac && memcmp(p->mac, q->mac, 6) != 0)) {
			char f[32];

			snprintf(f, sizeof(f), "ports[%u]", i);
			return ctl_fail(err, -EINVAL, f, "changes only with a restart");
		}
	}
	if (a->n_eal_args != b->n_eal_args)
		return ctl_fail(err, -EINVAL, "eal", "changes only with a restart");
	for (i = 0; i < a->n_eal_args; i++)
		if (strcmp(a->eal_args[i], b->eal_args[i]) != 0)
			return ctl_fail(err, -EINVAL, "eal", "changes only with a restart");
	if (a->fdb_capacity != b->fdb_capacity)
		return ctl_fail(err, -EINVAL, "fdb_capacity", "changes only with a restart");
	if (a->stats_interval != b->stats_interval)
		return ctl_fail(err, -EINVAL, "stats_interval", "changes only with a restart");
	if (str_differ(a->state_file, b->state_file))
		return ctl_fail(err, -EINVAL, "state_file", "changes only with a restart");
	if (x->enabled != y->enabled || strcmp(x->listen_host, y->listen_host) != 0 ||
	    x->listen_port != y->listen_port || x->has_token_file != y->has_token_file ||
	    (x->has_token_file && strcmp(x->token_file, y->token_file) != 0) ||
	    x->max_connections != y->max_connections || x->idle_timeout != y->idle_timeout ||
	    x->body_limit != y->body_limit)
		return ctl_fail(err, -EINVAL, "api", "changes only with a restart");
	return 0;
}

int
ctl_config_apply(struct ctl *c, const struct conf *target, bool dry_run, char **diff,
		 struct conf_err *err)
{
	struct diff_buf d = { 0 };
	struct conf *next;
	int rc;

	if (diff != NULL)
		*diff = NULL;
	if (c->cand != NULL)
		return ctl_fail(err, -EBUSY, "", "a batch is open");
	rc = underlay_fixed_differ(&c->model->underlay, &target->underlay, err);
	if (rc == 0)
		rc = restart_fields_differ(c->model, target, err);
	if (rc != 0)
		return rc;
	/* Only the VNIs, the static entries and the underlay's live fields
	 * come from @target: the ports and the rest need a restart. */
	next = conf_dup(c->model);
	if (next == NULL)
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	ctl_model_clear_vnis_fdb(next);
	if (model_copy_vnis_fdb(next, target) != 0) {
		conf_free(next);
		return ctl_fail(err, -ENOMEM, "", "out of memory");
	}
	underlay_live_copy(&next->underlay, &target->underlay);
	c->cand = next;
	c->n_touched = 0;
	c->touch_all = true;
	describe(c->model, next, &d);
	if (diff != NULL) {
		*diff = d.s != NULL ? d.s : strdup("");
		d.s = NULL;
	}
	free(d.s);
	if (dry_run || d.n == 0) {
		ctl_batch_abort(c);
		return d.n;
	}
	rc = ctl_batch_commit(c, err);
	return rc < 0 ? rc : d.n;
}
