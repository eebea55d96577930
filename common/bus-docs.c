/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-docs.c: the doc strings of an interface's D-Bus members, from the same declarations
 * that give the varlink IDL its comments, for org.gtk.GDBus.DocString annotations
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bus-docs.h"

/* One line: interface, kind, member, argument ("" for the member itself), doc ("" if none). */
static void doc_line(FILE *f, const char *iface, const char *kind, const char *member,
                     const char *arg, const char *doc) {
        fprintf(f, "%s\t%s\t%s\t%s\t", iface, kind, member, arg);
        /* doc strings are one line; keep the record one line whatever they hold */
        for (const char *p = doc ? doc : ""; *p; p++)
                fputc(*p == '\t' || *p == '\n' ? ' ' : *p, f);
        fputc('\n', f);
}

static void doc_args(FILE *f, const char *iface, const char *kind, const char *member,
                     const char *prefix, const VkStructType *t, const char *skip) {
        for (const VkField *fl = t ? t->fields : NULL; fl && fl->name; fl++) {
                g_autofree char *arg = g_strconcat(prefix, fl->name, NULL);

                if (skip && strcmp(fl->name, skip) == 0)
                        continue; /* an object method's key: the object's path gives it */
                doc_line(f, iface, kind, member, arg, fl->doc);
        }
}

static void doc_interface(FILE *f, const VkInterface *iface, bool signals) {
        const char *bi = iface->bus_interface;

        doc_line(f, bi, "interface", "", "", iface->doc);
        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++) {
                        if (m->flags & VK_METHOD_STREAM)
                                continue; /* not on D-Bus */
                        doc_line(f, bi, "method", m->name, "", m->doc);
                        doc_args(f, bi, "method", m->name, "in:", m->in, NULL);
                        doc_args(f, bi, "method", m->name, "out:", m->out, NULL);
                }
        for (const VkSignal *sig = iface->signals; signals && sig && sig->name; sig++) {
                doc_line(f, bi, "signal", sig->name, "", sig->doc);
                doc_args(f, bi, "signal", sig->name, "", sig->args, NULL);
        }
}

static const VkMethod *find_method(const VkInterface *iface, const char *name) {
        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++)
                        if (strcmp(m->name, name) == 0)
                                return m;
        return NULL;
}

/* An object interface: its methods are the interface methods they run, without the key. */
static void doc_object_interface(FILE *f, const VkInterface *iface, const VkObjectInterface *oi) {
        const char *bi = oi->bus_interface;

        doc_line(f, bi, "interface", "", "", oi->doc);
        for (const VkObjectMethod *om = oi->methods; om && om->name; om++) {
                const VkMethod *m = find_method(iface, om->method);

                doc_line(f, bi, "method", om->name, "", m ? m->doc : NULL);
                doc_args(f, bi, "method", om->name, "in:", m ? m->in : NULL, om->key);
                doc_args(f, bi, "method", om->name, "out:", m ? m->out : NULL, NULL);
        }
        for (const VkField *fl = oi->properties ? oi->properties->fields : NULL; fl && fl->name;
             fl++)
                doc_line(f, bi, "property", fl->name, "", fl->doc);
}

void vk_interface_print_bus_docs(const VkInterface *iface, FILE *f) {
        doc_interface(f, iface, true);
        for (const VkObjectInterface *oi = iface->objects; oi && oi->bus_interface; oi++)
                doc_object_interface(f, iface, oi);
        /* the forwarded interfaces are served on the same object, their signals are not */
        for (const VkInterface *const *fw = iface->forwards; fw && *fw; fw++)
                doc_interface(f, *fw, false);
}
