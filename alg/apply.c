/* apply.c - splice a planned result into an output buffer; names of things. */
#include <string.h>

#include "sipalg.h"

void sipalg_switches_default(struct sipalg_switches *sw)
{
	*sw = (struct sipalg_switches){
		.enabled = true,
		.request_uri = true,
		.via = true,
		.contact = true,
		.record_route = true,
		.route = true,
		.from_to = false,	/* From/To are identities, not routing: README */
		.sdp_origin = true,
		.sdp_connection = true,
		.sdp_media_port = true,
		.sdp_rtcp = true,
	};
}

long sipalg_apply(const uint8_t *msg, size_t len,
		  const struct sipalg_result *res, uint8_t *out, size_t cap)
{
	size_t in = 0, o = 0;
	unsigned i;

	if (res->status != SIPALG_OK || res->n_edits == 0) {
		if (len > cap)
			return -1;
		if (len)
			memmove(out, msg, len);
		return (long)len;
	}
	for (i = 0; i < res->n_edits; i++) {
		const struct sipalg_edit *e = &res->edits[i];
		size_t tl = strnlen(e->text, sizeof(e->text));

		if (e->off < in || e->off > len || e->len > len - e->off)
			return -1;	/* not sorted or out of range: not ours */
		if (e->off - in > cap - o)
			return -1;
		memcpy(out + o, msg + in, e->off - in);
		o += e->off - in;
		if (tl > cap - o)
			return -1;
		memcpy(out + o, e->text, tl);
		o += tl;
		in = e->off + e->len;
	}
	if (len - in > cap - o)
		return -1;
	memcpy(out + o, msg + in, len - in);
	return (long)(o + len - in);
}

const char *sipalg_status_str(enum sipalg_status st)
{
	switch (st) {
	case SIPALG_OK: return "ok";
	case SIPALG_DISABLED: return "disabled";
	case SIPALG_NOT_SIP: return "not-sip";
	case SIPALG_UNPARSABLE: return "unparsable";
	case SIPALG_TRUNCATED: return "truncated";
	case SIPALG_TOO_BIG: return "too-big";
	}
	return "?";
}

const char *sipalg_edit_kind_str(enum sipalg_edit_kind k)
{
	static const char *const names[SIPALG_EDIT_KIND_MAX] = {
		[SIPALG_EDIT_REQUEST_URI] = "request-uri",
		[SIPALG_EDIT_VIA] = "via",
		[SIPALG_EDIT_CONTACT] = "contact",
		[SIPALG_EDIT_RECORD_ROUTE] = "record-route",
		[SIPALG_EDIT_ROUTE] = "route",
		[SIPALG_EDIT_FROM_TO] = "from-to",
		[SIPALG_EDIT_SDP_ORIGIN] = "sdp-origin",
		[SIPALG_EDIT_SDP_CONNECTION] = "sdp-connection",
		[SIPALG_EDIT_SDP_MEDIA_PORT] = "sdp-media-port",
		[SIPALG_EDIT_SDP_RTCP] = "sdp-rtcp",
		[SIPALG_EDIT_CONTENT_LENGTH] = "content-length",
	};

	return (unsigned)k < SIPALG_EDIT_KIND_MAX ? names[k] : "?";
}
