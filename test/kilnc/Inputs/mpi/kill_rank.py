#!/usr/bin/env python3
"""Kills one rank of a running mpirun job once a file exists.

Usage: kill_rank.py EXECUTABLE RANK WAIT_FOR_FILE [SIGNAL]

Waits (up to 120 s) until WAIT_FOR_FILE exists (e.g. the first checkpoint),
then finds the process running EXECUTABLE whose environment says it is
OMPI_COMM_WORLD_RANK=RANK and sends it SIGNAL (default SIGKILL). Prints the
rank and signal; exits 1 when no such process appeared.
"""

import os
import signal
import sys
import time


def rank_pid(executable, rank):
    target = os.path.realpath(executable)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.path.realpath(f"/proc/{entry}/exe") != target:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(entry)
    return None


def main():
    executable, rank, wait_for = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signum = getattr(signal, sys.argv[4]) if len(sys.argv) > 4 else signal.SIGKILL
    deadline = time.time() + 120
    while not os.path.exists(wait_for):
        if time.time() > deadline:
            sys.exit(f"kill_rank.py: {wait_for} never appeared")
        time.sleep(0.02)
    while True:
        pid = rank_pid(executable, rank)
        if pid is not None:
            break
        if time.time() > deadline:
            sys.exit(f"kill_rank.py: no process of rank {rank}")
        time.sleep(0.02)
    os.kill(pid, signum)
    print(f"killed rank {rank} with {signal.Signals(signum).name}")


if __name__ == "__main__":
    main()
