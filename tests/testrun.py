# SPDX-License-Identifier: BSD-3-Clause
"""
How every Python test driver under tests/ ends: run one test, print
PASS, FAIL or SKIP with its reason and time, and return meson's exit code
(0 pass, 1 fail, 77 skip).
"""

import time
import traceback


def run_test(name, call, failures, skips=()):
    """Run call(); an exception of a class in failures is a FAIL with its
    message, of a class in skips a SKIP, any other a FAIL with its trace."""
    t0 = time.monotonic()
    try:
        call()
    except tuple(skips) as e:
        print("SKIP %s: %s" % (name, e))
        return 77
    except tuple(failures) as e:
        print("FAIL %s: %s" % (name, e))
        return 1
    except Exception:
        traceback.print_exc()
        print("FAIL %s: the harness raised" % name)
        return 1
    print("PASS %s (%.1f s)" % (name, time.monotonic() - t0))
    return 0
