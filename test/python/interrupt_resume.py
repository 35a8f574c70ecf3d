#!/usr/bin/env python3
"""Interrupts training with a signal in the middle of an epoch, checks the
exit status and message, resumes, and prints the resumed run's output.

usage: interrupt_resume.py SIGNAL CHECKPOINT -- EXE train ARGS...
The run is signalled shortly after "Epoch 2/" appears on its output."""
import signal
import subprocess
import sys
import time

sig = getattr(signal, sys.argv[1])
checkpoint = sys.argv[2]
command = sys.argv[4:]
proc = subprocess.Popen(command + ["--checkpoint", checkpoint],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
for line in proc.stdout:
    if line.startswith("Epoch 2/"):
        time.sleep(0.05)
        proc.send_signal(sig)
        break
out, err = proc.communicate()
if proc.returncode == 0:
    sys.exit("expected a non-zero exit status after %s" % sys.argv[1])
print("interrupted: status %d: %s" % (proc.returncode, err.strip()))
resumed = subprocess.run(command + ["--resume", checkpoint], check=True,
                         stdout=subprocess.PIPE, text=True)
print(resumed.stdout)
