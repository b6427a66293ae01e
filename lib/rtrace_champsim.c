/* ChampSim traces as rtrace records.
 *
 * A ChampSim trace (the DPC-3 and CRC-2 corpora, and what ChampSim's Pin
 * tracer tracer/pin/champsim_tracer.cpp writes) is a headerless sequence of
 * fixed 64-byte `input_instr` records (ChampSim inc/trace_instruction.h),
 * written with memcpy on x86-64, so little-endian and naturally aligned:
 *
 *   offset size  field
 *        0    8  ip                       instruction pointer
 *        8    1  is_branch
 *        9    1  branch_taken
 *       10    2  destination_registers[2]
 *       12    4  source_registers[4]
 *       16   16  destination_memory[2]    addresses written, 0 = none
 *       32   32  source_memory[4]         addresses read, 0 = none
 *
 * Mapping (docs/recorded-traces.md): each instruction is a fetch of ip with
 * size 4 (the trace has no instruction lengths; 4 is about the x86 average),
 * then a load of each nonzero source_memory entry and a store of each
 * nonzero destination_memory entry, size 8 each (the trace has no operand
 * sizes), in array order; an instruction with no memory operand is its
 * fetch and RT_COMPUTE 1. Branch and register fields are not used. A
 * read-modify-write instruction is a load and a store, as ChampSim itself
 * models it. */
#include "lib/rtrace_internal.h"

#include <stdio.h>

#define CS_REC          64
#define CS_DMEM         16      /* offset of destination_memory[0] */
#define CS_SMEM         32      /* offset of source_memory[0] */
#define CS_NDST         2
#define CS_NSRC         4
#define CS_FETCH_SIZE   4
#define CS_DATA_SIZE    8

static void add(struct rtrace *t, uint8_t kind, uint64_t addr, uint32_t size, uint32_t count)
{
	struct rtrace_rec *r = &t->pend[t->npend++];
	r->addr = addr;
	r->size = size;
	r->count = count;
	r->tid = 0;
	r->kind = kind;
}

/* Decode the instruction at buf[pos] into pend[]. */
static void decode(struct rtrace *t, const uint8_t *p)
{
	t->ipend = t->npend = 0;
	add(t, RT_FETCH, rt_le64(p), CS_FETCH_SIZE, 0);
	for (int i = 0; i < CS_NSRC; i++) {
		uint64_t a = rt_le64(p + CS_SMEM + 8 * i);
		if (a)
			add(t, RT_LOAD, a, CS_DATA_SIZE, 0);
	}
	for (int i = 0; i < CS_NDST; i++) {
		uint64_t a = rt_le64(p + CS_DMEM + 8 * i);
		if (a)
			add(t, RT_STORE, a, CS_DATA_SIZE, 0);
	}
	if (t->npend == 1)
		add(t, RT_COMPUTE, 0, 0, 1);
}

int rt_champsim_next(struct rtrace *t, struct rtrace_rec *rec, char *err)
{
	if (t->ipend == t->npend) {
		long n = t->len - t->pos;
		if (n < CS_REC && (n = rt_fill(t, CS_REC, err)) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (n < CS_REC)
			return errf(err, "%s: instruction %llu (byte %llu): truncated record "
				    "(%ld of %d bytes)", t->path, (unsigned long long)t->instrs + 1,
				    (unsigned long long)(t->base + t->pos), n, CS_REC);
		decode(t, t->buf + t->pos);
		t->pos += CS_REC;
		t->instrs++;
	}
	*rec = t->pend[t->ipend++];
	return 1;
}
