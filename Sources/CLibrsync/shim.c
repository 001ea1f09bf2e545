#include "CLibrsync.h"
