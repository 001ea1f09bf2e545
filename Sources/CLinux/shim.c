#define _GNU_SOURCE
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <spawn.h>
#include "CLinux.h"

int understudy_syncfs(int fd) { return syncfs(fd); }

int understudy_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

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

int understudy_inotify_init(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }

int understudy_inotify_add_watch(int fd, const char *path, uint32_t mask) { return inotify_add_watch(fd, path, mask); }

int understudy_inotify_rm_watch(int fd, int watch) { return inotify_rm_watch(fd, watch); }

long understudy_inotify_event_at(const void *buffer, long length, long offset, struct understudy_inotify_event *event) {
    const long header = (long)sizeof(struct inotify_event);
    if (offset < 0 || length - offset < header) return -1;
    const char *start = (const char *)buffer + offset;
    // memcpy: the header need not be aligned if a caller passes an odd offset.
    struct inotify_event raw;
    memcpy(&raw, start, sizeof raw);
    if ((long)raw.len > length - offset - header) return -1;
    event->watch = raw.wd;
    event->mask = raw.mask;
    event->cookie = raw.cookie;
    event->name = start + header;
    event->name_length = raw.len == 0 ? 0 : (uint32_t)strnlen(event->name, raw.len);
    return offset + header + (long)raw.len;
}

void understudy_release_free_memory(void) {
    malloc_trim(0);
}

int understudy_limit_malloc_arenas(int count) {
    if (getenv("MALLOC_ARENA_MAX") != NULL) return 0;
    return mallopt(M_ARENA_MAX, count) == 1 ? 1 : -1;
}

int understudy_reflink(int dst_fd, int src_fd) {
    return ioctl(dst_fd, FICLONE, src_fd) == 0 ? 0 : -errno;
}

int understudy_birth_time(int dirfd, const char *name, long long *seconds, long *nanoseconds) {
    struct statx info;
    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &info) != 0) return -errno;
    if (!(info.stx_mask & STATX_BTIME)) return 1;
    *seconds = info.stx_btime.tv_sec;
    *nanoseconds = info.stx_btime.tv_nsec;
    return 0;
}

long understudy_copy_file_range(int in_fd, int out_fd, unsigned long length) {
    return (long)copy_file_range(in_fd, NULL, out_fd, NULL, length, 0);
}

int understudy_unix_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) return -ENAMETOOLONG;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    if (fchmod(fd, 0600) != 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, backlog) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int understudy_statx_now(int fd, struct understudy_version *version) {
    struct statx info;
    // Asked of the file system itself: a network one (NFS, FUSE) answers with the server's attributes, not cached ones.
    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &info) != 0) return -1;
    version->size = (int64_t)info.stx_size;
    version->inode = info.stx_ino;
    version->mtime_seconds = info.stx_mtime.tv_sec;
    version->mtime_nanoseconds = info.stx_mtime.tv_nsec;
    version->ctime_seconds = info.stx_ctime.tv_sec;
    version->ctime_nanoseconds = info.stx_ctime.tv_nsec;
    return 0;
}
