/*
 * A token's release: the contract is in token_value.h.
 */
#include "token_value.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void token_release(struct token *t)
{
	free_secret(t->value);
	free(t->bot);
	free(t->repo);
	free(t->installation_id);
	memset(t, 0, sizeof(*t));
}
