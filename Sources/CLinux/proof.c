#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CLinux.h"

int understudy_mount_overlay(const char *target, const char *options) {
    return mount("overlay", target, "overlay", 0, options);
}

int understudy_mount_tmpfs(const char *target) {
    return mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
}

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/// True when the comma-separated `options` hold `option` as a whole item.
static int has_option(const char *options, const char *option) {
    size_t length = strlen(option);
    for (const char *at = options; at && *at;) {
        const char *end = strchr(at, ',');
        size_t item = end ? (size_t)(end - at) : strlen(at);
        if (item == length && strncmp(at, option, length) == 0) return 1;
        at = end ? end + 1 : NULL;
    }
    return 0;
}

int understudy_remount_readonly(const char *target, const char *options) {
    // A bind remount sets every per-mount flag anew: the mount's own (nosuid, nodev, noexec, nosymfollow) are
    // passed again, or the proof would see them cleared. MS_BIND keeps it to this mount: without it the file
    // system itself, shared with the host, would turn read-only.
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (has_option(options, "nosuid")) flags |= MS_NOSUID;
    if (has_option(options, "nodev")) flags |= MS_NODEV;
    if (has_option(options, "noexec")) flags |= MS_NOEXEC;
    if (has_option(options, "nosymfollow")) flags |= MS_NOSYMFOLLOW;
    return mount(NULL, target, NULL, flags, NULL);
}

int understudy_bind_onto_itself(const char *target) { return mount(target, target, NULL, MS_BIND, NULL); }

int understudy_bind(const char *source, const char *target) { return mount(source, target, NULL, MS_BIND, NULL); }

int understudy_unmount_detached(const char *target) { return umount2(target, MNT_DETACH); }

int understudy_link_up(const char *name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, SIOCGIFFLAGS, &request);
    if (result == 0) {
        request.ifr_flags |= IFF_UP;
        result = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}
