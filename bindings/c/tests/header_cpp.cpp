// The header compiles as C++ too, with C linkage.
#include "idr.h"
int main() { idr_options o; idr_options_init(&o); return o.version == IDR_OPTIONS_VERSION ? 0 : 1; }
