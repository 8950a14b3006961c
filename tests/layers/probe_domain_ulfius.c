/* the domain speaking HTTP */
#include <ulfius.h>

int probe_domain_ulfius;
