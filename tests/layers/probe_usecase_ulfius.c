/* a use case speaking HTTP */
#include <ulfius.h>

int probe_usecase_ulfius;
