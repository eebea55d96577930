/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml.c: placeholder, filled in by its owner */
#include "xml.h"
