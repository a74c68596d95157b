/* The header alone compiles as strict C99 (`make test` builds this with -pedantic -Werror). */
#include "idr.h"
int main(void) { return IDR_OK; }
