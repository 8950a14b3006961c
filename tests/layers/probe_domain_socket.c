/* the domain doing network I/O */
#include <sys/socket.h>

int probe_domain_socket;
