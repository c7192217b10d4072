#!/usr/bin/env python3
"""Register, find and delete a userspace conntrack helper over raw nfnetlink.

Proves that the running kernel's nfnetlink_cthelper does what sipalgd's helper mode needs
(shared/DESIGN.md, fact 2): a helper for IPv4/UDP bound to an NFQUEUE, with an expectation
policy and NFCTH_PRIV_DATA_LEN. Python's socket module only: this must run on a bare guest.
Exit 0 when all three steps are acknowledged, 1 otherwise (the step and errno are printed).
"""
import errno
import os
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTHELPER = 9
MSG_NEW, MSG_GET, MSG_DEL = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_DUMP = 1, 4, 0x200, 0x400, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
# enum nfnl_cthelper_type, nfnl_cthelper_tuple_type, nfnl_cthelper_policy_type_attr,
# nfnl_cthelper_pol_type (include/uapi/linux/netfilter/nfnetlink_cthelper.h)
NFCTH_NAME, NFCTH_TUPLE, NFCTH_QUEUE_NUM, NFCTH_POLICY, NFCTH_PRIV_DATA_LEN, NFCTH_STATUS = 1, 2, 3, 4, 5, 6
NFCTH_TUPLE_L3PROTONUM, NFCTH_TUPLE_L4PROTONUM = 1, 2
NFCTH_POLICY_SET_NUM, NFCTH_POLICY_SET1 = 1, 2
NFCTH_POLICY_NAME, NFCTH_POLICY_EXPECT_MAX, NFCTH_POLICY_EXPECT_TIMEOUT = 1, 2, 3

NAME = b"vmprobe"


def attr(kind, payload):
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def nested(kind, *attrs):
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def be32(value):
    return struct.pack(">I", value)


def tuple_attr():
    return nested(NFCTH_TUPLE,
                  attr(NFCTH_TUPLE_L3PROTONUM, struct.pack(">H", socket.AF_INET)),
                  attr(NFCTH_TUPLE_L4PROTONUM, bytes([socket.IPPROTO_UDP])))


def request(sock, seq, msg, flags, attrs):
    nfgen = struct.pack("=BBH", socket.AF_INET, 0, 0)
    body = nfgen + attrs
    header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_CTHELPER << 8) | msg,
                         NLM_F_REQUEST | flags, seq, 0)
    sock.send(header + body)
    replies = []
    while True:
        data = sock.recv(65536)
        offset = 0
        while offset + 16 <= len(data):
            length, kind, _, rseq, _ = struct.unpack_from("=IHHII", data, offset)
            if rseq == seq:
                if kind == NLMSG_ERROR:
                    return -struct.unpack_from("=i", data, offset + 16)[0], replies
                if kind == NLMSG_DONE:
                    return 0, replies
                replies.append(data[offset + 16:offset + length])
            offset += (length + 3) & ~3


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.settimeout(5)
    sock.bind((0, 0))
    policy = nested(NFCTH_POLICY,
                    attr(NFCTH_POLICY_SET_NUM, be32(1)),
                    nested(NFCTH_POLICY_SET1,
                           attr(NFCTH_POLICY_NAME, NAME + b"\0"),
                           attr(NFCTH_POLICY_EXPECT_MAX, be32(8)),
                           attr(NFCTH_POLICY_EXPECT_TIMEOUT, be32(300))))
    new = (attr(NFCTH_NAME, NAME + b"\0") + tuple_attr() + attr(NFCTH_QUEUE_NUM, be32(7)) +
           policy + attr(NFCTH_PRIV_DATA_LEN, be32(0)) + attr(NFCTH_STATUS, be32(1)))
    err, _ = request(sock, 1, MSG_NEW, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, new)
    if err:
        print(f"register helper {NAME.decode()}: {errno.errorcode.get(err, err)} ({os.strerror(err)})")
        return 1
    err, replies = request(sock, 2, MSG_GET, NLM_F_DUMP, b"")
    found = any(NAME + b"\0" in reply for reply in replies)
    delete_err, _ = request(sock, 3, MSG_DEL, NLM_F_ACK, attr(NFCTH_NAME, NAME + b"\0") + tuple_attr())
    if err or not found:
        print(f"dump helpers: error {err}, {len(replies)} helpers, ours {'found' if found else 'missing'}")
        return 1
    if delete_err:
        print(f"delete helper {NAME.decode()}: {os.strerror(delete_err)}")
        return 1
    print(f"registered, listed ({len(replies)} helper(s)) and deleted userspace helper "
          f"{NAME.decode()} (IPv4/UDP, queue 7)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
