/* the domain doing file I/O */
#include <unistd.h>

int probe_domain_unistd;
