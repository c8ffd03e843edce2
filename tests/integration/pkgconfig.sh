#!/usr/bin/env bash
# tests/integration/pkgconfig.sh — a user's own program links against the
# installed libhare through hare.pc, shared and static, and runs.
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib/check.bash

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

if ! DESTDIR="$dest" meson install -C build --no-rebuild >"$dest/install.log" 2>&1; then
	t_fail pkgconfig.install "meson install failed: $(tail -3 "$dest/install.log")"
	exit 1
fi
pc=$(find "$dest" -name hare.pc | head -1)
t_check pkgconfig.hare_pc "no hare.pc installed" test -n "$pc"
[ -n "$pc" ] || exit 1
prefix=$(sed -n 's/^prefix=//p' "$pc")
# The install went under DESTDIR: point a copy of hare.pc there (a sysroot
# would also move libdpdk's paths).
mkdir -p "$dest/pc"
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" > "$dest/pc/hare.pc"
export PKG_CONFIG_PATH=$dest/pc
t_check pkgconfig.headers "hare.h not installed" test -f "$dest$prefix/include/hare/hare.h"

cat > "$dest/user.c" <<'C'
/* A user's program: parse addresses with the installed library. */
#include <stdio.h>
#include <hare.h>

int
main(void)
{
	struct hare_config cfg;

	hare_config_init(&cfg);
	if (hare_config_add_ip(&cfg, "198.18.0.1/24") != 0 || hare_config_add_ip(&cfg, "300.1.1.1") == 0)
		return 1;
	printf("ips=%u mtu=%u\n", cfg.n_ips, cfg.mtu);
	return 0;
}
C
flags=$(pkg-config --cflags hare) || { t_fail pkgconfig.cflags "pkg-config --cflags hare failed"; exit 1; }
if cc -o "$dest/user_shared" "$dest/user.c" $flags $(pkg-config --libs hare) 2>"$dest/cc.log"; then
	out=$(LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libhare.so' | head -1)") "$dest/user_shared")
	t_eq pkgconfig.shared_runs "$out" "ips=1 mtu=1500" "output"
else
	t_fail pkgconfig.shared_link "$(head -5 "$dest/cc.log")"
fi
# libhare.a itself, with Debian's shared DPDK (a fully static DPDK would
# need every -dev package DPDK was built against).
if cc -o "$dest/user_static" "$dest/user.c" $flags -L"$(dirname "$(find "$dest" -name libhare.a | head -1)")" \
	-l:libhare.a $(pkg-config --libs libdpdk) -lnuma -lm -pthread 2>"$dest/cc.log"; then
	out=$("$dest/user_static")
	t_eq pkgconfig.static_runs "$out" "ips=1 mtu=1500" "output"
else
	t_fail pkgconfig.static_link "$(head -5 "$dest/cc.log")"
fi
exit $((T_FAILED > 0))
