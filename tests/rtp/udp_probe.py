#!/usr/bin/python3
"""udp_probe.py - one UDP exchange for the kernel check, bounded in time.

  udp_probe.py recv BIND_IP PORT TIMEOUT      print "ready" once bound, wait for one
                                              datagram, print its source, answer it
  udp_probe.py send BIND_IP PORT DST_IP DST_PORT TIMEOUT
                                              send from BIND_IP:PORT, print the reply's source
"""
import socket
import sys


def main():
    mode = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3])))
    if mode == "recv":
        # The caller sends only after this line: a datagram that arrives before
        # the bind is answered by ICMP and lost (python starts slowly under TCG).
        print("ready", flush=True)
        s.settimeout(float(sys.argv[4]))
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            print("recv none")
            return 1
        print("recv from %s:%d" % src, flush=True)
        s.sendto(b"pong", src)
        return 0
    dst = (sys.argv[4], int(sys.argv[5]))
    s.settimeout(float(sys.argv[6]))
    s.sendto(b"ping", dst)
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        print("reply none")
        return 1
    print("reply from %s:%d" % src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
