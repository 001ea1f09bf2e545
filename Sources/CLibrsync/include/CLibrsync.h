#ifndef CLIBRSYNC_H
#define CLIBRSYNC_H

#include <librsync.h>

/// The library's version string ("librsync 2.3.2"); `rs_librsync_version` is
/// an array variable, which Swift cannot import as a string.
const char *clibrsync_version(void);

/// Routes librsync's log lines away from stderr into a per-thread buffer, so
/// an error can carry librsync's own explanation. Idempotent; call before use.
void clibrsync_capture_log(void);

/// Clears the calling thread's captured error line.
void clibrsync_clear_last_error(void);

/// The first error line librsync logged on this thread since the last clear,
/// without the "librsync: ERROR: " prefix and trailing newline; "" if none.
const char *clibrsync_last_error(void);

/// The basis of a patch: a file descriptor read with pread(), never loaded
/// whole. `read_errno` records why a read failed; `ended_at` records the
/// offset where the basis ended before a COPY command was satisfied (-1 if
/// it never did).
typedef struct clibrsync_basis {
    int fd;
    int read_errno;
    rs_long_t ended_at;
} clibrsync_basis;

/// Starts a patch job whose COPY commands read from `basis->fd`. The job
/// keeps `basis`; it must outlive the job.
rs_job_t *clibrsync_patch_begin_fd(clibrsync_basis *basis);

#endif
