#include "CLibrsync.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

const char *clibrsync_version(void) { return rs_librsync_version; }

// Thread-local because jobs run synchronously on the caller's thread: the
// line logged during a failing rs_job_iter belongs to that call.
static __thread char last_error[512];

static void capture_line(rs_loglevel level, char const *msg) {
    if (level > RS_LOG_ERR || last_error[0] != '\0') {
        return; // keep the first (root-cause) error; drop chatter
    }
    static const char prefix[] = "librsync: ERROR: ";
    if (strncmp(msg, prefix, sizeof prefix - 1) == 0) {
        msg += sizeof prefix - 1;
    }
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        n--;
    }
    if (n >= sizeof last_error) {
        n = sizeof last_error - 1;
    }
    memcpy(last_error, msg, n);
    last_error[n] = '\0';
}

static pthread_once_t capture_once = PTHREAD_ONCE_INIT;

static void install_capture(void) { rs_trace_to(capture_line); }

void clibrsync_capture_log(void) { pthread_once(&capture_once, install_capture); }

void clibrsync_clear_last_error(void) { last_error[0] = '\0'; }

const char *clibrsync_last_error(void) { return last_error; }

// librsync asks for at most the free output space and passes that space as
// *buf, so the read lands directly in the caller's output buffer.
static rs_result pread_copy(void *opaque, rs_long_t pos, size_t *len, void **buf) {
    clibrsync_basis *basis = opaque;
    ssize_t got;
    do {
        got = pread(basis->fd, *buf, *len, (off_t)pos);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        basis->read_errno = errno;
        return RS_IO_ERROR;
    }
    if (got == 0) {
        // Returning RS_DONE with zero bytes would make librsync retry forever.
        basis->ended_at = pos;
        return RS_INPUT_ENDED;
    }
    *len = (size_t)got;
    return RS_DONE;
}

rs_job_t *clibrsync_patch_begin_fd(clibrsync_basis *basis) {
    return rs_patch_begin(pread_copy, basis);
}
