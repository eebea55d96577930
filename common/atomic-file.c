/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* atomic-file.c: placeholder, filled in by its owner */
#include "atomic-file.h"
