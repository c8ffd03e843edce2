/* httpd_content.c — the served bodies: generation, directory scan, loading
 * into DPDK memory, path lookup. See httpd_content.h.
 *
 * Traversal safety comes in two layers: request paths are normalised by
 * http_path_sanitize() (no "..", no NUL, one percent-decoding) and then only
 * looked up in the table built here, so a request can never name a file
 * that was not found under the root at start; and the scan itself never
 * follows a symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), so nothing outside the
 * root enters the table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include "httpd_content.h"
#include "http_response.h"

#define SCAN_MAX_DEPTH 32
#define INDEX_NAME "index.html"

static uint32_t
fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static int
add_body(struct httpd_content *ct, const char *path, size_t plen, const char *file, uint64_t len,
	 const char *prog)
{
	struct httpd_body *b;

	if (ct->n_bodies >= HTTPD_MAX_FILES) {
		fprintf(stderr, "%s: --root holds more than %u files: serve a smaller directory\n",
			prog, HTTPD_MAX_FILES);
		return -1;
	}
	if ((ct->n_bodies & (ct->n_bodies - 1)) == 0) {  /* grow at powers of two */
		size_t cap = ct->n_bodies ? (size_t)ct->n_bodies * 2 : 16;
		void *nb = realloc(ct->bodies, cap * sizeof(*ct->bodies));

		if (nb == NULL)
			goto nomem;
		ct->bodies = nb;
	}
	b = &ct->bodies[ct->n_bodies];
	memset(b, 0, sizeof(*b));
	b->path = strndup(path, plen);
	b->file = file ? strdup(file) : NULL;
	if (b->path == NULL || (file && b->file == NULL))
		goto nomem;
	b->path_len = (uint32_t)plen;
	b->hash = fnv1a(path, plen);
	b->ctype = file ? http_content_type(path, plen) : "text/plain; charset=utf-8";
	b->len = len;
	b->off = ct->total;
	ct->total += (len + 63) & ~63ull;
	ct->n_bodies++;
	return 0;
nomem:
	fprintf(stderr, "%s: out of memory while listing the files to serve\n", prog);
	return -1;
}

static int
add_alias(struct httpd_content *ct, const char *path, size_t plen, uint32_t body, const char *prog)
{
	struct httpd_alias *a;

	if ((ct->n_aliases & (ct->n_aliases - 1)) == 0) {
		size_t cap = ct->n_aliases ? (size_t)ct->n_aliases * 2 : 16;
		void *na = realloc(ct->aliases, cap * sizeof(*ct->aliases));

		if (na == NULL)
			goto nomem;
		ct->aliases = na;
	}
	a = &ct->aliases[ct->n_aliases];
	a->path = strndup(path, plen);
	if (a->path == NULL)
		goto nomem;
	a->path_len = (uint32_t)plen;
	a->hash = fnv1a(path, plen);
	a->body = body;
	ct->n_aliases++;
	return 0;
nomem:
	fprintf(stderr, "%s: out of memory while listing the files to serve\n", prog);
	return -1;
}

int
httpd_content_generate(struct httpd_content *ct, uint64_t n, const char *prog)
{
	memset(ct, 0, sizeof(*ct));
	ct->generated = true;
	return add_body(ct, "/", 1, NULL, n, prog);
}

/* Walk directory fd (URL prefix `url`, file-system path `fs`), depth-first. */
static int
scan_dir(struct httpd_content *ct, int dfd, char *url, size_t ulen, char *fs, size_t flen,
	 unsigned depth, const char *prog)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: --root: cannot list %s: %s\n", prog, fs, strerror(errno));
		close(dfd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t nlen = strlen(e->d_name);
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (ulen + nlen + 2 > HTTPD_MAX_PATH || flen + nlen + 2 > PATH_MAX) {
			ct->skipped++;  /* a path longer than any request can carry */
			continue;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			fprintf(stderr, "%s: --root: cannot stat %s/%s: %s\n", prog, fs, e->d_name,
				strerror(errno));
			rc = -1;
			break;
		}
		memcpy(url + ulen, e->d_name, nlen + 1);
		fs[flen] = '/';
		memcpy(fs + flen + 1, e->d_name, nlen + 1);
		if (S_ISREG(st.st_mode)) {
			rc = add_body(ct, url, ulen + nlen, fs, (uint64_t)st.st_size, prog);
			if (rc == 0 && ct->total > HTTPD_MAX_TOTAL) {
				fprintf(stderr, "%s: --root: the files add up to more than %llu MiB, the "
					"most hare-httpd loads into memory: serve a smaller directory\n",
					prog, HTTPD_MAX_TOTAL >> 20);
				rc = -1;
			}
		} else if (S_ISDIR(st.st_mode) && depth < SCAN_MAX_DEPTH) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

			if (sub < 0) {
				fprintf(stderr, "%s: --root: cannot open %s: %s\n", prog, fs,
					strerror(errno));
				rc = -1;
			} else {
				url[ulen + nlen] = '/';
				url[ulen + nlen + 1] = '\0';
				rc = scan_dir(ct, sub, url, ulen + nlen + 1, fs, flen + 1 + nlen,
					      depth + 1, prog);
			}
		} else {
			ct->skipped++;  /* symlink, device, fifo, socket, too deep */
		}
		url[ulen] = '\0';
		fs[flen] = '\0';
	}
	closedir(d);
	return rc;
}

/* Lookup in the table being built or done: index into bodies (>= n_bodies:
 * alias) + 1, or 0. */
static uint32_t
slot_find(const struct httpd_content *ct, const char *path, size_t len, uint32_t h)
{
	for (uint32_t i = h & ct->mask;; i = (i + 1) & ct->mask) {
		uint32_t e = ct->slots[i];
		const char *p;
		uint32_t pl, eh;

		if (e == 0)
			return 0;
		if (e <= ct->n_bodies) {
			p = ct->bodies[e - 1].path;
			pl = ct->bodies[e - 1].path_len;
			eh = ct->bodies[e - 1].hash;
		} else {
			p = ct->aliases[e - 1 - ct->n_bodies].path;
			pl = ct->aliases[e - 1 - ct->n_bodies].path_len;
			eh = ct->aliases[e - 1 - ct->n_bodies].hash;
		}
		if (eh == h && pl == len && memcmp(p, path, len) == 0)
			return e;
	}
}

static int
build_table(struct httpd_content *ct, const char *prog)
{
	uint32_t n = ct->n_bodies + ct->n_aliases, size = 16;

	while (size < 2 * n)
		size *= 2;
	free(ct->slots);
	ct->slots = calloc(size, sizeof(*ct->slots));
	if (ct->slots == NULL) {
		fprintf(stderr, "%s: out of memory for the path table\n", prog);
		return -1;
	}
	ct->mask = size - 1;
	for (uint32_t e = 1; e <= n; e++) {
		uint32_t h = e <= ct->n_bodies ? ct->bodies[e - 1].hash :
						 ct->aliases[e - 1 - ct->n_bodies].hash;
		uint32_t i = h & ct->mask;

		while (ct->slots[i] != 0)
			i = (i + 1) & ct->mask;
		ct->slots[i] = e;
	}
	return 0;
}

int
httpd_content_scan(struct httpd_content *ct, const char *dir, const char *prog)
{
	static char url[HTTPD_MAX_PATH + 2], fs[PATH_MAX + 2];
	size_t flen = strlen(dir);
	uint32_t nb;
	int fd;

	memset(ct, 0, sizeof(*ct));
	if (flen == 0 || flen >= PATH_MAX) {
		fprintf(stderr, "%s: --root: give a directory path\n", prog);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fprintf(stderr, "%s: --root %s: %s (give a readable directory)\n", prog, dir,
			strerror(errno));
		return -1;
	}
	memcpy(fs, dir, flen + 1);
	while (flen > 1 && fs[flen - 1] == '/')
		fs[--flen] = '\0';
	url[0] = '/';
	url[1] = '\0';
	if (scan_dir(ct, fd, url, 1, fs, flen, 0, prog) < 0)
		return -1;
	/* a directory's index.html also answers "<dir>/" (the root: "/") */
	nb = ct->n_bodies;
	for (uint32_t i = 0; i < nb; i++) {
		const struct httpd_body *b = &ct->bodies[i];
		size_t il = sizeof(INDEX_NAME) - 1;

		if (b->path_len > il && b->path[b->path_len - il - 1] == '/' &&
		    memcmp(b->path + b->path_len - il, INDEX_NAME, il) == 0)
			if (add_alias(ct, b->path, b->path_len - il, i, prog) < 0)
				return -1;
	}
	if (build_table(ct, prog) < 0)
		return -1;
	if (ct->n_bodies == 0)
		fprintf(stderr, "%s: note: --root %s holds no regular file: every GET gets 404\n",
			prog, dir);
	if (ct->skipped)
		fprintf(stderr, "%s: note: --root %s: %llu entries not served (symlinks, special "
			"files, paths over %u bytes or deeper than %u directories)\n", prog, dir,
			(unsigned long long)ct->skipped, HTTPD_MAX_PATH, SCAN_MAX_DEPTH);
	return 0;
}

static int
read_file(const struct httpd_body *b, uint8_t *dst, const char *prog)
{
	int fd = open(b->file, O_RDONLY | O_NOFOLLOW);
	uint64_t done = 0;

	if (fd < 0) {
		fprintf(stderr, "%s: --root: cannot open %s: %s\n", prog, b->file, strerror(errno));
		return -1;
	}
	while (done < b->len) {
		ssize_t n = read(fd, dst + done, b->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: --root: %s: %s while loading (the file changed size "
				"after the scan? restart hare-httpd)\n", prog, b->file,
				n < 0 ? strerror(errno) : "short read");
			close(fd);
			return -1;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return 0;
}

int
httpd_content_load(struct httpd_content *ct, int socket, const char *prog)
{
	uint64_t size = ct->total ? ct->total : 64;
	uint64_t nblk = (size + HTTPD_IOVA_BLOCK - 1) / HTTPD_IOVA_BLOCK;

	ct->mem = rte_malloc_socket("httpd_content", size, HTTPD_IOVA_BLOCK, socket);
	ct->iova = calloc(nblk, sizeof(*ct->iova));
	if (ct->mem == NULL || ct->iova == NULL) {
		fprintf(stderr, "%s: cannot allocate %llu MiB of DPDK memory for the bodies "
			"(give DPDK more memory: more hugepages, or a larger -m with --no-huge)\n",
			prog, (unsigned long long)(size >> 20) + 1);
		return -1;
	}
	for (uint64_t i = 0; i < nblk; i++) {
		uint8_t *va = ct->mem + i * HTTPD_IOVA_BLOCK;
		const struct rte_memseg *ms = rte_mem_virt2memseg(va, NULL);

		if (rte_eal_iova_mode() == RTE_IOVA_VA)
			ct->iova[i] = (rte_iova_t)(uintptr_t)va;
		else if (ms != NULL && ms->iova != RTE_BAD_IOVA)
			ct->iova[i] = ms->iova + (uint64_t)(va - (uint8_t *)ms->addr);
		else
			ct->iova[i] = RTE_BAD_IOVA;  /* no IOVA (--no-huge): vdevs copy by VA */
	}
	for (uint32_t i = 0; i < ct->n_bodies; i++) {
		struct httpd_body *b = &ct->bodies[i];
		uint8_t *dst = ct->mem + b->off;

		if (b->file == NULL) {
			/* generated: a readable pattern, lines of 64 bytes */
			for (uint64_t k = 0; k < b->len; k++)
				dst[k] = (k % 64 == 63) ? '\n' : (uint8_t)('a' + (k % 64) % 26);
			if (b->len > 0)
				dst[b->len - 1] = '\n';
		} else if (read_file(b, dst, prog) < 0) {
			return -1;
		}
		b->data = dst;
	}
	return 0;
}

const struct httpd_body *
httpd_content_find(const struct httpd_content *ct, const char *path, size_t len)
{
	uint32_t e;

	if (ct->generated)
		return &ct->bodies[0];
	e = slot_find(ct, path, len, fnv1a(path, len));
	if (e == 0)
		return NULL;
	if (e <= ct->n_bodies)
		return &ct->bodies[e - 1];
	return &ct->bodies[ct->aliases[e - 1 - ct->n_bodies].body];
}
