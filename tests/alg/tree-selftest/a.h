/* selftest: a.h and b.h include each other */
#include "b.h"
