/* selftest: a.h and b.h include each other */
#include "a.h"
