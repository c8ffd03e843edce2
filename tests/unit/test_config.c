/* test_config.c — command-line address parsing (lib/config.c):
 * hare_config_add_ip / hare_parse_ipv4 with good and bad input, the
 * address limit, lookups, defaults. No EAL needed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "hare_config.h"

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
config_defaults(void **state)
{
	struct hare_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	hare_config_init(&c);
	assert_int_equal(c.n_ips, 0);
	assert_int_equal(c.gateway, 0);
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(c.arp_timeout_ms, 300000);
	assert_int_equal(c.arp_retry_ms, 1000);
	assert_int_equal(c.arp_max_retries, 3);
	assert_int_equal(c.icmp_rate_per_s, 1000);
}

/* Well-formed addresses with and without a prefix length. */
static void
config_add_ip_good(void **state)
{
	static const struct {
		const char *text;
		const char *addr;
		uint8_t len;
		const char *mask;
	} cases[] = {
		{"198.18.0.1/24", "198.18.0.1", 24, "255.255.255.0"},
		{"198.18.0.2", "198.18.0.2", 24, "255.255.255.0"},
		{"198.19.255.254/15", "198.19.255.254", 15, "255.254.0.0"},
		{"198.18.7.7/32", "198.18.7.7", 32, "255.255.255.255"},
		{"198.18.7.8/1", "198.18.7.8", 1, "128.0.0.0"},
		{"198.18.7.9/31", "198.18.7.9", 31, "255.255.255.254"},
		{"10.0.0.1/8", "10.0.0.1", 8, "255.0.0.0"},
		{"198.18.0.3/024", "198.18.0.3", 24, "255.255.255.0"},
	};
	struct hare_config c;

	(void)state;
	hare_config_init(&c);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hare_config_add_ip(&c, cases[i].text), 0);
		assert_int_equal(c.n_ips, i + 1);
		assert_int_equal(c.ips[i].addr, ip(cases[i].addr));
		assert_int_equal(c.ips[i].prefix_len, cases[i].len);
		assert_int_equal(c.ips[i].netmask, ip(cases[i].mask));
		assert_int_equal(hare_config_ip_index(&c, ip(cases[i].addr)), (int)i);
	}
	assert_int_equal(hare_config_ip_index(&c, ip("198.18.0.4")), -1);
	assert_int_equal(hare_config_ip_index(&c, 0), -1);
}

/* Malformed strings and addresses no host may own: -EINVAL, and the
 * configuration is left as it was. */
static void
config_add_ip_bad(void **state)
{
	static const char *bad[] = {
		"", "/24", "198.18.0", "198.18.0.1.5", "198.18.0.256", "198.18.0.-1",
		"198.18.0.1/", "198.18.0.1/0", "198.18.0.1/33", "198.18.0.1/-1",
		"198.18.0.1/24x", "198.18.0.1/x24", "198.18.0.1/ 24", "198.18.0.1/+24",
		"198.18.0.1/24/8", "198.18.0.1/99999999999999999999", " 198.18.0.1",
		"198.18.0.1 ", "abc", "198.18.0.0x1", "0x0a.0.0.1", "::1", "198.18.0.1/24 ",
		"198.18.00.1",
		/* 101 characters */
		"198.18.0.1/2400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		/* not a host address */
		"0.0.0.0/24", "0.0.0.0", "255.255.255.255/32", "224.0.0.1/24", "239.1.2.3",
		"240.0.0.1/8",
	};
	struct hare_config c;

	(void)state;
	hare_config_init(&c);
	assert_int_equal(hare_config_add_ip(&c, "198.18.0.1/24"), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = hare_config_add_ip(&c, bad[i]);

		if (rc != -EINVAL)
			fail_msg("hare_config_add_ip(\"%s\") = %d, want -EINVAL", bad[i], rc);
		assert_int_equal(c.n_ips, 1);
	}
	assert_int_equal(c.ips[0].addr, ip("198.18.0.1"));
	assert_int_equal(c.ips[1].addr, 0);
}

/* At most HARE_MAX_IPS addresses; the next is refused with -ENOSPC. */
static void
config_add_ip_limit(void **state)
{
	struct hare_config c;
	char buf[32];

	(void)state;
	hare_config_init(&c);
	for (unsigned i = 0; i < HARE_MAX_IPS; i++) {
		snprintf(buf, sizeof(buf), "198.18.1.%u/24", i + 1);
		assert_int_equal(hare_config_add_ip(&c, buf), 0);
	}
	assert_int_equal(hare_config_add_ip(&c, "198.18.2.1/24"), -ENOSPC);
	assert_int_equal(c.n_ips, HARE_MAX_IPS);
	assert_int_equal(hare_config_ip_index(&c, ip("198.18.1.32")), HARE_MAX_IPS - 1);
	assert_int_equal(hare_config_ip_index(&c, ip("198.18.2.1")), -1);
	/* a malformed string is still a format error, not a space error */
	assert_int_equal(hare_config_add_ip(&c, "nope"), -EINVAL);
}

static void
config_parse_ipv4(void **state)
{
	uint32_t a = 0x12345678;

	(void)state;
	assert_int_equal(hare_parse_ipv4("198.18.0.254", &a), 0);
	assert_int_equal(a, ip("198.18.0.254"));
	assert_int_equal(((const uint8_t *)&a)[0], 198); /* network order */
	assert_int_equal(((const uint8_t *)&a)[3], 254);
	a = 0x12345678;
	assert_int_equal(hare_parse_ipv4("198.18.0.254/24", &a), -EINVAL);
	assert_int_equal(hare_parse_ipv4("198.18.0", &a), -EINVAL);
	assert_int_equal(hare_parse_ipv4("", &a), -EINVAL);
	assert_int_equal(hare_parse_ipv4("1.2.3.4.5", &a), -EINVAL);
	assert_int_equal(a, 0x12345678); /* untouched on failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults),
		cmocka_unit_test(config_add_ip_good),
		cmocka_unit_test(config_add_ip_bad),
		cmocka_unit_test(config_add_ip_limit),
		cmocka_unit_test(config_parse_ipv4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
