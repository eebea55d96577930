/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* paths.c: placeholder, filled in by its owner */
#include "paths.h"
