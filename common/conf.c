/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.c: placeholder, filled in by its owner */
#include "conf.h"
