#ifndef UNDERSTUDY_CLINUX_H
#define UNDERSTUDY_CLINUX_H
#include <sys/types.h>

/// Flushes every dirty page and metadata of the filesystem holding fd (one journal commit for a batch).
int understudy_syncfs(int fd);
/// Raises the soft open-files limit to the hard limit; returns the new soft limit or -1.
long understudy_raise_nofile_limit(void);
/// st_ctim of a stat call without following a final symlink, for the file index.
int understudy_fstatat_ctime(int dirfd, const char *name, long long *seconds, long *nanoseconds);

#endif
