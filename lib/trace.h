/* JSON workload traces (traces/NAME.json), compiled into flat op arrays.
 *
 * A trace names processes; each has threads; each thread has a list of ops.
 * Loading validates everything (bad input is an error naming the file, the
 * process/thread/op index and the field) and compiles the ops so the run
 * loop never touches JSON: patterns (seq, stride, random) stay one op each
 * and expand lazily while running; `repeat` becomes a REPEAT/END pair.
 * The format is documented in docs/trace-format.md. */
#ifndef MMSIM_TRACE_H
#define MMSIM_TRACE_H

#include "lib/types.h"

enum op_kind {
	OP_MMAP,       /* addr (hint or fixed), len, prot, flags; defines region */
	OP_MUNMAP,     /* addr, len */
	OP_MPROTECT,   /* addr, len, prot */
	OP_MREMAP,     /* addr, count = old length, len = new length, other =
	                * TRACE_MREMAP_*, value = new_addr (with FIXED) */
	OP_READ,       /* addr, size; value = expected value if OPF_EXPECT */
	OP_WRITE,      /* addr, size; value written if OPF_VALUE */
	OP_FETCH,      /* addr, size: an instruction fetch (iTLB, NX checked) */
	OP_SEQ,        /* addr = base, len, size, count, wthresh; step = size */
	OP_STRIDE,     /* addr = base, len, size, count, wthresh, stride */
	OP_RANDOM,     /* addr = base, len, size, count, wthresh, seed */
	OP_REPEAT,     /* count = iterations; other = index of the matching OP_END */
	OP_END,        /* other = index of the matching OP_REPEAT */
	OP_COMPUTE,    /* count = cycles */
	OP_SPAWN,      /* other = index of a "spawned" thread of the process to start */
	OP_JOIN,       /* other = index of a thread of the process to wait for */
	OP_BARRIER,    /* wait until every started, live thread of the process is here */
	OP_YIELD,      /* give the rest of the time slice to the core's next thread */
	OP_SLEEP,      /* count = cycles the thread is off its core */
	OP_MIGRATE,    /* other = the core the thread moves to */
	OP_REPLAY,     /* other = index of trace.paths: a recorded stream to run;
	                * prot = its enum rtrace_format; OPF_AUTOMAP; count =
	                * records at most (0: all) */
	OP_EXIT,       /* the thread (and, for the last thread, the process) ends */
	OP_DMA_MAP,    /* count = device, other = dma handle, addr/len = the process
	                * buffer, prot = enum trace_dma_dir; OPF_INDEX: a kernel
	                * object instead (region = its name, stride = the index,
	                * addr.off = the offset, len) */
	OP_DMA_UNMAP,  /* other = dma handle */
	OP_DMA,        /* count = device, other = handle (UINT32_MAX: addr.off is a
	                * raw bus address), addr.off = offset, len, prot = direction,
	                * value with OPF_VALUE (device writes) / OPF_EXPECT (reads) */
	OP_DMA_SYNC,   /* other = handle, prot = 0: for the CPU, 1: for the device */
	OP_DMA_ALLOC,  /* count = device, other = handle, len: dma_alloc_coherent */
	OP_DMA_FREE,   /* other = handle */
	OP_FORK,       /* other = index of the process that starts as the child */
	OP_EXEC,       /* the process gets a new, empty address space */
	OP_BRK,        /* len = bytes to grow the heap by; prot = 1: shrink */
	OP_MADVISE,    /* addr, len; other = the advice (Linux's MADV_* value) */
	OP_MLOCK,      /* addr, len; prot = 1: munlock */
	OP_SYSCTL,     /* other = enum trace_sysctl; value = the setting's index */
	OP_PROCFS,     /* other = enum trace_procfs: a /proc/self file reported */
	/* kernel allocator ops (kernel/mm/slab.h): region = the kernel-object
	 * variable (trace.kobjs), other = the cache (trace.kcaches) */
	OP_KMEM_CACHE_CREATE,  /* other; len = object size, stride = align,
	                        * value = SLAB_* flags, count = ctor value */
	OP_KMEM_CACHE_DESTROY, /* other */
	OP_KMEM_CACHE_SHRINK,  /* other */
	OP_KMEM_CACHE_ALLOC,   /* region, other; count objects; OPF_ZERO */
	OP_KMALLOC,            /* region; len = bytes; count objects; OPF_ZERO */
	OP_VMALLOC,            /* region; len = bytes; OPF_ZERO; prot = 1: kvmalloc */
	OP_KFREE,              /* region (other: the cache for kmem_cache_free, or
	                        * UINT32_MAX); prot = 1: vfree/kvfree; OPF_INDEX:
	                        * object addr.off only, else the first count
	                        * (0: all) */
	OP_KREAD,              /* region; stride = object index, addr.off = offset,
	                        * size; value = expected if OPF_EXPECT */
	OP_KWRITE,             /* as KREAD; value written if OPF_VALUE */
	/* page-allocator ops (kernel/mm/pageops.c); names are trace.kobjs */
	OP_ALLOC_PAGES,   /* region = the name; count = order; value = gfp bits
	                   * (kernel/mm/gfp.h); other = node, UINT32_MAX: the core's */
	OP_FREE_PAGES,    /* region = the name of an alloc_pages */
	OP_COMPACT,       /* other = node, UINT32_MAX: every node */
	OP_DROP_CACHES,   /* count = 1, 2 or 3 as /proc/sys/vm/drop_caches */
	OP_SNAPSHOT,      /* region = the snapshot's name */
	OP_SET_MEMPOLICY, /* prot = enum mpol_mode; value = nodemask */
	OP_MBIND,         /* addr, len; prot = enum mpol_mode; value = nodemask */
	OP_CMA_ALLOC,     /* region = the name; count = frames; prot = align order */
	OP_CMA_RELEASE,   /* region = the name of a cma_alloc */
	/* file ops (kernel/mm/filemap.h); other = index of trace.files */
	OP_FILE_READ,     /* "read" with "file": value = file offset, len bytes into
	                   * the buffer at addr */
	OP_FILE_WRITE,    /* "write" with "file": from the buffer at addr */
	OP_FSYNC,
	OP_FADVISE,       /* value = offset, len (0: to the end), prot = advice
	                   * (Linux's POSIX_FADV_* value) */
};

/* op.flags */
#define OPF_VALUE     0x01  /* write: value is stored */
#define OPF_EXPECT    0x02  /* read: value is the expected result */
#define OPF_FIXED     0x04  /* mmap: MAP_FIXED */
#define OPF_SEEDED    0x08  /* random: seed given in the trace */
#define OPF_FETCH     0x10  /* patterns: the accesses are instruction fetches */
#define OPF_AUTOMAP   0x20  /* replay: map touched pages on demand */
#define OPF_ZERO      0x40  /* kernel allocations: zeroed (kzalloc, vzalloc) */
#define OPF_INDEX     0x80  /* kfree: one object, index addr.off */

/* mmap: op.count holds MAP_* flags (the bit values of kernel/mm/kmm.h's
 * KMAP_*; "fixed": true sets OPF_FIXED as well) */
#define TRACE_MAP_FIXED           0x001u
#define TRACE_MAP_FIXED_NOREPLACE 0x002u
#define TRACE_MAP_POPULATE        0x004u
#define TRACE_MAP_NORESERVE       0x008u
#define TRACE_MAP_GROWSDOWN       0x010u
#define TRACE_MAP_STACK           0x020u
#define TRACE_MREMAP_MAYMOVE 1u   /* mremap flags (Linux's values) */
#define TRACE_MREMAP_FIXED   2u
#define TRACE_MAP_HUGETLB         0x040u
#define TRACE_MAP_HUGE_1GB        0x080u
#define TRACE_MAP_LOCKED          0x100u
#define TRACE_MAP_SHARED          0x200u  /* "shared": true, with "file" */
/* mmap of a file: op.other = index of trace.files + 1 (0: anonymous),
 * op.value = the file offset */

/* sysctl keys settable at run time */
enum trace_sysctl { SYSCTL_THP_ENABLED, SYSCTL_THP_DEFRAG };
/* procfs files */
enum trace_procfs { PROCFS_MAPS, PROCFS_SMAPS_ROLLUP, PROCFS_STATUS };
/* trace_proc.layout */
enum trace_layout { LAYOUT_NONE, LAYOUT_STANDARD, LAYOUT_RANDOM };

/* op.prot (PROT_* bits as Linux) */
#define PROT_R 0x1
#define PROT_W 0x2
#define PROT_X 0x4

/* An address: a region's base (named by an mmap's "name") plus an offset,
 * or an absolute address when region < 0. */
struct addr_expr {
	int32_t region;     /* index into the process's regions, or -1 */
	uint64_t off;
};

struct op {
	uint8_t kind;       /* enum op_kind */
	uint8_t flags;      /* OPF_* */
	uint8_t prot;       /* mmap */
	uint8_t size;       /* access size in bytes: 1, 2, 4 or 8 */
	int32_t region;     /* mmap: region this op defines, or -1 */
	uint32_t other;     /* REPEAT/END: index of the partner op */
	struct addr_expr addr;
	uint64_t len;       /* mmap/munmap/pattern length in bytes */
	uint64_t value;     /* write value / read expected value; patterns: 1 when
	                     * "check" (writes store their address, reads expect it) */
	uint64_t count;     /* pattern accesses, repeat iterations, compute cycles */
	uint64_t stride;    /* OP_STRIDE step in bytes */
	uint64_t seed;      /* OP_RANDOM seed (OPF_SEEDED), else derived from run seed */
	uint64_t wthresh;   /* patterns: access i writes iff (rng >> 11) < wthresh;
	                     * wthresh = write fraction * 2^53 */
};

struct trace_thread {
	int32_t cpu;        /* affinity, or -1 for any core */
	bool spawned;       /* starts only when a spawn op names it */
	struct op *ops;
	uint32_t nops;
};

struct trace_proc {
	char name[32];
	struct trace_thread *threads;
	uint32_t nthreads;
	char (*regions)[32]; /* names of the regions mmap ops define; a forked
	                      * process's list starts with its parent's */
	uint32_t nregions;
	int32_t parent;      /* "forked_from": index of the process whose fork
	                      * starts this one, or -1 (starts at boot) */
	uint8_t layout;      /* "layout": enum trace_layout; with one, regions
	                      * text, data, heap and stack come first */
	bool has_oom_score_adj;
	int16_t oom_score_adj; /* "oom_score_adj": -1000..1000; without it a
	                      * forked process has its parent's, others 0 */
};

/* A device that does DMA ("devices" at the top of a trace). */
struct trace_device {
	char name[32];
	uint8_t mask_bits;      /* DMA mask: addresses below 2^mask_bits */
	bool behind_iommu;
	uint16_t sid;           /* PCI bus 15:8, device 7:3, function 2:0 ("pci") */
};

/* op.prot of dma ops: the DMA API's directions. */
enum trace_dma_dir { TRACE_DMA_BIDIRECTIONAL, TRACE_DMA_TO_DEVICE, TRACE_DMA_FROM_DEVICE };

/* A file on the simulated disk ("files" at the top of a trace). */
enum trace_file_content { TRACE_FILE_OFFSET, TRACE_FILE_SEED, TRACE_FILE_HOST };
struct trace_file {
	char name[32];
	uint64_t size;          /* bytes; with a host file 0 = its size */
	uint8_t content;        /* enum trace_file_content */
	uint64_t seed;          /* TRACE_FILE_SEED */
	char *path;             /* TRACE_FILE_HOST: resolved against the trace's folder */
};

struct trace {
	char path[256];
	struct trace_file *files;     /* "files" */
	uint32_t nfiles;
	char **paths;       /* recorded streams named by replay ops, resolved
	                     * relative to the trace file */
	uint32_t npaths;
	struct trace_proc *procs;
	uint32_t nprocs;
	struct trace_device *devices; /* "devices" */
	uint32_t ndevices;
	char (*dma_handles)[32];      /* handles: [0] = 1 once a dma_map or
	                               * dma_alloc defines it, the name from [1] */
	uint32_t nhandles;
	char (*kobjs)[32];  /* kernel-object variables (kmalloc ... "name"):
	                     * kernel-wide, any thread may use any of them */
	uint32_t nkobjs;
	char (*kcaches)[32];/* cache names kmem_cache_* ops give */
	uint32_t nkcaches;
};

/* Load and validate a trace. Returns 0, or -1 with a message such as
 * "traces/x.json: processes[0].threads[1].ops[7].size: must be 1, 2, 4 or 8"
 * in err (MMSIM_ERR_LEN bytes); on error nothing needs freeing. */
int trace_load(struct trace *t, const char *path, char *err);
void trace_free(struct trace *t);

#endif
