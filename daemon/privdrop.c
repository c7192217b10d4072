/* privdrop.c - drop to a user with CAP_NET_ADMIN only (libcap-ng). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <cap-ng.h>
#include <linux/capability.h>

#include "privdrop.h"

int privdrop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	int rc;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user \"%s\": %s", user,
			 errno ? strerror(errno) : "no such user");
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN)) {
		snprintf(err, errlen, "libcap-ng: cannot keep CAP_NET_ADMIN");
		return -1;
	}
	/* Supplementary groups and the bounding set go too: no way back to root. */
	rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc) {
		snprintf(err, errlen, "become %s (uid %u gid %u) keeping CAP_NET_ADMIN: "
			 "capng_change_id failed (%d)", user, (unsigned)pw->pw_uid,
			 (unsigned)pw->pw_gid, rc);
		return -1;
	}
	return 0;
}
