/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VTEP_PRIVATE_H
#define VTEP_PRIVATE_H

/* Internals of lib/vtep shared by its files. */

#include <stdint.h>
#include <string.h>

/* Words of a frame read in place, at any alignment. */
static inline uint64_t
vtep_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
vtep_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif /* VTEP_PRIVATE_H */
