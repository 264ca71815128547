/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepd: a VXLAN tunnel endpoint on DPDK.
 *
 *   vtepd -c FILE [--check] [--state-recover] [-- EAL arguments...]
 *
 * The main lcore runs the control thread; every other lcore is a worker.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vtepd.h"

struct vtepd vd;
int vtepd_logtype;

static volatile sig_atomic_t stats_requested;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_requested = 1;
	else
		__atomic_store_n(&vd.quit, true, __ATOMIC_RELAXED);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vtepd -c FILE [--check] [--state-recover] [-- EAL arguments...]\n"
		"  -c, --config FILE  configuration (YAML); see docs/CONFIG.md\n"
		"      --check        validate the configuration (and the state file) and exit\n"
		"      --state-recover  a state file that does not load is renamed aside\n"
		"                     (never deleted) and vtepd starts from the YAML\n"
		"  -h, --help         this text\n"
		"EAL arguments come from the file's 'eal' list, then from after '--'.\n"
		"Signals: SIGUSR1 prints the counters, SIGINT/SIGTERM stop.\n");
}

/* The REST API, when the configuration has an api section. */
static int
api_begin(struct vtepd *d)
{
	const struct conf_api *a = &d->conf->api;
	char token[API_TOKEN_MAX + 1], err[512];
	struct api_params p;
	int rc;

	if (!a->enabled)
		return 0;
	if (a->has_token_file) {
		rc = api_token_read(a->token_file, token, sizeof(token), err, sizeof(err));
		if (rc != 0) {
			VLOG(ERR, "api: token_file %s: %s", a->token_file, err);
			return rc;
		}
	}
	memset(&p, 0, sizeof(p));
	p.ctl = d->ctl;
	p.conf = a;
	p.token = a->has_token_file ? token : NULL;
	p.version = VTEP_VERSION;
	p.start_ms = api_mono_ms();
	p.n_workers = d->n_workers;
	d->api = api_start(&p, err, sizeof(err));
	explicit_bzero(token, sizeof(token));
	if (d->api == NULL) {
		VLOG(ERR, "api: %s", err);
		return -EINVAL;
	}
	VLOG(INFO, "api: listening on %s:%u%s", a->listen_host, api_port(d->api),
	     a->has_token_file ? "" : " without a token (loopback only)");
	return 0;
}

static int
run(void)
{
	struct sigaction sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	for (i = 0; i < vd.n_workers; i++)
		rte_eal_remote_launch(worker_main, vd.workers[i], vd.workers[i]->lcore);
	VLOG(INFO, "running: %u worker(s), %u port(s), %u VNI(s)", vd.n_workers,
	     vd.n_ports, vd.conf->n_vnis);

	while (!__atomic_load_n(&vd.quit, __ATOMIC_RELAXED)) {
		control_poll(&vd);
		if (stats_requested) {
			stats_requested = 0;
			control_stats_print(&vd, stdout);
		}
		/* The control thread is not a poller: it wakes every 100 us. */
		rte_delay_us_sleep(100);
	}
	rte_eal_mp_wait_lcore();
	/* What the workers punted or learned last is applied before the
	 * final counters. */
	control_poll(&vd);
	control_stats_print(&vd, stdout);
	return 0;
}

/*
 * The configuration to run: the YAML, then the state file of the changes
 * accepted at run time, which wins for VNIs, FDB entries, flood lists and
 * the underlay's live fields. A state file that does not load stops vtepd,
 * unless @recover: then it is renamed aside, never deleted.
 */
static struct conf *
load_with_state(const char *path, bool recover)
{
	struct conf *base, *state, *merged;
	struct conf_err cerr;
	struct stat st;
	char err[512], aside[4200];

	base = conf_load(path, err, sizeof(err));
	if (base == NULL) {
		fprintf(stderr, "vtepd: %s\n", err);
		return NULL;
	}
	if (base->state_file == NULL)
		return base;
	/* Only a state file that does not exist means "no state yet": one
	 * that cannot be read is an error, never a silent fresh start. */
	if (stat(base->state_file, &st) != 0 && errno == ENOENT)
		return base;
	state = conf_load(base->state_file, err, sizeof(err));
	merged = NULL;
	if (state != NULL) {
		merged = conf_merge_state(base, state, &cerr);
		if (merged == NULL)
			snprintf(err, sizeof(err), "%s: %s: %s", base->state_file, cerr.field,
				 cerr.reason);
		conf_free(state);
	}
	if (merged != NULL) {
		conf_free(base);
		return merged;
	}
	if (!recover) {
		fprintf(stderr, "vtepd: state file: %s\n"
			"vtepd: fix it, or start with --state-recover to set it aside "
			"and start from %s\n", err, path);
		conf_free(base);
		return NULL;
	}
	snprintf(aside, sizeof(aside), "%s.bad.%ld", base->state_file, (long)time(NULL));
	if (rename(base->state_file, aside) != 0) {
		fprintf(stderr, "vtepd: state file: %s; cannot rename it to %s: %s\n", err, aside,
			strerror(errno));
		conf_free(base);
		return NULL;
	}
	fprintf(stderr, "vtepd: state file: %s\nvtepd: renamed to %s; starting from %s\n", err,
		aside, path);
	return base;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "state-recover", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false, recover = false;
	char *eal_argv[CONF_MAX_EAL_ARGS * 2 + 2];
	int eal_argc = 0, opt, rc, i;
	struct rte_rcu_qsbr *qsbr;
	size_t sz;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'r':
			recover = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	vd.conf = load_with_state(path, recover);
	if (vd.conf == NULL)
		return 1;
	if (check) {
		printf("vtepd: %s: valid\n", path);
		conf_free(vd.conf);
		return 0;
	}

	eal_argv[eal_argc++] = argv[0];
	for (i = 0; i < (int)vd.conf->n_eal_args; i++)
		eal_argv[eal_argc++] = vd.conf->eal_args[i];
	for (i = optind; i < argc && eal_argc < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "vtepd: EAL: %s\n", rte_strerror(rte_errno));
		conf_free(vd.conf);
		return 1;
	}
	vtepd_logtype = rte_log_register_type_and_pick_level("vtepd", RTE_LOG_INFO);
	vd.tsc_hz = rte_get_tsc_hz();
	vd.tsc0 = rte_rdtsc();
	capture_init();

	rc = workers_create(&vd);
	if (rc != 0)
		goto out;
	sz = rte_rcu_qsbr_get_memsize(vd.n_workers);
	qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, vd.n_workers) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	vd.qsbr = qsbr;
	vd.learn = fdb_learn_ring_create("learn", 4096, (int)rte_socket_id());
	vd.punt = rte_ring_create("punt", 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (vd.learn == NULL || vd.punt == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Ports need the main pool; the pools need to know the underlay's
	 * capabilities: pools first, replication mode after the ports. */
	rc = pools_create(&vd);
	if (rc != 0)
		goto out;
	rc = port_setup_all(&vd);
	if (rc != 0)
		goto out;
	if (vd.ports[vd.underlay].multi_seg) {
		vd.bum.hdr = vd.hdr_pool;
		vd.bum.clone = vd.clone_pool;
	}
	queues_assign(&vd);
	rc = control_init(&vd);
	if (rc != 0)
		goto out;
	rc = telemetry_start(&vd);
	if (rc != 0)
		goto out;
	rc = api_begin(&vd);
	if (rc != 0)
		goto out;
	rc = run();
out:
	telemetry_stop(&vd);
	/* Before the ports close: no request of dpdk-dumpcap to start or stop
	 * a capture is served while they go. */
	capture_fini();
	vtepd_free(&vd);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
