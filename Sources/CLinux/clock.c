// The kernel's view of its clock (adjtimex with no change asked): whether an NTP client keeps it synchronized.
#include <errno.h>
#include <sys/timex.h>
#include "CLinux.h"

int understudy_clock_state(int *synchronized, long *maximum_error_microseconds) {
    struct timex state = {0};
    int result = adjtimex(&state);
    if (result < 0) return -errno;
    *synchronized = (state.status & STA_UNSYNC) == 0 && result != TIME_ERROR;
    *maximum_error_microseconds = state.maxerror;
    return 0;
}
