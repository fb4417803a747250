# SPDX-License-Identifier: Apache-2.0
# stuckpipe.py FD [--full] CMD...: run CMD with FD the write end of a pipe
# whose reader (this process) never reads: writes block rather than fail.
# --full fills the pipe first: the very first line CMD writes would block.
# Exits with CMD's status (128+N if killed by signal N).
import fcntl
import os
import sys

fd = int(sys.argv[1])
args = sys.argv[2:]
full = args[0] == "--full"
if full:
    args = args[1:]
r, w = os.pipe()
if full:
    fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, 0)
pid = os.fork()
if pid == 0:
    os.close(r)
    os.dup2(w, fd)
    os.execvp(args[0], args)
os.close(w)
_, status = os.waitpid(pid, 0)
os.close(r)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
