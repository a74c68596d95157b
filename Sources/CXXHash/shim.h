/* The system's libxxhash (Debian: libxxhash-dev). idr links the shared library; it does not
 * inline its own copy of the hash. */
#include <xxhash.h>
