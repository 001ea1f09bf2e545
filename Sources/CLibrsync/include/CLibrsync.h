#include <librsync.h>
