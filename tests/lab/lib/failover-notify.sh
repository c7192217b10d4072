#!/bin/sh
# keepalived's notify script for a gateway of the conntrackd pair: what
# conntrack-tools' primary-backup.sh does, with the config named, plus the
# sipalgd step.   notify.sh primary|backup|fault CONNTRACKD_CONF [STATE_FILE]
#
# primary: commit the peer's states (external cache) into the kernel, flush
# both caches, resync the internal cache from the kernel, send it all to the
# peer. Then sipalgd must learn the calls the kernel now holds: until it
# recovers them from a ctnetlink dump at start, it is restarted (a deployment
# runs `systemctl restart sipalgd` here; the lab, which starts its daemons by
# PID, restarts it when STATE_FILE says "primary").
# backup/fault: shorten the kernel timeouts of what we no longer forward
# (-t) and ask the peer for its states (-n).
state=$1 conf=$2 out=${3:-}
ctd() { /usr/sbin/conntrackd -C "$conf" "$@" || echo "conntrackd $* failed" >&2; }
case $state in
  primary)
    # conntracks first: an expectation needs its master in the kernel; each
    # commit is synchronous on its own (after a bare -c the client may come
    # back while the expectations are still being committed, and conntrackd
    # then ignores the -f: "commit still in progress")
    ctd -c ct
    ctd -c expect
    ctd -f
    ctd -R
    ctd -B
    [ -n "${SIPALGD_RESTART:-}" ] && $SIPALGD_RESTART
    ;;
  backup)
    ctd -t
    ctd -n
    ;;
  fault)
    ctd -t
    ;;
  *) echo "usage: notify.sh primary|backup|fault CONNTRACKD_CONF [STATE_FILE]" >&2; exit 1 ;;
esac
[ -n "$out" ] && echo "$state $(date +%s.%N)" >>"$out"
exit 0
