#ifndef UNDERSTUDY_CLINUX_H
#define UNDERSTUDY_CLINUX_H
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/types.h>
#include <spawn.h>

/// Flushes every dirty page and metadata of the filesystem holding fd (one journal commit for a batch).
int understudy_syncfs(int fd);
/// Makes the spawned child close every descriptor from `from` up (glibc 2.34+; a GNU extension).
int understudy_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);
/// Raises the soft open-files limit to the hard limit; returns the new soft limit or -1.
long understudy_raise_nofile_limit(void);
/// A listening, non-blocking Unix stream socket at `path` whose file has mode 0600 from the instant it exists: the mode
/// is set on the socket before bind (Linux gives the new file the socket's mode less the umask), so there is no moment
/// when others may connect. Returns the descriptor or -errno.
int understudy_unix_listen(const char *path, int backlog);
/// st_ctim of a stat call without following a final symlink, for the file index.
int understudy_fstatat_ctime(int dirfd, const char *name, long long *seconds, long *nanoseconds);

/// The inotify bits the change capture uses, copied from <sys/inotify.h> so Swift sees them as plain numbers.
enum {
    UNDERSTUDY_IN_MODIFY = IN_MODIFY,
    UNDERSTUDY_IN_ATTRIB = IN_ATTRIB,
    UNDERSTUDY_IN_CLOSE_WRITE = IN_CLOSE_WRITE,
    UNDERSTUDY_IN_MOVED_FROM = IN_MOVED_FROM,
    UNDERSTUDY_IN_MOVED_TO = IN_MOVED_TO,
    UNDERSTUDY_IN_CREATE = IN_CREATE,
    UNDERSTUDY_IN_DELETE = IN_DELETE,
    UNDERSTUDY_IN_DELETE_SELF = IN_DELETE_SELF,
    UNDERSTUDY_IN_MOVE_SELF = IN_MOVE_SELF,
    UNDERSTUDY_IN_Q_OVERFLOW = IN_Q_OVERFLOW,
    UNDERSTUDY_IN_IGNORED = IN_IGNORED,
    UNDERSTUDY_IN_ISDIR = IN_ISDIR,
    UNDERSTUDY_IN_ONLYDIR = IN_ONLYDIR,
    UNDERSTUDY_IN_DONT_FOLLOW = IN_DONT_FOLLOW,
    UNDERSTUDY_IN_EXCL_UNLINK = IN_EXCL_UNLINK,
};

/// One event of a buffer filled by read() on an inotify descriptor. `name` points into that buffer.
struct understudy_inotify_event {
    int watch;
    uint32_t mask;
    uint32_t cookie;
    /// Bytes of `name` before its NUL padding; 0 for an event on the watched directory itself.
    uint32_t name_length;
    const char *name;
};

/// inotify_init1(IN_NONBLOCK | IN_CLOEXEC).
int understudy_inotify_init(void);
int understudy_inotify_add_watch(int fd, const char *path, uint32_t mask);
int understudy_inotify_rm_watch(int fd, int watch);
/// Decodes the event starting at `offset` of the `length` bytes read; returns the offset of the next event,
/// or -1 when no complete event starts there.
long understudy_inotify_event_at(const void *buffer, long length, long offset, struct understudy_inotify_event *event);

/// The fanotify bits the change capture reads, from <sys/fanotify.h>.
enum {
    UNDERSTUDY_FAN_MODIFY = 0x2,
    UNDERSTUDY_FAN_ATTRIB = 0x4,
    UNDERSTUDY_FAN_CLOSE_WRITE = 0x8,
    UNDERSTUDY_FAN_CREATE = 0x100,
    UNDERSTUDY_FAN_DELETE = 0x200,
    UNDERSTUDY_FAN_Q_OVERFLOW = 0x4000,
    UNDERSTUDY_FAN_RENAME = 0x10000000,
    UNDERSTUDY_FAN_ONDIR = 0x40000000,
};

/// What an info record names: the entry (its directory and name), or a rename's old or new name.
enum { UNDERSTUDY_FAN_RECORD_ENTRY = 1, UNDERSTUDY_FAN_RECORD_OLD = 2, UNDERSTUDY_FAN_RECORD_NEW = 3 };

/// One directory-and-name record of an event. `handle` (a struct file_handle, unaligned) and `name` point into the
/// buffer read; `name` is "." for an event on a directory itself.
struct understudy_fanotify_record {
    int kind;
    const void *handle;
    uint32_t handle_length;
    const char *name;
    uint32_t name_length;
};

/// One event of a buffer read from a FAN_REPORT_DFID_NAME group: its mask and up to two records (a rename has two).
struct understudy_fanotify_event {
    uint64_t mask;
    int record_count;
    struct understudy_fanotify_record first;
    struct understudy_fanotify_record second;
};

/// fanotify_init(FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME): the descriptor, or -errno (EPERM without
/// CAP_SYS_ADMIN, EINVAL before Linux 5.9).
int understudy_fanotify_init(void);
/// Marks the whole file system holding `path` for creates, deletes, renames (FAN_RENAME, Linux 5.17), writes,
/// closes after writing and attribute changes, directories included; 0, or -errno (ENODEV/EXDEV where the file
/// system cannot report file handles).
int understudy_fanotify_mark_filesystem(int fd, const char *path);
/// Decodes the event at `offset`; returns the next event's offset, -1 when no complete event starts there, -2 for
/// a metadata version this build does not know. Closes an event's descriptor if one came.
long understudy_fanotify_event_at(const void *buffer, long length, long offset, struct understudy_fanotify_event *event);
/// The current path of the object `handle` names (open_by_handle_at through `mount_fd`, then /proc/self/fd):
/// its length, or -errno (-ESTALE when it no longer exists).
long understudy_fanotify_path(int mount_fd, const void *handle, uint32_t handle_length, char *path, long capacity);
/// Whether this process can find paths from file handles on the mount of `mount_fd` (name_to_handle_at, then
/// open_by_handle_at, which needs CAP_DAC_READ_SEARCH): 0, or -errno.
int understudy_fanotify_check_handles(int mount_fd, const char *path);
/// The id of the mount `path` is on (statx STATX_MNT_ID, Linux 5.8), or -errno.
long long understudy_mount_id(const char *path);

/// Makes `dst_fd` a copy-on-write clone of `src_fd` (FICLONE); 0, or -errno (EOPNOTSUPP, EXDEV, EINVAL where the
/// file system has no reflinks).
int understudy_reflink(int dst_fd, int src_fd);
/// copy_file_range(in, NULL, out, NULL, length, 0): bytes copied, 0 at the end, -1 with errno set.
long understudy_copy_file_range(int in_fd, int out_fd, unsigned long length);
/// The birth time of `name` in `dirfd` (statx, no symlink followed): 0 when known, 1 when the file system does not
/// record it, -errno on failure.
int understudy_birth_time(int dirfd, const char *name, long long *seconds, long *nanoseconds);

/// Whether an NTP client keeps the clock synchronized (adjtimex, reading only: STA_UNSYNC clear), and the kernel's
/// estimate of its error; 0, or -errno.
int understudy_clock_state(int *synchronized, long *maximum_error_microseconds);

/// Hands freed heap back to the kernel (glibc keeps it otherwise): called after a large comparison.
void understudy_release_free_memory(void);

/// At most `count` glibc malloc arenas for the process, unless MALLOC_ARENA_MAX says otherwise (then 0): glibc gives
/// busy threads arenas of their own (up to 8 per core), each keeping the heap it once grew to. 1 when set, -1 on
/// failure.
int understudy_limit_malloc_arenas(int count);

/* ---- Service address for takeover (netaddr.c): rtnetlink, SIOCGIFHWADDR, AF_PACKET ----
 * Every function acts in the network namespace of the calling thread and returns -errno on failure.
 * `family` is AF_INET (address of 4 bytes) or AF_INET6 (16 bytes), bytes in network order. */

/// Adds (add != 0) or removes `address/prefix_length` on interface `ifindex` through rtnetlink.
/// Returns 1 when the address was added or removed, 0 when it was already there (add) or absent (remove).
/// IPv6 is added with IFA_F_NODAD so it is usable at once; IPv4 with the subnet broadcast below /31.
int understudy_netaddr_change(int add, unsigned int ifindex, int family, const uint8_t *address, int prefix_length);
/// Like understudy_netaddr_change, with a lifetime in seconds after which the kernel removes the address by itself
/// unless renewed (0: none).
int understudy_netaddr_add(int add, unsigned int ifindex, int family, const uint8_t *address, int prefix_length, uint32_t lifetime);
/// Sets a new lifetime (seconds) on an address: 0 or -errno. The kernel creates the address if it is missing, so the caller
/// checks that it is there first.
int understudy_netaddr_renew(unsigned int ifindex, int family, const uint8_t *address, int prefix_length, uint32_t lifetime);
/// 1 when `address/prefix_length` is on interface `ifindex`, 0 when not (an RTM_GETADDR dump).
int understudy_netaddr_contains(unsigned int ifindex, int family, const uint8_t *address, int prefix_length);
/// The hardware address of interface `name` (SIOCGIFHWADDR): writes up to `capacity` bytes to `out`,
/// the ARPHRD_* type to `hardware_type`, and returns the number of bytes (6 for Ethernet).
int understudy_if_hwaddr(const char *name, uint8_t *out, int capacity, int *hardware_type);
/// Sends one gratuitous ARP request for `ipv4` from `mac` on Ethernet interface `ifindex`.
int understudy_send_gratuitous_arp(unsigned int ifindex, const uint8_t *mac, const uint8_t *ipv4);
/// Sends one unsolicited neighbour advertisement (Override set, Solicited clear) for `ipv6` from `mac` to ff02::1
/// on Ethernet interface `ifindex`; `router` sets the Router flag (for a node that forwards IPv6).
int understudy_send_unsolicited_na(unsigned int ifindex, const uint8_t *mac, const uint8_t *ipv6, int router);
/* ---- end of service address ---- */


/// A file's size, inode and times, as `understudy_statx_now` reads them.
struct understudy_version {
    int64_t size;
    uint64_t inode;
    int64_t mtime_seconds;
    uint32_t mtime_nanoseconds;
    int64_t ctime_seconds;
    uint32_t ctime_nanoseconds;
};

/// statx of an open file with AT_STATX_FORCE_SYNC: on a network file system, the server's attributes now. 0, or -1
/// with errno.
int understudy_statx_now(int fd, struct understudy_version *version);

/* ---- proofs (run in private namespaces) ---- */
/// mount(2) of an overlay file system on `target` with `options` ("lowerdir=...,upperdir=...,workdir=..."). 0, or -1
/// with errno.
int understudy_mount_overlay(const char *target, const char *options);
/// An empty tmpfs on `target` (mode 0755). 0, or -1 with errno.
int understudy_mount_tmpfs(const char *target);
/// Makes the mount at `target` read-only in this mount namespace (a bind remount), keeping the nosuid, nodev, noexec
/// and nosymfollow of its per-mount `options` (mountinfo's sixth field). 0, or -1 with errno.
int understudy_remount_readonly(const char *target, const char *options);
/// Binds `target` onto itself (so that a part of a mount, /proc/sys, can be remounted alone). 0, or -1 with errno.
int understudy_bind_onto_itself(const char *target);
/// Binds the file or directory `source` over `target` (which must exist): 0, or -1 with errno.
int understudy_bind(const char *source, const char *target);
/// umount2(target, MNT_DETACH). 0, or -1 with errno.
int understudy_unmount_detached(const char *target);
/// Sets interface `name` up (SIOCSIFFLAGS). 0, or -1 with errno.
int understudy_link_up(const char *name);

#endif
