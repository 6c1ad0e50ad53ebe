/* Unit tests: the bot author (author.h): shapes, the noreply domain and
 * the remembered user id file. */
#define _POSIX_C_SOURCE 200809L
#include "cli/author.h"
#include "identity/config.h"
#include "base/util.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static const char api[] = "https://ghe.example.com/api/v3";

struct shape_case {
	const char *email;
	const char *name;	/* NULL: any bot */
	int want;
};

static void shapes(void)
{
	static const struct shape_case cases[] = {
		{ "190001+raxx-dev-bot[bot]@users.noreply.github.com", "raxx-dev-bot[bot]", 1 },
		{ "190001+raxx-dev-bot[bot]@users.noreply.github.com", NULL, 1 },
		{ "190001+raxx-dev-bot[bot]@x", "raxx-ops-bot[bot]", 0 },
		{ "190001+raxx-dev-bot[bot]@", NULL, 0 },
		{ "+raxx-dev-bot[bot]@x", NULL, 0 },
		{ "12a+raxx-dev-bot[bot]@x", NULL, 0 },
		{ "190001+raxx-dev-bot@x", NULL, 0 },
		{ "190001+[bot]@x", NULL, 0 },
		{ "190001+a b[bot]@x", NULL, 0 },
		{ "operator@example.com", NULL, 0 },
		{ "190001+raxx-dev-bot[bot]x@y", "raxx-dev-bot[bot]", 0 },
		{ NULL, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_int(author_is_bot_email(cases[i].email, cases[i].name), cases[i].want,
		       cases[i].email ? cases[i].email : "(null email)");
	ok(author_is_bot_name("raxx-dev-bot[bot]"), "X[bot] is a bot name");
	ok(!author_is_bot_name("[bot]"), "[bot] alone is not");
	ok(!author_is_bot_name("Operator"), "Operator is not");
	ok(!author_is_bot_name(NULL), "NULL is not");
}

static void names(void)
{
	char *n = author_name("raxx-dev-bot");
	char *e = author_email("raxx-dev-bot", 190001, "users.noreply.github.com");

	is_str(n, "raxx-dev-bot[bot]", "author_name");
	is_str(e, "190001+raxx-dev-bot[bot]@users.noreply.github.com", "author_email");
	free(n);
	free(e);
}

struct domain_case {
	const char *host;
	const char *env;	/* RAXX_NOREPLY_DOMAIN, or NULL */
	const char *want;	/* NULL: refused */
};

static void domains(void)
{
	static const struct domain_case cases[] = {
		{ "github.com", NULL, "users.noreply.github.com" },
		{ "GitHub.com:443", NULL, "users.noreply.github.com" },
		{ "ghe.example.com", NULL, "users.noreply.ghe.example.com" },
		{ "GHE.example.com:8443", NULL, "users.noreply.ghe.example.com" },
		{ "127.0.0.1:36259", NULL, "users.noreply.127.0.0.1" },
		{ "ghe.example.com", "Noreply.GHE.example.com", "noreply.ghe.example.com" },
		{ "github.com", "bad domain", NULL },
		{ "github.com", "x@y", NULL },
		{ "github.com", ".lead", NULL },
		{ "github.com", "trail.", NULL },
		{ "[::1]:8443", NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct raxx_config c = { 0 };
		char *d = NULL, name[128];
		int ret;

		c.git_read = 1;		/* no git config in a unit test */
		c.host = xstrdup(cases[i].host);
		if (cases[i].env)
			setenv("RAXX_NOREPLY_DOMAIN", cases[i].env, 1);
		else
			unsetenv("RAXX_NOREPLY_DOMAIN");
		ret = author_noreply_domain(&c, &d);
		snprintf(name, sizeof(name), "domain for host %s, env %s", cases[i].host,
			 cases[i].env ? cases[i].env : "unset");
		if (cases[i].want)
			is_str(d, cases[i].want, name);
		else
			ok(ret == RAXX_EUSAGE && !d, "%s: refused", name);
		raxx_clear_error();
		free(d);
		config_release(&c);
	}
	unsetenv("RAXX_NOREPLY_DOMAIN");
}

static char *id_file(const char *dir, const char *bot)
{
	unsigned char h[8];
	char hex[17];

	crypto_generichash(h, sizeof(h), (const unsigned char *)api, strlen(api),
			   NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return xstrfmt("%s/user-id.%s.%s", dir, bot, hex);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("# cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

struct file_case {
	const char *name;
	const char *text;
	mode_t mode;
	long long want;		/* 0: ignored */
};

static void id_files(void)
{
	char tmpl[] = "/tmp/raxx-author-XXXXXX", *dir = mkdtemp(tmpl);
	char *state, *path, *other;
	long long id = 0;
	size_t i;
	static const struct file_case cases[] = {
		{ "a good file", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\nid=190001\n", 0600, 190001 },
		{ "no final newline", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\nid=7", 0600, 7 },
		{ "open to others", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\nid=190001\n", 0644, 0 },
		{ "another API", "api=https://api.github.com\n"
		  "login=raxx-dev-bot[bot]\nid=190001\n", 0600, 0 },
		{ "another login", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-ops-bot[bot]\nid=190001\n", 0600, 0 },
		{ "id not a number", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\nid=19x\n", 0600, 0 },
		{ "id zero", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\nid=0\n", 0600, 0 },
		{ "id missing", "api=https://ghe.example.com/api/v3\n"
		  "login=raxx-dev-bot[bot]\n", 0600, 0 },
		{ "empty", "", 0600, 0 },
	};

	if (!dir) {
		ok(0, "mkdtemp");
		return;
	}
	state = xstrfmt("%s/state", dir);
	setenv("RAXX_STATE_DIR", state, 1);
	ok(!author_recall_id(api, "raxx-dev-bot", &id), "nothing remembered at first");
	ok(!author_remember_id(api, "raxx-dev-bot", 190001), "remember");
	ok(author_recall_id(api, "raxx-dev-bot", &id) && id == 190001, "recall");
	ok(!author_recall_id("https://api.github.com", "raxx-dev-bot", &id),
	   "another API has its own file");
	path = id_file(state, "raxx-dev-bot");
	{
		struct stat st;

		ok(!stat(state, &st) && (st.st_mode & 0777) == 0700, "state dir is 0700");
		ok(!stat(path, &st) && (st.st_mode & 0777) == 0600, "id file is 0600");
	}
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		id = 0;
		write_file(path, cases[i].text, cases[i].mode);
		if (cases[i].want)
			ok(author_recall_id(api, "raxx-dev-bot", &id) && id == cases[i].want,
			   "%s: read", cases[i].name);
		else
			ok(!author_recall_id(api, "raxx-dev-bot", &id), "%s: ignored",
			   cases[i].name);
	}
	/* a symlink to a good file is refused */
	other = xstrfmt("%s/elsewhere", dir);
	write_file(other, "api=https://ghe.example.com/api/v3\n"
		   "login=raxx-dev-bot[bot]\nid=5\n", 0600);
	unlink(path);
	if (symlink(other, path))
		printf("# symlink failed\n");
	ok(!author_recall_id(api, "raxx-dev-bot", &id), "a symlink: ignored");
	unlink(path);
	unlink(other);
	rmdir(state);
	rmdir(dir);
	unsetenv("RAXX_STATE_DIR");
	free(other);
	free(path);
	free(state);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	shapes();
	names();
	domains();
	id_files();
	return done_testing();
}
