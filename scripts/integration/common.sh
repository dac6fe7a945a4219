# Shared by the integration scripts: checks that print one line each and a final
# "N passed, N failed", and a busybox rootfs tar made by berth's own fixtures.
pass=0 fail=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok     $1"; else fail=$((fail + 1)); echo "FAIL   $1: expected [$2] got [$(printf '%s' "$3" | head -c 300 | tr '\n' ' ')]"; fi
}
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
busybox_tar() { # out.tar: a busybox rootfs from Debian's busybox-static, packed by berth's tar writer
  "$REPO/scripts/bun" -e "import { busyboxLayer } from '$REPO/test/fixtures/images.ts'; await Bun.write('$1', busyboxLayer());"
}
