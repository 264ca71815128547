/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bearer token: read from a file only its owner may read, compared in
 * constant time.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

int
api_token_read(const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	char tmp[API_TOKEN_MAX + 3];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	/* O_NOFOLLOW is not used: a token file behind a symlink is fine, the
	 * mode checked is the target's (fstat of what was opened). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = -EPERM;
		snprintf(err, errlen, "%s: mode %04o lets others read or write the token; "
			 "it must be 0600 or stricter", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* Read one byte more than fits to tell "too long" from "just fits". */
	while (len < sizeof(tmp)) {
		n = read(fd, tmp + len, sizeof(tmp) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && tmp[len - 1] == '\n')
		len--;
	if (len > 0 && tmp[len - 1] == '\r')
		len--;
	if (len == 0) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: the token file is empty", path);
		goto out;
	}
	if (len > API_TOKEN_MAX || len >= size) {
		rc = -E2BIG;
		snprintf(err, errlen, "%s: the token is longer than %zu bytes", path,
			 size - 1 < API_TOKEN_MAX ? size - 1 : (size_t)API_TOKEN_MAX);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)tmp[i];

		/* A token travels in an HTTP header: visible ASCII only. */
		if (ch <= ' ' || ch >= 0x7f) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s: byte %zu of the token is not visible ASCII "
				 "(one trailing newline is all that is stripped)", path, i + 1);
			goto out;
		}
	}
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	rc = 0;
out:
	memset(tmp, 0, sizeof(tmp));
	close(fd);
	return rc;
}

bool
api_token_equal(const char *given, size_t given_len, const char *token, size_t token_len)
{
	/* volatile keeps the compiler from turning the loop into an early
	 * exit; the loop runs over the configured token whatever is given. */
	volatile unsigned char diff = given_len != token_len;

	for (size_t i = 0; i < token_len; i++) {
		unsigned char g = i < given_len ? (unsigned char)given[i] : 0;

		diff |= g ^ (unsigned char)token[i];
	}
	return diff == 0;
}
