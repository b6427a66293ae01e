/* GFP flags: what an allocation may do and where its memory may come from,
 * with the meanings of Linux's include/linux/gfp_types.h (our own bit
 * values). The zone modifiers pick the highest zone allowed; the mobility
 * bits pick the migratetype; the reclaim bits say whether the allocator may
 * wake kswapd, reclaim or compact directly. */
#ifndef MMSIM_GFP_H
#define MMSIM_GFP_H

#include <stdint.h>

typedef uint32_t gfp_t;

/* zone modifiers */
#define __GFP_DMA            0x00000001u  /* ZONE_DMA (< 16 MiB) only */
#define __GFP_DMA32          0x00000002u  /* ZONE_DMA32 and below (< 4 GiB) */
#define __GFP_MOVABLE        0x00000004u  /* migratetype MOVABLE; ZONE_MOVABLE allowed */
#define __GFP_RECLAIMABLE    0x00000008u  /* migratetype RECLAIMABLE */
/* watermark and placement modifiers */
#define __GFP_HIGH           0x00000010u  /* may dip below min (atomic reserves) */
#define __GFP_HARDWALL       0x00000020u  /* user allocation: obey cpuset/policy */
#define __GFP_THISNODE       0x00000040u  /* no fallback to other nodes */
/* reclaim modifiers */
#define __GFP_IO             0x00000100u
#define __GFP_FS             0x00000200u
#define __GFP_DIRECT_RECLAIM 0x00000400u  /* caller may sleep: reclaim/compact */
#define __GFP_KSWAPD_RECLAIM 0x00000800u  /* wake kswapd below the low mark */
#define __GFP_RECLAIM        (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_RETRY_MAYFAIL  0x00001000u
#define __GFP_NOFAIL         0x00002000u
#define __GFP_NORETRY        0x00004000u
/* action modifiers */
#define __GFP_NOWARN         0x00010000u
#define __GFP_COMP           0x00020000u  /* compound page: head + tails */
#define __GFP_ZERO           0x00040000u  /* zeroed (clear_page) */

/* the usual combinations, as Linux */
#define GFP_ATOMIC  (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL  (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOWAIT  (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO    (__GFP_RECLAIM)
#define GFP_NOFS    (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER    (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA     __GFP_DMA
#define GFP_DMA32   __GFP_DMA32
#define GFP_HIGHUSER          GFP_USER          /* no highmem on x86-64 */
#define GFP_HIGHUSER_MOVABLE  (GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_TRANSHUGE_LIGHT   ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOWARN) & \
                               ~__GFP_RECLAIM)
#define GFP_TRANSHUGE         (GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

/* Every flag and combination by its Linux name, for traces (alloc_pages
 * "gfp") and reports. */
struct gfp_name { const char *name; gfp_t flags; };
static const struct gfp_name gfp_names[] = {
	{ "GFP_ATOMIC", GFP_ATOMIC }, { "GFP_KERNEL", GFP_KERNEL },
	{ "GFP_NOWAIT", GFP_NOWAIT }, { "GFP_NOIO", GFP_NOIO }, { "GFP_NOFS", GFP_NOFS },
	{ "GFP_USER", GFP_USER }, { "GFP_DMA", GFP_DMA }, { "GFP_DMA32", GFP_DMA32 },
	{ "GFP_HIGHUSER", GFP_HIGHUSER }, { "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE },
	{ "GFP_TRANSHUGE_LIGHT", GFP_TRANSHUGE_LIGHT }, { "GFP_TRANSHUGE", GFP_TRANSHUGE },
	{ "__GFP_DMA", __GFP_DMA }, { "__GFP_DMA32", __GFP_DMA32 },
	{ "__GFP_MOVABLE", __GFP_MOVABLE }, { "__GFP_RECLAIMABLE", __GFP_RECLAIMABLE },
	{ "__GFP_HIGH", __GFP_HIGH }, { "__GFP_HARDWALL", __GFP_HARDWALL },
	{ "__GFP_THISNODE", __GFP_THISNODE }, { "__GFP_IO", __GFP_IO }, { "__GFP_FS", __GFP_FS },
	{ "__GFP_DIRECT_RECLAIM", __GFP_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", __GFP_KSWAPD_RECLAIM }, { "__GFP_RECLAIM", __GFP_RECLAIM },
	{ "__GFP_RETRY_MAYFAIL", __GFP_RETRY_MAYFAIL }, { "__GFP_NOFAIL", __GFP_NOFAIL },
	{ "__GFP_NORETRY", __GFP_NORETRY }, { "__GFP_NOWARN", __GFP_NOWARN },
	{ "__GFP_COMP", __GFP_COMP }, { "__GFP_ZERO", __GFP_ZERO },
};

#endif
