# SPDX-License-Identifier: Apache-2.0
# doors.py: unix socket servers outside the sandbox and the payload's probes
# inside it, for t-unix-doors.sh. Paths may be given as hex ("hex:2f72756e...")
# so that names with newlines or invalid UTF-8 survive a command line.
#
#   serve stream|dgram PATH LOG [MODE]  bind PATH (chmod MODE, default 0600),
#                                  print "ready", log one line per connection
#                                  ("conn") or datagram ("dgram") to LOG
#   connect PATH...                "PATH = connected pong" or "PATH = error ENAME"
#   send PATH                      to a datagram socket: "sendto = ...",
#                                  "sendmsg = ...", "sendmmsg = ..." (OK or ENAME)
#   own DIR                        the payload's own sockets: a stream and a datagram
#                                  socket bound in DIR and reached there; a socketpair
#   fdpath DIR HOSTNAME            bind and connect through /proc/self/fd/N/NAME (N: DIR
#                                  opened O_PATH), then connect to /proc/self/fd/N/HOSTNAME
#   links HOSTPATH                 a symbolic and a hard link to HOSTPATH in the working
#                                  directory, connected to
#   abstract                       bind an abstract name and connect to it
#   bindmode UMASK PATH            bind PATH under UMASK (octal): "mode = 0NNN" of the socket file
#   race KEEP SECS                 the rename race (see t-unix-doors.sh): "race = B breaches
#                                  in T tries, R renames, K binds"
import ctypes
import errno
import os
import socket
import struct
import sys
import threading
import time


def arg_path(a):
    return bytes.fromhex(a[4:]) if a.startswith("hex:") else os.fsencode(a)


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def show(p):
    return os.fsdecode(p) if isinstance(p, bytes) else p


def serve(kind, path, log, mode="0600"):
    path = arg_path(path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == "stream" else socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, int(mode, 8))
    if kind == "stream":
        s.listen(16)
    out = open(log, "a", buffering=1)
    print("ready", flush=True)
    while True:
        if kind == "stream":
            c, _ = s.accept()
            out.write("conn\n")
            try:
                c.sendall(b"pong")
            except OSError:
                pass
            c.close()
        else:
            s.recv(64)
            out.write("dgram\n")


def connect_one(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(path)
        return "connected " + c.recv(8).decode()
    except OSError as e:
        return "error " + ename(e)
    finally:
        c.close()


def sun(path):
    return struct.pack("H", socket.AF_UNIX) + path + b"\0"


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]


def sendmmsg(fd, path):
    """sendmmsg(2) of one datagram to PATH (Python has no binding)."""
    libc = ctypes.CDLL(None, use_errno=True)
    name = ctypes.create_string_buffer(sun(path))
    data = ctypes.create_string_buffer(b"mmsg")
    iov = iovec(ctypes.cast(data, ctypes.c_void_p), 4)
    m = mmsghdr(msghdr(ctypes.cast(name, ctypes.c_void_p), len(name.raw) - 1, ctypes.pointer(iov), 1, None, 0, 0), 0)
    r = libc.sendmmsg(fd, ctypes.byref(m), 1, 0)
    return "OK" if r == 1 else errno.errorcode.get(ctypes.get_errno(), "?")


def send(path):
    path = arg_path(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for call in ("sendto", "sendmsg", "sendmmsg"):
        try:
            if call == "sendto":
                s.sendto(b"to", path)
                r = "OK"
            elif call == "sendmsg":
                s.sendmsg([b"msg"], [], 0, path)
                r = "OK"
            else:
                r = sendmmsg(s.fileno(), path)
        except OSError as e:
            r = ename(e)
        print("%s = %s" % (call, r), flush=True)


def own(d):
    d = arg_path(d)
    sp = os.path.join(d, b"own-%d.sock" % os.getpid())
    dp = os.path.join(d, b"own-%d.dgram" % os.getpid())
    for p in (sp, dp):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sp)
    s.listen(4)

    def srv():
        c, _ = s.accept()
        c.sendall(b"mine")
        c.close()
    threading.Thread(target=srv, daemon=True).start()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(sp)
        r = c.recv(8).decode()
    except OSError as e:
        r = "error " + ename(e)
    print("stream = %s" % r)
    d1 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d1.bind(dp)
    d2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        d2.sendto(b"dmine", dp)
        r = d1.recv(8).decode()
    except OSError as e:
        r = "error " + ename(e)
    print("dgram = %s" % r)
    a, b = socket.socketpair()
    a.send(b"pair")
    print("socketpair = %s" % b.recv(8).decode())
    for p in (sp, dp):
        os.unlink(p)


def fdpath(d, hostname):
    fd = os.open(arg_path(d), os.O_PATH | os.O_DIRECTORY)
    name = b"/proc/self/fd/%d/fdp-%d.sock" % (fd, os.getpid())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(name)
        s.listen(4)
        threading.Thread(target=lambda: s.accept()[0].sendall(b"mine"), daemon=True).start()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        r = c.recv(8).decode()
    except OSError as e:
        r = "error " + ename(e)
    print("own = %s" % r)
    print("host = %s" % connect_one(b"/proc/self/fd/%d/%s" % (fd, arg_path(hostname))))
    try:
        os.unlink(os.path.join(arg_path(d), b"fdp-%d.sock" % os.getpid()))
    except OSError:
        pass


def links(hostpath):
    hostpath = arg_path(hostpath)
    sym, hard = b"lnsym-%d.sock" % os.getpid(), b"lnhard-%d.sock" % os.getpid()
    os.symlink(hostpath, sym)
    print("symlink = %s" % connect_one(sym))
    try:
        os.link(hostpath, hard)
        print("hardlink = %s" % connect_one(hard))
        os.unlink(hard)
    except OSError as e:
        print("hardlink = link failed " + ename(e))
    os.unlink(sym)


def abstract():
    name = b"\0sbx-doors-%d" % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(name)
    s.listen(4)
    threading.Thread(target=lambda: s.accept()[0].sendall(b"mine"), daemon=True).start()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(name)
        print("abstract = %s" % c.recv(8).decode())
    except OSError as e:
        print("abstract = error " + ename(e))


def bindmode(mask, path):
    path = arg_path(path)
    os.umask(int(mask, 8))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    print("mode = 0%o" % (os.stat(path).st_mode & 0o777))
    os.unlink(path)


def race(keep, secs):
    """
    One thread binds a socket of its own at NAME over and over; the other
    hard-links the host socket KEEP to a temporary name and renames it over
    NAME, then connects to NAME. If sbx recorded the file at NAME after its
    bind without checking that it is the one the socket was bound to, the
    host socket would pass for the payload's own and the connect would reach
    it (a breach).
    """
    keep = arg_path(keep)
    name, tmp = b"race-%d.sock" % os.getpid(), b"race-%d.tmp" % os.getpid()
    stop = time.time() + float(secs)
    counts = {"tries": 0, "breaches": 0, "renames": 0, "binds": 0}

    def binder():
        while time.time() < stop:
            try:
                os.unlink(name)
            except OSError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind(name)
                counts["binds"] += 1
            except OSError:
                pass
            s.close()
    t = threading.Thread(target=binder)
    t.start()
    while time.time() < stop:
        try:
            # rename() of a second link to the same file does nothing and leaves tmp: start afresh.
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            os.link(keep, tmp)
            os.rename(tmp, name)
            counts["renames"] += 1
        except OSError:
            pass
        counts["tries"] += 1
        if connect_one(name) == "connected pong":
            counts["breaches"] += 1
    t.join()
    for p in (name, tmp):
        try:
            os.unlink(p)
        except OSError:
            pass
    print("race = %(breaches)d breaches in %(tries)d tries, %(renames)d renames, %(binds)d binds" % counts)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(*args)
    elif cmd == "connect":
        for p in args:
            print("%s = %s" % (p, connect_one(arg_path(p))), flush=True)
    elif cmd == "send":
        send(args[0])
    elif cmd == "own":
        own(args[0])
    elif cmd == "fdpath":
        fdpath(args[0], args[1])
    elif cmd == "links":
        links(args[0])
    elif cmd == "abstract":
        abstract()
    elif cmd == "bindmode":
        bindmode(args[0], args[1])
    elif cmd == "race":
        race(args[0], args[1])
    else:
        sys.exit("doors.py: unknown command " + cmd)


main()
