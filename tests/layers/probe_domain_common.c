/* the domain logging */
#include "log.h"

int probe_domain_common;
