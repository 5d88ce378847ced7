#!/usr/bin/env python3
"""The Linux side of the tests in tests/net: a few TCP peers on the kernel's
stack, run inside the test's network namespace.

  peer.py send PORT FILE       accept one connection, send FILE, close
  peer.py recv PORT OUT        accept one, read to EOF into OUT, then send
                               "got N\\n" (the peer half-closed first) and close
  peer.py hold PORT TRIGGER    accept one, close once the file TRIGGER exists
Every wait is bounded (30 s), so a failed test cannot leave it behind.
"""
import os
import socket
import sys
import time


def accept_one(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(30)
    s.close()
    return c


def main():
    mode, port, arg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    c = accept_one(port)
    if mode == "send":
        with open(arg, "rb") as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    break
                c.sendall(b)
    elif mode == "recv":
        n = 0
        with open(arg, "wb") as f:
            while True:
                b = c.recv(1 << 16)
                if not b:
                    break
                n += len(b)
                f.write(b)
        c.sendall(b"got %d\n" % n)
    elif mode == "hold":
        end = time.time() + 30
        while not os.path.exists(arg) and time.time() < end:
            time.sleep(0.02)
    c.close()


if __name__ == "__main__":
    main()
