/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepctl: nouns and verbs over vtepd's REST API. The command table below
 * is the one list of commands: it feeds dispatch, the usage of each
 * command and "vtepctl help"; the tests check the bash completion and the
 * man page against that help.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "vtepctl.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT_S 5.0
#define TOKEN_MAX 4096

static const struct vtepctl_cmd commands[] = {
	{ "vni", "list", cmd_vni_list, 0, 0, 0, "", "every VNI" },
	{ "vni", "show", cmd_vni_show, 0, 1, 1, "VNI", "one VNI, field by field" },
	{ "vni", "add", cmd_vni_add, 0, 1, -1, "VNI FIELD VALUE...",
	  "create a VNI (it must not exist)" },
	{ "vni", "set", cmd_vni_set, 0, 2, -1, "VNI FIELD VALUE...",
	  "change the named fields of a VNI, keep the others" },
	{ "vni", "del", cmd_vni_del, 0, 1, 1, "VNI",
	  "delete a VNI with its FDB entries and counters" },
	{ "fdb", "show", cmd_fdb_show, OPT_VNI | OPT_LEARNED | OPT_STATIC, 0, 0,
	  "[--vni N] [--learned|--static]", "FDB entries, of every VNI or of one" },
	{ "fdb", "add", cmd_fdb_add, 0, 4, 6, "VNI MAC remote IP|port PORT [vlan VLAN]",
	  "add a static entry" },
	{ "fdb", "del", cmd_fdb_del, 0, 2, 2, "VNI MAC", "delete one entry" },
	{ "fdb", "flush", cmd_fdb_flush, 0, 1, 1, "VNI", "flush the learned entries of a VNI" },
	{ "flood", "add", cmd_flood_add, 0, 2, 2, "VNI IP", "add a remote VTEP to a VNI's flood list" },
	{ "flood", "del", cmd_flood_del, 0, 2, 2, "VNI IP",
	  "remove a remote VTEP from a VNI's flood list" },
	{ "neigh", NULL, cmd_neigh, 0, 0, 0, "", "the underlay's ARP cache" },
	{ "port", "list", cmd_port_list, 0, 0, 0, "", "ports: role, MAC, queues, link, counters" },
	{ "underlay", "show", cmd_underlay_show, 0, 0, 0, "", "the underlay, field by field" },
	{ "underlay", "set", cmd_underlay_set, 0, 2, -1, "FIELD VALUE...",
	  "change ttl, tos, df, ecn, source_ports or mtu live" },
	{ "stats", NULL, cmd_stats, OPT_VNI | OPT_WATCH | OPT_COUNT, 0, 0,
	  "[--vni N] [--watch [S]] [--count N]", "counters, refreshed every S s with rates" },
	{ "config", "get", cmd_config_get, 0, 0, 0, "", "the running configuration (YAML)" },
	{ "config", "apply", cmd_config_apply, OPT_DRY_RUN, 1, 1, "FILE [--dry-run]",
	  "show the difference, then apply a whole configuration (YAML or JSON)" },
	{ "health", NULL, cmd_health, 0, 0, 0, "", "status, version, uptime and workers" },
	{ "routes", NULL, cmd_routes, 0, 0, 0, "", "the routes of the REST API" },
	{ "help", NULL, NULL, 0, 0, 1, "[NOUN]", "this help, or the commands of one noun" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum opt_id { O_SERVER, O_TOKEN_FILE, O_TIMEOUT, O_JSON, O_HELP, O_VERSION, O_VNI, O_LEARNED,
	      O_STATIC, O_WATCH, O_COUNT, O_DRY_RUN };

enum opt_arg { NO_ARG, ARG, OPTIONAL_NUMBER };

static const struct opt {
	enum opt_id id;
	const char *name;
	char short_name;
	enum opt_arg arg;
	unsigned bit; /* OPT_* of a command option, 0 for a global one */
	const char *argname;
	const char *help;
} options[] = {
	{ O_JSON, "json", 'j', NO_ARG, 0, NULL, "print the API's JSON unchanged, for scripts" },
	{ O_SERVER, "server", 0, ARG, 0, "URL",
	  "the API (env VTEPCTL_SERVER, default " DEFAULT_SERVER ")" },
	{ O_TOKEN_FILE, "token-file", 0, ARG, 0, "FILE",
	  "send the token of FILE (env VTEPCTL_TOKEN_FILE)" },
	{ O_TIMEOUT, "timeout", 0, ARG, 0, "S", "give up on a request after S seconds (default 5)" },
	{ O_HELP, "help", 'h', NO_ARG, 0, NULL, "this help" },
	{ O_VERSION, "version", 0, NO_ARG, 0, NULL, "the version of vtepctl" },
	{ O_VNI, "vni", 0, ARG, OPT_VNI, "N", "only VNI N" },
	{ O_LEARNED, "learned", 0, NO_ARG, OPT_LEARNED, NULL, "only learned entries" },
	{ O_STATIC, "static", 0, NO_ARG, OPT_STATIC, NULL, "only static entries" },
	{ O_WATCH, "watch", 0, OPTIONAL_NUMBER, OPT_WATCH, "[S]",
	  "refresh every S seconds (default 1), with rates" },
	{ O_COUNT, "count", 0, ARG, OPT_COUNT, "N", "stop after N refreshes" },
	{ O_DRY_RUN, "dry-run", 0, NO_ARG, OPT_DRY_RUN, NULL, "show the difference only" },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char *
verbs_of(const char *noun, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].noun, noun) == 0 && commands[i].verb != NULL)
			n += snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? ", " : "",
				      commands[i].verb);
	return buf;
}

static void
print_synopsis(FILE *f, const char *prefix, const struct vtepctl_cmd *cmd)
{
	fprintf(f, "%s%s%s%s%s%s", prefix, cmd->noun, cmd->verb ? " " : "",
		cmd->verb ? cmd->verb : "", cmd->usage[0] ? " " : "", cmd->usage);
}

int
vtepctl_usage(const struct vtepctl *c, const char *fmt, ...)
{
	const char *lead = "usage: ";
	bool any = false;
	va_list ap;

	fputs("vtepctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* The command's usage; for a noun without a (known) verb, its verbs'. */
	for (size_t i = 0; c != NULL && i < N_COMMANDS; i++) {
		if (c->cmd ? c->cmd != &commands[i] :
			     c->noun == NULL || strcmp(c->noun, commands[i].noun) != 0)
			continue;
		fputs(lead, stderr);
		print_synopsis(stderr, "vtepctl ", &commands[i]);
		fputc('\n', stderr);
		lead = "       ";
		any = true;
	}
	if (!any)
		fputs("usage: vtepctl [OPTIONS] NOUN [VERB] [ARGS...]; \"vtepctl help\" lists them\n",
		      stderr);
	return VTEPCTL_ERR_USAGE;
}

static bool
noun_known(const char *noun)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].noun, noun) == 0)
			return true;
	return false;
}

static int
help(const char *noun)
{
	struct vtepctl_table *t;

	if (noun != NULL && !noun_known(noun))
		return vtepctl_usage(NULL, "help: no command %s", noun);
	t = vtepctl_table_new(2, NULL);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct vtepctl_cmd *cmd = &commands[i];
		char *syn;
		size_t len;
		FILE *f;

		if (noun != NULL && strcmp(cmd->noun, noun) != 0)
			continue;
		f = open_memstream(&syn, &len);
		print_synopsis(f, "  ", cmd);
		fclose(f);
		vtepctl_table_row(t, (const char *const[]){ syn, cmd->help });
		free(syn);
	}
	printf("usage: vtepctl [OPTIONS] NOUN [VERB] [ARGS...]\n\nCommands:\n");
	vtepctl_table_print(t, stdout);
	if (noun == NULL || strcmp(noun, "vni") == 0)
		printf("\nFields of vni add and set, in the API's words (docs/CONFIG.md):\n"
		       "  access PORT [vlan VLAN]   a binding; repeat for several\n"
		       "  flood head-end|multicast, remote IP (repeat; \"none\": an empty list),\n"
		       "  group IP, learning on|off, mac_limit N, ageing S, inner_vlan drop|accept,\n"
		       "  bum_limit_pps N, service_node IP, replicator on|off, arp_suppress on|off\n"
		       "  vni set: FIELD none takes a field back to its default\n");
	if (noun == NULL) {
		t = vtepctl_table_new(2, NULL);
		for (size_t i = 0; i < N_OPTIONS; i++) {
			const struct opt *o = &options[i];
			const char *arg = o->argname ? o->argname : "";
			char *s = o->short_name ?
				vtepctl_fmt("  -%c, --%s %s", o->short_name, o->name, arg) :
				vtepctl_fmt("      --%s %s", o->name, arg);
			vtepctl_table_row(t, (const char *const[]){ s, o->help });
			free(s);
		}
		printf("\nOptions:\n");
		vtepctl_table_print(t, stdout);
		printf("\nExit status: 0 done, 1 the API refused (its reason on stderr), "
		       "2 usage, 3 no answer.\n");
	}
	return VTEPCTL_OK;
}

static const struct opt *
find_option(const char *arg, const char **value)
{
	*value = NULL;
	if (arg[1] != '-') {
		for (size_t i = 0; i < N_OPTIONS; i++)
			if (options[i].short_name == arg[1] && arg[2] == '\0')
				return &options[i];
		return NULL;
	}
	for (size_t i = 0; i < N_OPTIONS; i++) {
		size_t n = strlen(options[i].name);
		if (strncmp(arg + 2, options[i].name, n) == 0 &&
		    (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
			if (arg[2 + n] == '=')
				*value = arg + 3 + n;
			return &options[i];
		}
	}
	return NULL;
}

static bool
parse_number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out > 0 && *out < 1e9;
}

static int
read_token(struct vtepctl *c, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "vtepctl: token file %s: %s\n", path, strerror(errno));
		return VTEPCTL_ERR_USAGE;
	}
	c->token = malloc(TOKEN_MAX + 1);
	if (c->token == NULL) {
		fclose(f);
		fputs("vtepctl: out of memory\n", stderr);
		return VTEPCTL_ERR_USAGE;
	}
	n = fread(c->token, 1, TOKEN_MAX + 1, f);
	fclose(f);
	if (n > TOKEN_MAX) {
		fprintf(stderr, "vtepctl: token file %s: over %d bytes\n", path, TOKEN_MAX);
		return VTEPCTL_ERR_USAGE;
	}
	c->token[n] = '\0';
	/* The file's content without its trailing newline, as vtepd reads it. */
	if (n > 0 && c->token[n - 1] == '\n')
		c->token[--n] = '\0';
	if (n > 0 && c->token[n - 1] == '\r')
		c->token[--n] = '\0';
	return VTEPCTL_OK;
}

/* Options anywhere on the line, as iproute2 takes them; the rest are the
 * noun, the verb and their arguments, in order. */
static int
parse_options(struct vtepctl *c, int argc, char **argv, char **pos, int *npos,
	      const char **token_file, bool *want_help, bool *want_version)
{
	bool no_more = false;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct opt *o;
		double num;

		/* "-" is stdin, "-5" a (bad) value for the API to judge. */
		if (no_more || arg[0] != '-' || arg[1] == '\0' || (arg[1] >= '0' && arg[1] <= '9')) {
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			no_more = true;
			continue;
		}
		o = find_option(arg, &value);
		if (o == NULL)
			return vtepctl_usage(NULL, "unknown option %s", arg);
		if (o->arg == NO_ARG && value != NULL)
			return vtepctl_usage(NULL, "--%s takes no value", o->name);
		if (o->arg == ARG && value == NULL) {
			if (i + 1 >= argc)
				return vtepctl_usage(NULL, "--%s needs a value (%s)", o->name, o->argname);
			value = argv[++i];
		}
		if (o->arg == OPTIONAL_NUMBER && value == NULL && i + 1 < argc &&
		    parse_number(argv[i + 1], &num))
			value = argv[++i];
		c->opts |= o->bit;
		switch (o->id) {
		case O_SERVER:
			c->server = value;
			break;
		case O_TOKEN_FILE:
			*token_file = value;
			break;
		case O_TIMEOUT:
			if (!parse_number(value, &num))
				return vtepctl_usage(NULL, "--timeout %s: not a number of seconds", value);
			c->timeout_ms = (long)(num * 1000 + 0.5);
			if (c->timeout_ms < 1)
				c->timeout_ms = 1;
			break;
		case O_JSON:
			c->json = true;
			break;
		case O_HELP:
			*want_help = true;
			break;
		case O_VERSION:
			*want_version = true;
			break;
		case O_VNI:
			/* An empty VNI would make the path /v1/vnis//stats. */
			if (value[0] == '\0')
				return vtepctl_usage(NULL, "--vni needs a value (%s)", o->argname);
			c->vni = value;
			break;
		case O_WATCH:
			c->watch_s = 1.0;
			if (value != NULL && !parse_number(value, &c->watch_s))
				return vtepctl_usage(NULL, "--watch %s: not a number of seconds", value);
			break;
		case O_COUNT:
			if (!parse_number(value, &num) || num != (long)num)
				return vtepctl_usage(NULL, "--count %s: not a positive integer", value);
			c->count = (long)num;
			break;
		case O_LEARNED:
		case O_STATIC:
		case O_DRY_RUN:
			break;
		}
	}
	return VTEPCTL_OK;
}

static const struct vtepctl_cmd *
find_command(struct vtepctl *c, char **pos, int npos, int *used, int *rc)
{
	char verbs[256];

	*rc = VTEPCTL_OK;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].noun, pos[0]) != 0)
			continue;
		if (commands[i].verb == NULL) {
			*used = 1;
			return &commands[i];
		}
		if (npos > 1 && strcmp(commands[i].verb, pos[1]) == 0) {
			*used = 2;
			return &commands[i];
		}
	}
	if (!noun_known(pos[0])) {
		*rc = vtepctl_usage(c, "unknown command %s", pos[0]);
		return NULL;
	}
	c->noun = pos[0];
	verbs_of(pos[0], verbs, sizeof(verbs));
	if (npos < 2)
		*rc = vtepctl_usage(c, "%s: a verb is needed: %s", pos[0], verbs);
	else
		*rc = vtepctl_usage(c, "%s: unknown verb %s (%s)", pos[0], pos[1], verbs);
	return NULL;
}

static int
check_command(struct vtepctl *c, int nargs, char **args)
{
	const struct vtepctl_cmd *cmd = c->cmd;
	unsigned extra = c->opts & ~cmd->opts;

	for (size_t i = 0; extra && i < N_OPTIONS; i++)
		if (options[i].bit & extra)
			return vtepctl_usage(c, "--%s is not an option of %s%s%s", options[i].name,
					     cmd->noun, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
	if (nargs < cmd->min_args)
		return vtepctl_usage(c, "missing arguments");
	if (cmd->max_args >= 0 && nargs > cmd->max_args)
		return vtepctl_usage(c, "unexpected argument %s", args[cmd->max_args]);
	/* An empty word is no VNI, MAC or value: as a path segment it would
	 * name another route ("vni del ''" is DELETE /v1/vnis/). */
	for (int i = 0; i < nargs; i++)
		if (args[i][0] == '\0')
			return vtepctl_usage(c, "argument %d is empty", i + 1);
	return VTEPCTL_OK;
}

int
main(int argc, char **argv)
{
	struct vtepctl c = {
		.server = getenv("VTEPCTL_SERVER"),
		.timeout_ms = (long)(DEFAULT_TIMEOUT_S * 1000),
	};
	const char *token_file = getenv("VTEPCTL_TOKEN_FILE");
	bool want_help = false, want_version = false;
	char **pos = calloc(argc + 1, sizeof(char *));
	int npos, used = 0, rc;
	char *server = NULL;
	size_t n;

	if (pos == NULL)
		return VTEPCTL_ERR_USAGE;
	rc = parse_options(&c, argc, argv, pos, &npos, &token_file, &want_help, &want_version);
	if (rc != VTEPCTL_OK)
		goto out;
	if (want_version) {
		printf("vtepctl %s\n", VTEP_VERSION);
		goto out;
	}
	if (want_help || npos == 0 || strcmp(pos[0], "help") == 0) {
		const char *noun = npos > 0 && strcmp(pos[0], "help") != 0 ? pos[0] :
				   npos > 1 ? pos[1] : NULL;
		if (npos == 0 && !want_help)
			rc = vtepctl_usage(NULL, "a command is needed");
		else
			rc = help(noun);
		goto out;
	}
	c.cmd = find_command(&c, pos, npos, &used, &rc);
	if (c.cmd == NULL)
		goto out;
	rc = check_command(&c, npos - used, pos + used);
	if (rc != VTEPCTL_OK)
		goto out;
	if (c.server == NULL || c.server[0] == '\0')
		c.server = DEFAULT_SERVER;
	/* "http://host:port/" and "http://host:port" are the same server. */
	n = strlen(c.server);
	while (n > 0 && c.server[n - 1] == '/')
		n--;
	c.server = server = vtepctl_fmt("%.*s", (int)n, c.server);
	if (token_file != NULL && token_file[0] != '\0') {
		rc = read_token(&c, token_file);
		if (rc != VTEPCTL_OK)
			goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fputs("vtepctl: cannot initialise libcurl\n", stderr);
		rc = VTEPCTL_ERR_CONNECT;
		goto out;
	}
	rc = c.cmd->fn(&c, npos - used, pos + used);
	if (fflush(stdout) != 0 && rc == VTEPCTL_OK) {
		fprintf(stderr, "vtepctl: stdout: %s\n", strerror(errno));
		rc = VTEPCTL_ERR_USAGE;
	}
	vtepctl_http_close();
	curl_global_cleanup();
out:
	free(server);
	free(c.token);
	free(pos);
	return rc;
}
