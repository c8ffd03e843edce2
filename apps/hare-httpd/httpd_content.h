/* httpd_content.h — what hare-httpd serves: one generated body (--body-size,
 * the benchmark mode: any path gets it) or the regular files of a directory
 * (--root), loaded into DPDK memory once at start.
 *
 * The bytes never change after loading and are never freed while the
 * process runs, so response mbufs can reference them (external buffers,
 * rte_pktmbuf_attach_extbuf) instead of copying: a 10 MiB file goes out as
 * references into this one copy, whatever the number of connections.
 *
 * Two steps because DPDK memory exists only after EAL init, while bad
 * options must fail before it: httpd_content_scan() (option check: walk
 * the directory, stat only, enforce the bounds) then httpd_content_load()
 * (first worker set-up: allocate and read). Read-only afterwards, shared by
 * all workers without locks.
 */
#ifndef HARE_HTTPD_CONTENT_H
#define HARE_HTTPD_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <rte_memory.h>

/* Bytes per IOVA block: a streamed chunk never crosses a block boundary, so
 * each chunk's IOVA is its block's (hugepages are >= 2 MiB, a multiple) plus
 * the offset. Also the largest chunk: mbuf buf_len is 16 bits. */
#define HTTPD_IOVA_BLOCK       32768u
#define HTTPD_MAX_PATH         1024u                    /* longest served path */
#define HTTPD_MAX_FILES        65536u
#define HTTPD_MAX_TOTAL        (1024ull * 1024 * 1024)  /* bytes loaded, all files */
#define HTTPD_MAX_BODY_SIZE    (1024ull * 1024 * 1024)  /* --body-size bound */

/* One servable body. */
struct httpd_body {
	char *path;              /* normalised URL path, "/dir/file.html" */
	uint32_t path_len;
	uint32_t hash;           /* FNV-1a of path */
	const char *ctype;       /* Content-Type value */
	uint64_t len;
	uint64_t off;            /* offset in the content's memory */
	char *file;              /* source file (scan -> load), NULL when generated */
	const uint8_t *data;     /* after load: the bytes */
};

/* An alias: a second path for a body (directory index "/dir/" -> index.html). */
struct httpd_alias {
	char *path;
	uint32_t path_len;
	uint32_t hash;
	uint32_t body;           /* index in bodies[] */
};

/* Everything served. */
struct httpd_content {
	bool generated;          /* --body-size mode: bodies[0] for every path */
	struct httpd_body *bodies;
	uint32_t n_bodies;
	struct httpd_alias *aliases;
	uint32_t n_aliases;
	/* open addressing over bodies and aliases: entry = 1 + index, bodies
	 * first then aliases (index - n_bodies); 0 = empty */
	uint32_t *slots;
	uint32_t mask;
	uint64_t total;          /* bytes of memory needed / loaded */
	uint8_t *mem;            /* all bodies, packed (64-byte aligned); the region
				  * itself is HTTPD_IOVA_BLOCK-aligned */
	rte_iova_t *iova;        /* IOVA of each block of mem */
	uint64_t skipped;        /* entries --root did not serve (symlinks, ...) */
};

/* --body-size N: one generated body of n bytes (text/plain). 0 or -1 with a
 * message on stderr. */
int httpd_content_generate(struct httpd_content *ct, uint64_t n, const char *prog);

/* --root DIR: find the regular files under dir (symlinks and special files
 * are skipped and counted; nothing outside dir is ever opened). 0 or -1
 * with a message on stderr. */
int httpd_content_scan(struct httpd_content *ct, const char *dir, const char *prog);

/* Allocate DPDK memory on `socket` and fill it (read the files, or generate).
 * Call once, after EAL init. 0 or -1 with a message on stderr. */
int httpd_content_load(struct httpd_content *ct, int socket, const char *prog);

/* The body for a normalised path (http_path_sanitize output), or NULL. In
 * generated mode, always the generated body. */
const struct httpd_body *httpd_content_find(const struct httpd_content *ct, const char *path,
					    size_t len);

/* IOVA of byte `off` of the content memory. A chunk starting at off must end
 * at or before the next HTTPD_IOVA_BLOCK boundary. */
static inline rte_iova_t
httpd_content_iova(const struct httpd_content *ct, uint64_t off)
{
	return ct->iova[off / HTTPD_IOVA_BLOCK] + (off % HTTPD_IOVA_BLOCK);
}

#endif
