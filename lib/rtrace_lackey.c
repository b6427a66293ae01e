/* Valgrind lackey traces as rtrace records: lib/lackey.c reads the text
 * (plain or .xz; its errors are "PATH:LINE: what"), and each record maps
 * one to one: I -> RT_FETCH, L -> RT_LOAD, S -> RT_STORE, M -> RT_MODIFY,
 * thread 0 (lackey's output has no thread ids). */
#include "lib/rtrace_internal.h"

int rt_lackey_next(struct rtrace *t, struct rtrace_rec *rec, char *err)
{
	struct lackey_rec lr;
	int r = lackey_next(t->lk, &lr, err);
	if (r <= 0)
		return r;
	rec->addr = lr.addr;
	rec->size = lr.size;
	rec->count = 0;
	rec->tid = 0;
	switch (lr.kind) {
	case 'I': rec->kind = RT_FETCH; break;
	case 'L': rec->kind = RT_LOAD; break;
	case 'S': rec->kind = RT_STORE; break;
	default:  rec->kind = RT_MODIFY; break;     /* 'M' */
	}
	return 1;
}
