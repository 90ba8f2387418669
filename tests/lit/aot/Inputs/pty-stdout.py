"""Runs a command with its standard output on a pseudo-terminal, as in an
interactive shell, then prints what it wrote to standard error, how many
bytes reached the terminal and its exit status."""
import os
import pty
import subprocess
import sys

master, slave = pty.openpty()
proc = subprocess.run(sys.argv[1:], stdout=slave, stderr=subprocess.PIPE)
os.close(slave)
shown = 0
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO once the terminal has no writer left
        break
    if not chunk:
        break
    shown += len(chunk)
sys.stdout.write(proc.stderr.decode())
print(f"terminal: {shown} bytes")
print(f"exit {proc.returncode}")
