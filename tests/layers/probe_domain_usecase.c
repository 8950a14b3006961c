/* the domain calling up into the use cases */
#include "usecase.h"

int probe_domain_usecase;
