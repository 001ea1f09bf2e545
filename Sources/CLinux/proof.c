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

int understudy_remount_readonly(const char *target) {
    return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

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
