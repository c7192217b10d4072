/*
 * sip_check.h - what the replay's acceptance asks of every rewritten message,
 * checked with the tests' own small scanner (not the engine): Content-Length
 * matches the body, and no Via/Contact/c=/o= line names an inside address.
 */
#ifndef SIPALGD_TEST_SIP_CHECK_H
#define SIPALGD_TEST_SIP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Length of the first whole message in a stream (headers + Content-Length
 * body): >0, 0 when incomplete, -1 when it has no Content-Length. */
long sip_frame_length(const uint8_t *buf, size_t len);

/* Does msg look like a SIP message (request or response start line)? */
bool sip_looks_like(const uint8_t *msg, size_t len);

/* 0 if Content-Length (or l:) equals the body length; -1 with why. */
int sip_check_content_length(const uint8_t *msg, size_t len, char *why, size_t n);

/* 1 and the offending line in what if a Via/Contact header or an SDP c=/o=
 * line names an address inside net/mask; else 0. */
int sip_find_inside_leak(const uint8_t *msg, size_t len, struct in_addr net,
			 struct in_addr mask, char *what, size_t n);

/* Port of the idx-th SDP m= line, or -1. */
long sdp_media_port(const uint8_t *msg, size_t len, unsigned idx);

/* Does the first header named name (case-insensitive, full name) contain needle? */
bool sip_header_has(const uint8_t *msg, size_t len, const char *name, const char *needle);

/* Does the body (after the blank line) contain needle? */
bool sip_body_has(const uint8_t *msg, size_t len, const char *needle);

/*
 * "Nothing else changed": before and after have the same lines, and every
 * line that differs is one the ALG may rewrite (a request's start line,
 * Via, Contact, Record-Route, Route, Content-Length, SDP o=/c=/m=/a=rtcp:).
 * 0, or -1 with the first other changed line in what.
 */
int sip_only_alg_lines_changed(const uint8_t *before, size_t blen,
			       const uint8_t *after, size_t alen, char *what, size_t n);

/* head (header lines, each ending CRLF) + Content-Length + blank line + body,
 * in memory the caller frees: the tests' messages. */
char *sip_test_message(const char *head, const char *body);

#endif
