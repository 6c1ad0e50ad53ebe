/*
 * doctor --all: every bot of the trusted agent map, and every bot the
 * audit log has seen, each through the bot's own checks (doctor_chain.h).
 *
 * The checks share process-wide state (the error slot, the HTTP
 * deadline), so each bot runs in a child process of its own: forked
 * after the vault login (the children reuse its session), at most
 * ALL_JOBS at a time, each with all its checks ending by its own start
 * plus --max-time. A child writes each check as one JSON line to an
 * unlinked temporary file as soon as it ends, so a child that has to be
 * stopped (ALL_GRACE_MS after its deadline: stuck outside the network
 * deadline) still leaves what it found. The parent runs the shared checks
 * meanwhile, then collects: one block per bot, in the map's order, then
 * the bots only the audit log knows, by name.
 *
 * Nothing secret crosses: the children's lines are doctor's check lines,
 * which never hold one.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_all.h"
#include "doctor_chain.h"
#include "identity/agentmap.h"
#include "store/auditlog.h"
#include "identity/identity.h"
#include "base/json.h"
#include "store/store.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* bots checked at the same time */
#define ALL_JOBS 8
/* a child past its deadline this long is stopped */
#define ALL_GRACE_MS 2000
#define ALL_POLL_MS 20
/* a check line longer than this is not a child's */
#define ALL_MAX_LINE 16384

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_STOPPED, JOB_LOST };

struct bot_job {
	char *name;
	int in_map;
	unsigned long events;	/* in the audit log */
	char *agents;		/* the map's agents of the bot, "a, b" */
	enum job_state state;
	pid_t pid;
	FILE *out;		/* the child's check lines */
	int64_t deadline;
	int status;		/* waitpid's */
	char *why;		/* JOB_LOST: why it could not run */
};

struct doctor_all {
	struct bot_job *jobs;
	size_t nr;
	long max_time;
	struct doctor_chain *chain;	/* what the vault checks found */
};

static struct bot_job *find_job(struct doctor_all *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nr; i++)
		if (!strcmp(a->jobs[i].name, name))
			return &a->jobs[i];
	return NULL;
}

static struct bot_job *add_job(struct doctor_all *a, const char *name)
{
	struct bot_job *j = find_job(a, name);

	if (j)
		return j;
	a->jobs = xrealloc(a->jobs, (a->nr + 1) * sizeof(*a->jobs));
	j = &a->jobs[a->nr++];
	memset(j, 0, sizeof(*j));
	j->name = xstrdup(name);
	j->pid = -1;
	return j;
}

/* "raxx-dev-bot, raxx-ops-bot and 3 more" */
static void list_names(struct strbuf *sb, struct doctor_all *a, int in_map)
{
	size_t i, shown = 0, more = 0;

	for (i = 0; i < a->nr; i++) {
		if (a->jobs[i].in_map != in_map)
			continue;
		if (shown == 12) {
			more++;
			continue;
		}
		sb_addf(sb, "%s%s", shown++ ? ", " : "", a->jobs[i].name);
	}
	if (more)
		sb_addf(sb, " and %zu more", more);
}

/* The bots of the audit log (both files), valid names only. */
static int audit_bots(struct doctor_all *a, unsigned long *skipped,
		      char *why, size_t n)
{
	struct audit_summary s;
	char *dir = state_dir_path();
	size_t i, k;
	int ret = 0;

	*skipped = 0;
	if (!dir)
		return 0;
	audit_summary_init(&s, 0);
	if (audit_summary_read(&s, dir, NULL, why, n))
		ret = -1;
	audit_summary_finish(&s);
	for (i = 0; i < s.nr_bots; i++) {
		const struct audit_bot_stats *b = &s.bots[i];
		unsigned long events = 0;
		struct bot_job *j;

		if (!b->bot)
			continue;	/* events without a bot: nothing to check */
		/* outside text: only a name that could be a bot becomes one */
		if (!strcmp(b->bot, AUDITLOG_MORE_BOTS) || !bot_name_ok(b->bot)) {
			(*skipped)++;
			continue;
		}
		for (k = 0; k < AUDIT_EVENTS; k++)
			events += b->count[k];
		j = add_job(a, b->bot);
		j->events = events;
	}
	audit_summary_release(&s);
	free(dir);
	return ret;
}

/* The "bots" check: which bots, from where. */
static void list_bots(struct doctor *d, struct raxx_config *c,
		      struct doctor_all *a)
{
	struct agent_map m = AGENT_MAP_INIT;
	struct strbuf in_map = STRBUF_INIT, only_log = STRBUF_INIT;
	struct strbuf notes = STRBUF_INIT;
	char *where = NULL, *map_err = NULL, why[600] = "";
	unsigned long skipped = 0;
	size_t i, k, nr_map = 0;
	int r, unread;

	r = trusted_map_load(c, &m, &where);
	if (r > 1)
		map_err = xstrdup(*raxx_errmsg() ? raxx_errmsg() : "unreadable");
	raxx_clear_error();
	for (i = 0; !r && i < m.nr_bots; i++) {
		struct bot_job *j = add_job(a, m.bots[i].name);
		struct strbuf ag = STRBUF_INIT;

		j->in_map = 1;
		for (k = 0; k < m.bots[i].nr_agents; k++)
			sb_addf(&ag, "%s%s", k ? ", " : "", m.bots[i].agents[k]);
		j->agents = sb_detach(&ag);
		nr_map++;
	}
	unread = audit_bots(a, &skipped, why, sizeof(why));

	list_names(&in_map, a, 1);
	list_names(&only_log, a, 0);
	if (only_log.len)
		sb_addf(&notes, "; in the audit log only: %s", only_log.buf);
	if (skipped)
		sb_addf(&notes, "; %lu name%s in the audit log not a bot's, "
			"skipped", skipped, skipped == 1 ? "" : "s");
	if (unread)
		sb_addf(&notes, "; the audit log cannot be read (%s), so its bots "
			"are unknown", why);

	if (map_err)
		doctor_report(d, "bots", DOCTOR_FAIL, "fix the trusted agent map "
			      "(the file and line are named), or point RAXX_BOT_MAP "
			      "at a good one", "%s%s", map_err, sb_str(&notes));
	else if (!a->nr)
		doctor_report(d, "bots", DOCTOR_FAIL, "set RAXX_BOT_MAP to the agent "
			      "map (scripts/agents/agent_bot_map.yaml), or run "
			      "doctor --all in the repository that commits it",
			      "no bot to check: %s, and no bot in the audit log%s",
			      r ? "no trusted agent map (RAXX_BOT_MAP, raxx.botMap, "
			      "or the map committed at raxx.trustedRef)" :
			      "the trusted agent map names none", sb_str(&notes));
	else if (r)
		doctor_report(d, "bots", DOCTOR_WARN, "set RAXX_BOT_MAP to the agent "
			      "map, or run doctor --all in the repository that "
			      "commits it", "%zu bot%s, from the audit log only: no "
			      "trusted agent map (RAXX_BOT_MAP, raxx.botMap, or the "
			      "map committed at raxx.trustedRef)%s", a->nr,
			      a->nr == 1 ? "" : "s", sb_str(&notes));
	else
		doctor_report(d, "bots", unread ? DOCTOR_WARN : DOCTOR_PASS, NULL,
			      "%zu bot%s: %s (the trusted map at %s)%s", a->nr,
			      a->nr == 1 ? "" : "s", nr_map ? in_map.buf : "none",
			      where, sb_str(&notes));
	agent_map_release(&m);
	free(where);
	free(map_err);
	sb_release(&in_map);
	sb_release(&only_log);
	sb_release(&notes);
}

static void lose(struct bot_job *j, const char *what)
{
	j->state = JOB_LOST;
	j->why = xstrfmt("%s: %s", what, strerror(errno));
}

static void start_job(struct doctor_all *a, struct bot_job *j)
{
	char *about;

	if (!(j->out = tmpfile())) {
		lose(j, "no temporary file for its checks");
		return;
	}
	about = j->in_map ? xstrfmt("in the trusted map (agents: %s)%s",
				    *j->agents ? j->agents : "none",
				    j->events ? ", and in the audit log" : "") :
		xstrfmt("not in the trusted map; %lu event%s in the audit log",
			j->events, j->events == 1 ? "" : "s");
	j->deadline = now_ms() + a->max_time * 1000;
	fflush(NULL);	/* nothing buffered is written twice */
	j->pid = fork();
	if (j->pid == 0) {
		/* its own process group: stopping it stops what it started */
		setpgid(0, 0);
		doctor_chain_bot_child(a->chain, j->name, about, j->deadline,
				       fileno(j->out));
	}
	free(about);
	if (j->pid < 0) {
		lose(j, "cannot start its checks (fork)");
		return;
	}
	setpgid(j->pid, j->pid);	/* both sides: whichever runs first */
	j->state = JOB_RUNNING;
}

static size_t running(const struct doctor_all *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->nr; i++)
		n += a->jobs[i].state == JOB_RUNNING;
	return n;
}

static void start_more(struct doctor_all *a)
{
	size_t i, n = running(a);

	for (i = 0; i < a->nr && n < ALL_JOBS; i++) {
		if (a->jobs[i].state != JOB_PENDING)
			continue;
		start_job(a, &a->jobs[i]);
		n += a->jobs[i].state == JOB_RUNNING;
	}
}

struct doctor_all *doctor_all_start(struct doctor *d, struct doctor_chain *ch,
				    struct raxx_config *c)
{
	struct doctor_all *a = xcalloc(1, sizeof(*a));

	a->max_time = doctor_max_time(d);
	a->chain = ch;
	list_bots(d, c, a);
	start_more(a);
	return a;
}

/* Reap what ended, stop what is overdue; 1 while any still runs. */
static int collect(struct doctor_all *a)
{
	int64_t now = now_ms();
	size_t i;
	int left = 0;

	for (i = 0; i < a->nr; i++) {
		struct bot_job *j = &a->jobs[i];
		pid_t r;

		if (j->state != JOB_RUNNING)
			continue;
		r = waitpid(j->pid, &j->status, WNOHANG);
		if (r == j->pid || (r < 0 && errno != EINTR)) {
			j->state = JOB_DONE;
			continue;
		}
		if (now > j->deadline + ALL_GRACE_MS) {
			/* the group first: a git it started goes too */
			kill(-j->pid, SIGKILL);
			kill(j->pid, SIGKILL);
			while (waitpid(j->pid, &j->status, 0) < 0 && errno == EINTR)
				;
			j->state = JOB_STOPPED;
			continue;
		}
		left = 1;
	}
	return left;
}

static int pending(const struct doctor_all *a)
{
	size_t i;

	for (i = 0; i < a->nr; i++)
		if (a->jobs[i].state == JOB_PENDING)
			return 1;
	return 0;
}

static void wait_all(struct doctor_all *a)
{
	struct timespec ts = { 0, ALL_POLL_MS * 1000000L };

	for (;;) {
		start_more(a);
		if (!collect(a) && !pending(a))
			return;
		nanosleep(&ts, NULL);
	}
}

static int status_of(const char *s)
{
	int i;

	for (i = 0; s && i < 4; i++)
		if (!strcmp(s, doctor_status_names[i]))
			return i;
	return -1;
}

static struct json_object *check_obj(const char *name, int st,
				     const char *detail, const char *fix)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status",
			       json_object_new_string(doctor_status_names[st]));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_object_add(o, "fix", fix ? json_object_new_string(fix) : NULL);
	return o;
}

/* The child's check lines into checks; counted in counts. */
static void read_checks(struct bot_job *j, struct json_object *checks,
			int counts[4])
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!j->out)
		return;
	rewind(j->out);
	while ((n = getline(&line, &cap, j->out)) > 0) {
		struct json_object *o;
		const char *name, *detail, *fix;
		int st;

		if (n > ALL_MAX_LINE || line[n - 1] != '\n')
			continue;	/* cut short by a stop: not a whole check */
		o = json_parse(line, (size_t)n - 1);
		name = json_str(o, "name");
		detail = json_str(o, "detail");
		fix = json_str(o, "fix");
		st = status_of(json_str(o, "status"));
		if (name && detail && st >= 0) {
			json_object_array_add(checks, check_obj(name, st, detail, fix));
			counts[st]++;
		}
		json_object_put(o);
	}
	free(line);
}

/* One bot's block: its checks, and a FAIL of its own when it did not
 * end as it should. Returns the block (JSON) and fills counts. */
static struct json_object *block_of(struct bot_job *j, long max_time,
				    int counts[4])
{
	struct json_object *b = json_object_new_object();
	struct json_object *checks = json_object_new_array();
	char *detail = NULL, *fix = NULL;

	memset(counts, 0, 4 * sizeof(*counts));
	read_checks(j, checks, counts);
	if (j->state == JOB_STOPPED) {
		detail = xstrfmt("%s: its checks did not end within %ld s "
				 "(--max-time): stopped%s", j->name, max_time,
				 json_object_array_length(checks) ? "; the lines "
				 "above are those that ended" : "");
		fix = xstrfmt("git-credential-raxx --bot %s doctor shows the "
			      "slow step; or raise --max-time", j->name);
	} else if (j->state == JOB_LOST) {
		detail = xstrfmt("%s: not checked: %s", j->name, j->why);
		fix = xstrdup("retry; if it lasts, run git-credential-raxx --bot "
			      "BOT doctor for each bot");
	} else if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) ||
		   !json_object_array_length(checks)) {
		detail = WIFSIGNALED(j->status) ?
			xstrfmt("%s: its checks ended early (signal %d)", j->name,
				WTERMSIG(j->status)) :
			xstrfmt("%s: its checks ended early (exit %d)", j->name,
				WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1);
		fix = xstrfmt("run git-credential-raxx --bot %s doctor", j->name);
	}
	if (detail) {
		json_object_array_add(checks, check_obj("deadline", DOCTOR_FAIL,
							detail, fix));
		counts[DOCTOR_FAIL]++;
	}
	free(detail);
	free(fix);
	json_object_object_add(b, "bot", json_object_new_string(j->name));
	json_object_object_add(b, "in_map", json_object_new_boolean(j->in_map));
	json_object_object_add(b, "audit_events", json_object_new_int64((int64_t)
								       j->events));
	json_object_object_add(b, "checks", checks);
	json_object_object_add(b, "pass", json_object_new_int(counts[DOCTOR_PASS]));
	json_object_object_add(b, "warn", json_object_new_int(counts[DOCTOR_WARN]));
	json_object_object_add(b, "fail", json_object_new_int(counts[DOCTOR_FAIL]));
	json_object_object_add(b, "skip", json_object_new_int(counts[DOCTOR_SKIP]));
	json_object_object_add(b, "stopped",
			       json_object_new_boolean(j->state == JOB_STOPPED));
	json_object_object_add(b, "exit",
			       json_object_new_int(counts[DOCTOR_FAIL] ? 1 : 0));
	return b;
}

static void print_block(struct doctor *d, const char *name,
			struct json_object *b, int failed)
{
	struct json_object *checks = NULL;
	size_t i;

	/* --quiet: only the FAIL lines, under the name of their bot */
	if (doctor_is_json(d) || (!failed && !doctor_chatty(d)))
		return;
	out_line("== %s: %s", name, failed ? "FAIL" : "PASS");
	json_object_object_get_ex(b, "checks", &checks);
	for (i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *o = json_object_array_get_idx(checks, i);

		doctor_print(d, (enum doctor_status)status_of(json_str(o, "status")),
			     json_str(o, "name"), json_str(o, "fix"),
			     json_str(o, "detail"));
	}
}

static void release(struct doctor_all *a)
{
	size_t i;

	for (i = 0; i < a->nr; i++) {
		free(a->jobs[i].name);
		free(a->jobs[i].agents);
		free(a->jobs[i].why);
		if (a->jobs[i].out)
			fclose(a->jobs[i].out);
	}
	free(a->jobs);
	free(a);
}

void doctor_all_finish(struct doctor *d, struct doctor_all *a)
{
	struct json_object *bots = json_object_new_object();
	struct json_object *summary = json_object_new_object();
	struct json_object *failed_names = json_object_new_array();
	struct strbuf failed = STRBUF_INIT;
	int shared[4], counts[4];
	size_t i, nr_failed = 0;

	doctor_counts(d, shared, NULL);
	wait_all(a);
	for (i = 0; i < a->nr; i++) {
		struct bot_job *j = &a->jobs[i];
		struct json_object *b = block_of(j, a->max_time, counts);
		int bad = counts[DOCTOR_FAIL] > 0;

		if (bad) {
			nr_failed++;
			sb_addf(&failed, "%s%s", failed.len ? ", " : "", j->name);
			json_object_array_add(failed_names,
					      json_object_new_string(j->name));
		}
		print_block(d, j->name, b, bad);
		doctor_counts(d, NULL, counts);
		json_object_object_add(bots, j->name, b);
	}
	json_object_object_add(summary, "bots", json_object_new_int((int)a->nr));
	json_object_object_add(summary, "pass",
			       json_object_new_int((int)(a->nr - nr_failed)));
	json_object_object_add(summary, "fail", json_object_new_int((int)nr_failed));
	json_object_object_add(summary, "failed", failed_names);
	doctor_json_add(d, "bots", bots);
	doctor_json_add(d, "summary", summary);
	if (doctor_chatty(d))
		out_line("doctor --all: %zu bot%s, %zu PASS, %zu FAIL%s%s%s; shared "
			 "checks: %d PASS, %d WARN, %d FAIL, %d SKIP", a->nr,
			 a->nr == 1 ? "" : "s", a->nr - nr_failed, nr_failed,
			 failed.len ? " (" : "", sb_str(&failed),
			 failed.len ? ")" : "", shared[DOCTOR_PASS],
			 shared[DOCTOR_WARN], shared[DOCTOR_FAIL],
			 shared[DOCTOR_SKIP]);
	sb_release(&failed);
	release(a);
}
