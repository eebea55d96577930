/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uuid.c: placeholder, filled in by its owner */
#include "uuid.h"
