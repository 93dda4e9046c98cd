#!/usr/bin/env python3
"""Writes tests/data/profiles/cpu_window_{early,late}.prof: two gperftools CPU
profiles (64-bit little-endian) with a known answer for the window diff
(analysis/metrics/cpu_diff.h, tests/unit/analysis/metrics/cpu_diff_test.cc).

Period 1000 us; addresses in one mapping of /fake/bin (the test resolves them
itself): 0x401000 work(), 0x402000 malloc, 0x403000 Foo::bar(), return
addresses 0x403010 (in Foo::bar) and 0x404010 (in main).
  early: work 50, Foo::bar 40, malloc called from Foo::bar 10  (100 samples)
  late:  work 50, Foo::bar 140, malloc called from Foo::bar 10 (200 samples)
"""
import os
import struct

WORK, MALLOC, BAR, RET_BAR, RET_MAIN = 0x401000, 0x402000, 0x403000, 0x403010, 0x404010
MAPS = "00400000-00500000 r-xp 00000000 00:00 0 /fake/bin\n"


def profile(records):
    words = [0, 3, 0, 1000, 0]
    for count, stack in records:
        words += [count, len(stack)] + stack
    words += [0, 1, 0]
    return struct.pack("<%dQ" % len(words), *words) + MAPS.encode()


here = os.path.dirname(os.path.abspath(__file__))
out = os.path.dirname(here)
pairs = {
    "cpu_window_early.prof": [(50, [WORK, RET_MAIN]), (40, [BAR, RET_MAIN]),
                              (10, [MALLOC, RET_BAR, RET_MAIN])],
    "cpu_window_late.prof": [(50, [WORK, RET_MAIN]), (140, [BAR, RET_MAIN]),
                             (10, [MALLOC, RET_BAR, RET_MAIN])],
}
for name, records in pairs.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(profile(records))
