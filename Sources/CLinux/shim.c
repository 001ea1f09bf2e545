#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "CLinux.h"

int understudy_syncfs(int fd) { return syncfs(fd); }

long understudy_raise_nofile_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    }
    return (long)limit.rlim_cur;
}

int understudy_fstatat_ctime(int dirfd, const char *name, long long *seconds, long *nanoseconds) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
    *seconds = st.st_ctim.tv_sec;
    *nanoseconds = st.st_ctim.tv_nsec;
    return 0;
}
