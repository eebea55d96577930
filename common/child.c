/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* child.c: placeholder, filled in by its owner */
#include "child.h"
