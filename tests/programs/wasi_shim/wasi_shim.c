/* What wasm32-wasi lacks and the programs name: processes, anonymous
   temporary files, file ownership and modes. Each fails the way C and
   POSIX allow it to, so the programs report it rather than crash. */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

int system(const char *command) { return command == NULL ? 0 : -1; }
FILE *tmpfile(void) { errno = ENOTSUP; return NULL; }
int fchmod(int fd, mode_t mode) { (void)fd; (void)mode; errno = ENOTSUP; return -1; }
int fchown(int fd, uid_t owner, gid_t group) { (void)fd; (void)owner; (void)group; errno = ENOTSUP; return -1; }
