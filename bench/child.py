"""Run one command; write its wall time, CPU time (user + system), peak RSS and exit code as JSON to a file.

    python bench/child.py RESULT.json TIMEOUT_SECONDS COMMAND...

Why a process in between: Linux carries a process's peak RSS across fork and exec, so a command
started straight from bench/run.py (which holds a moto server, boto3 and generated plans) reports
the benchmark's own memory as its peak -- a 1-resource scan measured 400 MB that way.  Forked from
this small process, the command's peak is its own (with this process's ~10 MB as a floor, below
any Python command's own).  CPU time is what the command itself used: on a machine other work
shares, wall time also counts the waits for a core, CPU time much less so.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time


def main() -> None:
    result_path, timeout, command = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(result_path, "w") as out:
        json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
                   "code": os.waitstatus_to_exitcode(status)}, out)


if __name__ == "__main__":
    main()
