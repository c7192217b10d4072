/*
 * plan.h - the working state of one sipalg_process() call and the edit-plan
 * helpers every rewriting file uses (plan.c): record a failure, queue an
 * edit, test a token against the address being replaced. Not part of the API.
 */
#ifndef ALG_PLAN_H
#define ALG_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"
#include "text.h"

/* Longest header element (one Via, one Contact...) copied for libosip2. */
#define ALG_ELEM_MAX 4096

/* Working state of one sipalg_process() call (lives on its stack). */
struct alg_plan {
	const char *msg;		/* the message, as chars */
	size_t len;
	const struct sipalg_ctx *ctx;
	const struct sipalg_switches *sw;
	struct sipalg_result *res;
	bool plan;			/* false: gather facts only (disabled) */
	struct sipalg_addr from;	/* address being replaced */
	struct sipalg_addr to;		/* its replacement */
	uint16_t from_alt_port;		/* another port that names from (listen_port), 0 = none */
	bool seen_via;			/* the topmost Via was looked at */
	char from_ip[16];		/* from.ip as dotted text, for cheap pre-filters */
	size_t from_ip_len;		/* 0 for IPv6: compared only once parsed */
	bool v6;			/* the binding is IPv6 (NAT66, or routed) */
	enum sipalg_status fail;	/* SIPALG_OK while nothing went wrong */
	const char *reason;
};

/* Record a failure (first one wins); always returns -1. */
int alg_fail(struct alg_plan *p, enum sipalg_status st, const char *reason);

/* Queue an edit replacing msg[off, off+len) by text (nothing when text equals
 * those bytes); -1 (TOO_BIG) when full. */
int alg_edit_add(struct alg_plan *p, size_t off, size_t len, const char *text,
		 enum sipalg_edit_kind kind);

/* Does msg[sp] mention the address being replaced (IPv4: its dotted text;
 * IPv6: a literal in it that parses to it)? */
bool alg_mentions_from_ip(const struct alg_plan *p, struct alg_span sp);

/* Is s[0,n) the address being replaced (IPv4: strict dotted quad; IPv6: a
 * literal, bracketed or not, of the same address)? */
bool alg_is_from_ip(const struct alg_plan *p, const char *s, size_t n);

/* Replace the literal msg[off, off+len) by addr's (IPv6 bracketed when
 * bracket): nothing when it already names that address, so a routed IPv6
 * flow keeps every spelling. */
int alg_edit_addr(struct alg_plan *p, size_t off, size_t len, const struct sipalg_addr *addr,
		  bool bracket, enum sipalg_edit_kind kind);

/* Copy msg[sp] into buf (cap bytes incl. NUL), CR/LF turned into spaces so
 * that folded values parse and offsets stay 1:1. False if too long. */
bool alg_copy_value(const struct alg_plan *p, struct alg_span sp, char *buf, size_t cap);

#endif
