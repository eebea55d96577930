/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-docs.h: the doc strings of an interface's D-Bus members */
#pragma once

#include <stdio.h>

#include "method.h"

/*
 * Print one line per D-Bus member and argument of @iface's manager object (its own interface
 * and the ones it forwards) and of its object interfaces: "interface TAB kind TAB member TAB
 * argument TAB doc", kind being interface, method, signal or property, argument "" for the member
 * itself and "in:NAME"/"out:NAME" for a method's. tests/integration/test-api-docs.py turns them
 * into org.gtk.GDBus.DocString annotations of docs/api/<bus name>.xml.
 */
void vk_interface_print_bus_docs(const VkInterface *iface, FILE *f);
