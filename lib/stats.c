/* stats.c — printing and lookup of per-worker counters (never on the hot path). */
#include <string.h>
#include <inttypes.h>
#include "hare_stats.h"

uint64_t
hare_stats_drops(const struct hare_stats *s)
{
	uint64_t sum = 0;
#define HARE_STATS_DROPS(name) if (strncmp(#name, "drop_", 5) == 0) sum += s->name;
	HARE_STATS_FIELDS(HARE_STATS_DROPS)
#undef HARE_STATS_DROPS
	return sum;
}

void
hare_stats_print(FILE *out, const char *prefix, const struct hare_stats *now,
		 const struct hare_stats *prev)
{
#define HARE_STATS_PRINT(name)                                                       \
	if (now->name != 0) {                                                        \
		if (prev)                                                            \
			fprintf(out, "%s%-24s %14" PRIu64 "  (+%" PRIu64 ")\n", prefix, \
				#name, now->name, now->name - prev->name);           \
		else                                                                 \
			fprintf(out, "%s%-24s %14" PRIu64 "\n", prefix, #name,       \
				now->name);                                          \
	}
	HARE_STATS_FIELDS(HARE_STATS_PRINT)
#undef HARE_STATS_PRINT
	fflush(out);
}

int
hare_stats_get(const struct hare_stats *s, const char *name, uint64_t *value)
{
#define HARE_STATS_GET(field) if (strcmp(name, #field) == 0) { *value = s->field; return 0; }
	HARE_STATS_FIELDS(HARE_STATS_GET)
#undef HARE_STATS_GET
	return -1;
}
