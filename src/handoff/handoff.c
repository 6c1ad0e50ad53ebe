/*
 * The `handoff` action: its usage, and the subcommand each word names.
 * The subcommands are in handoff_provision.c, handoff_verify.c (verify and
 * list), handoff_revoke.c and handoff_attach.c (attach and detach), what
 * they share in handoff_cmd.c. The policy is handoff_manifest.h's, the
 * manifest's places handoff_store.h's, the tokens token.h's.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff.h"
#include "handoff_cmd.h"
#include "base/util.h"

#include <string.h>

const char handoff_usage[] =
"usage: git-credential-raxx handoff provision --task-slug SLUG --repo OWNER/REPO\n"
"                           [--bot BOT] [--ttl-hours H] [--permissions LIST]\n"
"   or: git-credential-raxx handoff verify --task-slug SLUG\n"
"   or: git-credential-raxx handoff revoke --task-slug SLUG\n"
"   or: git-credential-raxx handoff list\n"
"   or: git-credential-raxx handoff attach SLUG | detach\n"
"\n"
"A handoff identity for an unattended agent: one repository, at most\n"
"contents:write, pull_requests:write and issues:write, for at most 24 hours,\n"
"governed by {prefix}/handoffs/SLUG/PROVISION_MANIFEST in the vault.\n"
"  provision   write the manifest after checking the App reaches the\n"
"              repository (progress on stderr, the revoke command last);\n"
"              --ttl-hours 1-24 (default 24), --permissions e.g.\n"
"              contents:write,pull_requests:write (default: all three)\n"
"  verify      check the manifest and that a live token sees only its\n"
"              repository; exit 9 on a scope violation or expiry\n"
"  revoke      delete the manifest, revoke every token of the slug\n"
"              recorded in the vault (minted on any machine) and in this\n"
"              machine's cache; exit 8 when there was nothing\n"
"  list        the slugs under {prefix}/handoffs with repo and expiry\n"
"  attach      make this worktree a handoff worktree (raxx.handoff in its\n"
"              own config); detach undoes it. RAXX_HANDOFF does the same\n"
"              for one process. There get, token, exec and gh mint only\n"
"              what the manifest allows, and never fall back to the\n"
"              operator token.\n";

int handoff_main(struct raxx_config *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	int ret;

	if (!sub) {
		fputs(handoff_usage, stderr);
		return RAXX_EUSAGE;
	}
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		fputs(handoff_usage, stdout);
		return 0;
	}
	raxx_clear_error();
	if (!strcmp(sub, "provision"))
		ret = handoff_cmd_provision(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "verify"))
		ret = handoff_cmd_verify(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "revoke"))
		ret = handoff_cmd_revoke(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "list"))
		ret = handoff_cmd_list(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "attach"))
		ret = handoff_cmd_attach(c, argc - 1, argv + 1, 0);
	else if (!strcmp(sub, "detach"))
		ret = handoff_cmd_attach(c, argc - 1, argv + 1, 1);
	else
		return ho_usage_err(sub, "unknown handoff action (provision, verify, "
				    "revoke, list, attach, detach)");
	if (ret == HO_HELP) {
		fputs(handoff_usage, stdout);
		return 0;
	}
	if (ret && *raxx_errmsg())	/* ho_usage_err() has said it already */
		error_msg("%s", raxx_errmsg());
	return ret;
}
