/* The system's libxxhash (Debian: libxxhash-dev). idr links the shared library; it does not
 * inline its own copy of the hash. */
#include <xxhash.h>

/* A prefetch hint (Swift has no intrinsic for it): the bulk loader knows the hashes of rows it
 * will intern shortly and asks for their hash-table slots ahead of time. */
static inline void idr_prefetch(const void *address) { __builtin_prefetch(address); }
