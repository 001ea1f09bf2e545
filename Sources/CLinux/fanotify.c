#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "CLinux.h"

#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif

int understudy_fanotify_init(void) {
    int fd = fanotify_init(FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME, O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int understudy_fanotify_mark_filesystem(int fd, const char *path) {
    const uint64_t mask = FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | FAN_ONDIR;
    return fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, path) == 0 ? 0 : -errno;
}

/// Reads one info record of the DFID_NAME kinds; 0 when it is one, 1 when it is of another kind, -1 when malformed.
static int read_record(const char *start, long length, struct understudy_fanotify_record *record, uint16_t *record_length) {
    struct fanotify_event_info_header header;
    if (length < (long)sizeof header) return -1;
    memcpy(&header, start, sizeof header);
    if (header.len < sizeof header || header.len > length) return -1;
    *record_length = header.len;
    int kind;
    switch (header.info_type) {
    case FAN_EVENT_INFO_TYPE_DFID_NAME: kind = UNDERSTUDY_FAN_RECORD_ENTRY; break;
    case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME: kind = UNDERSTUDY_FAN_RECORD_OLD; break;
    case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME: kind = UNDERSTUDY_FAN_RECORD_NEW; break;
    default: return 1;
    }
    // header, fsid, then struct file_handle (handle_bytes, handle_type, f_handle[]), then the NUL-ended name.
    const long handle_offset = (long)sizeof header + (long)sizeof(__kernel_fsid_t);
    const long fixed = handle_offset + (long)sizeof(struct file_handle);
    if (header.len < fixed) return -1;
    struct file_handle handle;
    memcpy(&handle, start + handle_offset, sizeof handle);
    if (handle.handle_bytes > MAX_HANDLE_SZ || (long)handle.handle_bytes > header.len - fixed) return -1;
    const char *name = start + fixed + handle.handle_bytes;
    const long name_room = header.len - fixed - (long)handle.handle_bytes;
    const long name_length = (long)strnlen(name, (size_t)name_room);
    if (name_length == name_room) return -1;  // no NUL inside the record
    record->kind = kind;
    record->handle = start + handle_offset;
    record->handle_length = (uint32_t)sizeof handle + handle.handle_bytes;
    record->name = name;
    record->name_length = (uint32_t)name_length;
    return 0;
}

long understudy_fanotify_event_at(const void *buffer, long length, long offset, struct understudy_fanotify_event *event) {
    struct fanotify_event_metadata metadata;
    if (offset < 0 || length - offset < (long)sizeof metadata) return -1;
    const char *start = (const char *)buffer + offset;
    memcpy(&metadata, start, sizeof metadata);
    if (metadata.vers != FANOTIFY_METADATA_VERSION) return -2;
    if (metadata.event_len < sizeof metadata || metadata.event_len > length - offset) return -1;
    if (metadata.metadata_len < sizeof metadata || metadata.metadata_len > metadata.event_len) return -1;
    if (metadata.fd >= 0) close(metadata.fd);  // not asked for (FID reporting), but never leak one
    memset(event, 0, sizeof *event);
    event->mask = metadata.mask;
    long at = metadata.metadata_len;
    int count = 0;
    while (at < (long)metadata.event_len) {
        struct understudy_fanotify_record record;
        uint16_t record_length = 0;
        const int found = read_record(start + at, (long)metadata.event_len - at, &record, &record_length);
        if (found < 0) return -1;
        if (found == 0 && count < 2) {
            if (count == 0) event->first = record; else event->second = record;
            count += 1;
        }
        at += record_length;
    }
    event->record_count = count;
    return offset + (long)metadata.event_len;
}

long understudy_fanotify_path(int mount_fd, const void *handle, uint32_t handle_length, char *path, long capacity) {
    union {
        struct file_handle handle;
        char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    } aligned;
    if (handle_length < sizeof(struct file_handle) || handle_length > sizeof aligned || capacity < 2) return -EINVAL;
    memcpy(aligned.bytes, handle, handle_length);
    const int fd = open_by_handle_at(mount_fd, &aligned.handle, O_PATH | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat info;
    if (fstat(fd, &info) != 0 || info.st_nlink == 0) {  // a directory removed since: its old path means nothing
        close(fd);
        return -ESTALE;
    }
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t count = readlink(link, path, (size_t)capacity - 1);
    const int saved = errno;
    close(fd);
    if (count < 0) return -saved;
    if (count >= capacity - 1) return -ENAMETOOLONG;
    path[count] = 0;
    return (long)count;
}

long long understudy_mount_id(const char *path) {
    struct statx info;
    if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &info) != 0) return -errno;
    if (!(info.stx_mask & STATX_MNT_ID)) return -EOPNOTSUPP;
    return (long long)info.stx_mnt_id;
}

int understudy_fanotify_check_handles(int mount_fd, const char *path) {
    union {
        struct file_handle handle;
        char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    } aligned;
    aligned.handle.handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (name_to_handle_at(AT_FDCWD, path, &aligned.handle, &mount_id, 0) != 0) return -errno;
    const int fd = open_by_handle_at(mount_fd, &aligned.handle, O_PATH | O_CLOEXEC);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
}
