#!/bin/sh
# handoff verify decides on what the live token reaches: total_count == 1
# and the full name of the manifest's repository. repository_selection is
# not promised in GET /installation/repositories and may describe the
# installation ("all"): it is reported, never decisive.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

SLUG=verify-live-20260621
raxx() { git-credential-raxx "$@"; }
selection() { fake_set github repos_selection -s "$1"; }

test_expect_success 'setup: a handoff for raxx-app/demo' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo \
		--bot raxx-dev-bot >out.prov 2>err.prov
'

test_expect_success 'GitHub says repository_selection "all" (the installation): sound' '
	selection installation &&
	raxx handoff verify --task-slug $SLUG >verdict 2>err &&
	test_must_be_empty err &&
	test_grep "^\[PASS\] live token [0-9a-f]* sees only raxx-app/demo (1 repository; repository_selection \"all\", as GitHub reports it)" verdict &&
	test_grep "^verdict: handoff $SLUG is sound: raxx-app/demo only" verdict
'

test_expect_success 'no repository_selection at all: sound, and said so' '
	selection absent &&
	raxx handoff verify --task-slug $SLUG >verdict 2>err &&
	test_must_be_empty err &&
	test_grep "^\[PASS\] live token [0-9a-f]* sees only raxx-app/demo (1 repository; repository_selection not given, as GitHub reports it)" verdict &&
	test_grep "^verdict: handoff $SLUG is sound" verdict
'

test_expect_success 'a token reaching a second repository fails, whatever the selection says' '
	selection token &&
	test_when_finished "fake_reset github repos_extra" &&
	fake_set github repos_extra "[\"raxx-app/other\"]" &&
	test_expect_code 9 raxx handoff verify --task-slug $SLUG >verdict 2>err &&
	test_grep "^\[FAIL\] live token: scope violation: the handoff.s live token [0-9a-f]* sees 2 repositories (raxx-app/demo, raxx-app/other), not only raxx-app/demo" verdict &&
	test_grep "^verdict: handoff $SLUG REFUSED (exit 9)" verdict
'

test_secrets_never_leak
test_done
