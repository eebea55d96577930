/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uuid.h: placeholder, filled in by its owner */
#pragma once
