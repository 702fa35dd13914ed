/* Small I/O helpers (libc only: pcctl-exec links this too). */
#pragma once

#include <stddef.h>

/* Writes all n bytes to a blocking fd, retrying on EINTR and short writes. Returns 0 or -errno (-EIO when
 * write() makes no progress). */
int loop_write(int fd, const void *buf, size_t n);
