/* a use case reaching up into the HTTP layer */
#include "http.h"

int probe_usecase_http;
